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


# --------------------------------------------------------------------------- base path models


def test_base_path_runs_the_scenario_network_model(result) -> None:
    assert result.network_model == "supply_curve"
    assert result.summary()["network_model"] == "supply_curve"


def test_supply_curve_base_path_is_the_monte_carlo_median() -> None:
    """The zero-shock path sits at the median of 2 000 shocked supply-curve paths.

    Independent route: the Monte Carlo's own ``simulate_network`` with random shocks
    (seeded), not the zero-shock call of ``deterministic_market``.
    """
    from hashpivot.network.models import simulate_network
    from hashpivot.projection import deterministic_market

    sc = default_scenario()
    n = 36
    net, price = deterministic_market(sc, n)
    m = sc.market
    mc = simulate_network(
        sc.network_model, price, m.fees_btc_per_block, sc.start_date,
        m.network_hashrate_eh_s, m.difficulty, m.block_height, seed=7, paths=2000,
    )  # fmt: skip
    median = np.median(mc.hashprice_btc_per_ph_day, axis=0)
    assert net.hashprice_btc_per_ph_day.shape == (n,)
    np.testing.assert_allclose(net.hashprice_btc_per_ph_day, median, rtol=0.06)


def test_fixed_growth_by_name_grows_at_the_market_rate() -> None:
    # H(t) = 795.7 · 1.02^t EH/s at the month's middle, the calculators' assumption:
    # month 24 ≈ 795.7 · 1.02^24.5 = 1 290 EH/s (hand calculation).
    r = Projection(default_scenario(), "fixed_growth").run(36)
    assert r.network_model == "fixed_growth"
    h = r.network["network_hashrate_eh_s"].to_numpy()
    assert h[24] == pytest.approx(795.7 * 1.02**24.5, rel=0.01)


def test_supply_curve_hashprice_stays_above_fixed_growth_after_the_halving() -> None:
    # Fixed 2 %/month growth reaches 795.7·1.02^60 ≈ 2 600 EH/s whatever hashprice does;
    # the supply curve switches marginal fleets off after the 2028 halving instead.
    sc = default_scenario()
    supply = Projection(sc).run().network
    fixed = Projection(sc, "fixed_growth").run().network
    late = supply["month"] >= np.datetime64("2029-01-01")
    assert (
        supply.loc[late, "hashprice_usd_per_ph_day"] > fixed.loc[late, "hashprice_usd_per_ph_day"]
    ).all()
    assert supply["network_hashrate_eh_s"].iloc[-1] < fixed["network_hashrate_eh_s"].iloc[-1]


def test_unknown_base_path_model_lists_the_valid_ones() -> None:
    from hashpivot.errors import HashpivotError

    with pytest.raises(HashpivotError, match="supply_curve"):
        Projection(default_scenario(), "linear")


def _one_fleet_scenario(replace_after: int | None, conversion: bool = False):
    """Red River alone (14 000 S19j Pro at 3 050 W, PUE 1.05, 50 MW), optionally replaced."""
    sc = default_scenario()
    site = sc.sites[2]
    fleet = site.fleets[0].model_copy(update={"replace_after_months": replace_after})
    convs = ()
    if conversion:
        convs = (sc.sites[0].conversions[0].model_copy(
            update={"gross_mw": 20.0, "decision_date": dt.date(2026, 6, 1)}),)  # fmt: skip
    site = site.model_copy(update={"fleets": (fleet,), "conversions": convs})
    return sc.model_copy(update={"sites": (site,)})


def test_a_replaced_fleet_hands_its_mw_to_frontier_machines() -> None:
    from hashpivot.projection import fleet_capex_usd, fleet_installed_frac, stack_fleets

    sc = _one_fleet_scenario(12)
    f = stack_fleets(sc)
    assert f.fleet == ["Antminer S19j Pro", "Antminer S19j Pro → replaced 2026-01"]
    # frontier on 2026-01-01 (ASIC fit: 14.58 J/TH on 2024-01-01 falling 20.65 %/yr):
    # 14.58 × 0.7935^(731/365.25) = 9.178 J/TH (hand calculation)
    j = 14.58 * (1 - 0.2065) ** (731 / 365.25)
    assert f.efficiency_j_per_th[1] == pytest.approx(j, rel=1e-9)
    assert f.unit_w[1] == 3050.0  # same power per machine, more TH
    assert f.unit_th_s[1] == pytest.approx(3050.0 / j, rel=1e-9)
    installed = fleet_installed_frac(sc, f, 24)
    np.testing.assert_array_equal(installed[0], np.r_[np.ones(12), np.zeros(12)])
    np.testing.assert_array_equal(installed[1], np.r_[np.zeros(12), np.ones(12)])
    capex = fleet_capex_usd(f, installed)
    # 14 000 × 3 050 W × 0.92 USD/W = 39.284M USD, paid in month 12 only
    assert capex[1, 12] == pytest.approx(39.284e6, rel=1e-9)
    assert capex.sum() == pytest.approx(39.284e6, rel=1e-9)


def test_a_conversion_after_the_replacement_frees_the_new_machines() -> None:
    from hashpivot.projection import fleet_installed_frac, stack_fleets

    sc = _one_fleet_scenario(12, conversion=True)
    f = stack_fleets(sc)
    installed = fleet_installed_frac(sc, f, 24)
    # 50 MW site, fleet draws 14 000 × 3 050 W × 1.05 = 44.835 MW: 5.165 MW free, so the
    # 20-MW conversion in month 17 takes 14.835 MW, 0.33088 of the fleet (hand calculation)
    left = 1 - 14.835 / 44.835
    assert installed[1, 16] == 1.0
    assert installed[1, 17] == pytest.approx(left, rel=1e-9)
    assert installed[0, 12:].max() == 0.0


def test_replacement_keeps_the_default_scenario_mining_every_year(result) -> None:
    # issue check: BTC mined is positive in every year of the default horizon; without
    # replacement the 2024 fleets are off for good after the 2028 halving
    yearly = result.aggregate("company", "Y").set_index("period")
    assert (yearly["btc_mined"] > 0).all()
    assert yearly.loc[2029, "btc_mined"] > 0.3 * yearly.loc[2025, "btc_mined"]
    assert yearly.loc[2028, "asic_capex_usd"] > 0
    bare = default_scenario()
    bare = bare.model_copy(update={"sites": tuple(
        s.model_copy(update={"fleets": tuple(f.model_copy(update={"replace_after_months": None})
                                             for f in s.fleets)})
        for s in bare.sites)})  # fmt: skip
    old = Projection(bare).run().aggregate("company", "Y").set_index("period")
    assert old.loc[2029, "btc_mined"] == 0.0


def test_a_replacing_fleet_pays_back_from_its_purchase() -> None:
    sc = _one_fleet_scenario(12)
    rich = sc.model_copy(update={"market": sc.market.model_copy(update={"btc_price_usd": 3e5})})
    pay = Projection(rich).run().payback().set_index("fleet")
    months = pay.loc["Antminer S19j Pro → replaced 2026-01", "payback_months"]
    # counted from its purchase in month 12: from the projection start it would be > 12
    assert 1 <= months <= 12
