import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hashpivot.projection import Projection
from hashpivot.spec import default_scenario


@pytest.fixture(scope="module")
def result():
    return Projection(default_scenario()).run()


def test_halving_2028_shows_as_fall_in_btc_mined(result) -> None:
    assert [h for h, _ in result.halvings] == [1_050_000]
    date = result.halvings[0][1]
    assert dt.date(2027, 10, 1) < date < dt.date(2028, 6, 1)
    monthly = result.aggregate("company", "M").set_index("period")["btc_mined"]
    month = monthly.index.get_indexer([np.datetime64(date.replace(day=1))])[0]
    before, after = monthly.iloc[month - 1], monthly.iloc[month + 1]
    assert after < 0.6 * before


def test_first_month_hashprice_near_history(result) -> None:
    # blockchain.com/Coin Metrics derived hashprice was about 54 USD/PH/day on 2024-12-31
    # (btc_network_daily.csv, drv_hashprice_usd_per_phs_day).
    assert result.summary()["hashprice_usd_per_ph_day_first_month"] == pytest.approx(54.3, rel=0.03)


def test_flows_add_up(result) -> None:
    f = result.fleets
    assert np.allclose(
        f["gross_margin_usd"], f["revenue_usd"] - f["power_cost_usd"] - f["other_opex_usd"]
    )
    yearly = result.aggregate("company", "Y")
    assert yearly["btc_mined"].sum() == pytest.approx(f["btc_mined"].sum())
    assert len(result.to_frame()) == f.shape[0] * (f.shape[1] - 3)


def test_unprofitable_fleets_switch_off(result) -> None:
    f = result.fleets
    off = f[f["running"] == 0]
    assert (off["btc_mined"] == 0).all()
    # a fleet is off when revenue per MWh is below power plus variable opex per MWh
    opex_per_mwh = 6000 / (off["month"].dt.days_in_month * 24 * 0.95)
    pecos = off["site"] == "Pecos West"
    limit = off["power_price_usd_per_mwh"] + opex_per_mwh
    assert (off.loc[pecos, "breakeven_power_usd_per_mwh"] < limit[pecos]).all()
    assert (off["other_opex_usd"] == 0).all()


def test_payback_verdicts(result) -> None:
    verdicts = set(result.payback()["verdict"])
    assert "no capex price known" in verdicts  # S21 Pro has no sourced price
    assert verdicts <= {"no capex price known", "does not pay back"} | {
        v for v in verdicts if v.startswith("pays back in")
    }


def test_price_growth_makes_fleets_pay_back() -> None:
    sc = default_scenario()
    rich = sc.model_copy(
        update={"market": sc.market.model_copy(update={"btc_price_growth_frac_per_month": 0.05})}
    )
    verdicts = Projection(rich).run().payback()["verdict"]
    assert any(v.startswith("pays back in") for v in verdicts)


@settings(max_examples=15, deadline=None)
@given(st.floats(10.0, 200.0), st.floats(0.0, 50.0))
def test_margin_never_rises_with_power_price(price: float, extra: float) -> None:
    sc = default_scenario()

    def margin(p: float) -> float:
        site = sc.sites[0]
        site = site.model_copy(
            update={"power": site.power.model_copy(update={"price_usd_per_mwh": p})}
        )
        changed = sc.model_copy(update={"sites": (site, *sc.sites[1:]), "horizon_months": 24})
        return float(Projection(changed).run().fleets["gross_margin_usd"].sum())

    assert margin(price + extra) <= margin(price) + 1e-6
