"""Dispatch LP (minimum load, ramp limits): tiny problems whose optimum is known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from hashpivot.dispatch import (
    Dispatch,
    DispatchSiteSpec,
    DispatchTierSpec,
    FourCPSpec,
    HourCalendar,
    MarketData,
    OperatingLimitsSpec,
    core,
    kernel,
    lp,
)

HP = 50.0
B = HP * 1000 / (24 * 20)  # breakeven of 20 J/TH, PUE 1, no pool fee [USD/MWh]


def one_tier(limits: OperatingLimitsSpec, **kw: object) -> DispatchSiteSpec:
    return DispatchSiteSpec(
        name="lp",
        mining_pue=1.0,
        pool_fee_frac=0.0,
        tiers=(DispatchTierSpec(efficiency_j_per_th=20.0, power_mw=10.0),),
        limits=limits,
        **kw,  # type: ignore[arg-type]
    )


def chunk(site: DispatchSiteSpec, price: np.ndarray) -> tuple[core.SiteParams, kernel.ChunkInputs]:
    cal = HourCalendar.regular("2024-01-01", price.size)
    params = core.site_params(site)
    hp = core.hashprice_by_hour(cal, HP, 1e5)
    data = kernel.SiteData(price[None, :], None, None)
    return params, kernel.chunk_inputs(params, data, hp, cal, slice(0, 1))


def test_ramp_limit_known_optimum() -> None:
    # margins per MWh: +90, -100, +90, +90; ramp 5 MW/h. Keeping 5 MW on in the bad hour
    # costs 500 but lets both neighbours run at 10 MW: L = [10, 5, 10, 10], value 2200.
    price = np.array([B - 90, B + 100, B - 90, B - 90])
    limits = OperatingLimitsSpec(ramp_mw_per_hour=5.0)
    params, ci = chunk(one_tier(limits), price)
    sol = lp.solve_site_lp(params, ci, limits)
    np.testing.assert_allclose(10 * sol.run_frac[0], [10, 5, 10, 10], atol=1e-7)
    assert sol.objective_usd == pytest.approx(2200.0)


def test_min_load_known_optimum() -> None:
    price = np.array([B - 90, B + 100])
    limits = OperatingLimitsSpec(min_load_mw=4.0)
    params, ci = chunk(one_tier(limits), price)
    sol = lp.solve_site_lp(params, ci, limits)
    np.testing.assert_allclose(10 * sol.run_frac[0], [10, 4], atol=1e-7)
    assert sol.objective_usd == pytest.approx(900 - 400)


def test_lp_through_the_orchestrator() -> None:
    price = np.array([B - 90, B + 100, B - 90, B - 90])
    site = one_tier(OperatingLimitsSpec(ramp_mw_per_hour=5.0))
    cal = HourCalendar.regular("2024-01-01", 4)
    res = Dispatch([site], MarketData(cal, {"N": price[None, :]}), HP, 1e5).run()
    out = res.summary()
    assert out["energy_mwh"] == pytest.approx(35.0)
    assert out["profit_usd"] == pytest.approx(2200.0)
    assert res.mining_mw_hourly is not None
    np.testing.assert_allclose(res.mining_mw_hourly[0, 0], [10, 5, 10, 10], atol=1e-5)
    assert any("LP" in n for n in res.notes)


def test_slack_limits_reproduce_the_closed_form() -> None:
    rng = np.random.default_rng(3)
    price = rng.normal(80, 50, 24 * 20)
    cal = HourCalendar.regular("2024-03-01", price.size)
    m = MarketData(cal, {"N": price[None, :]})
    tiers = (
        DispatchTierSpec(efficiency_j_per_th=15.0, power_mw=6.0),
        DispatchTierSpec(efficiency_j_per_th=25.0, power_mw=4.0),
    )
    closed = DispatchSiteSpec(name="c", tiers=tiers)
    slack = closed.model_copy(update={"limits": OperatingLimitsSpec(ramp_mw_per_hour=100.0)})
    a = Dispatch([closed], m, HP, 1e5).run().summary()
    b = Dispatch([slack], m, HP, 1e5).run().summary()
    for key in ("energy_mwh", "profit_usd", "energy_cost_usd", "mining_revenue_usd"):
        assert b[key] == pytest.approx(a[key], rel=1e-7, abs=1e-6)


def test_min_load_bound_relaxes_around_obligations() -> None:
    lb = lp.min_load_bound(np.array([10.0, 10.0, 0.0, 10.0, 10.0]), 8.0, 3.0)
    np.testing.assert_allclose(lb, [6.0, 3.0, 0.0, 3.0, 6.0])
    np.testing.assert_allclose(lp.min_load_bound(np.array([10.0, 0.0]), 8.0, None), [8.0, 0.0])


def test_obligations_override_min_load_with_ramp() -> None:
    hours = 24 * 10
    cal = HourCalendar.regular("2024-06-01", hours)
    load = np.ones((1, hours))
    load[0, 24 * 3 + 16] = 2.0  # the June peak
    price = np.full((1, hours), 30.0)
    limits = OperatingLimitsSpec(min_load_mw=8.0, ramp_mw_per_hour=3.0)
    site = one_tier(limits, four_cp=FourCPSpec(strategy="perfect_foresight"))
    res = Dispatch([site], MarketData(cal, {"N": price}, load), HP, 1e5).run()
    assert res.mining_mw_hourly is not None
    mw = res.mining_mw_hourly[0, 0].astype(np.float64)
    assert mw[24 * 3 + 16] == pytest.approx(0.0, abs=1e-6)
    assert np.all(np.abs(np.diff(mw)) <= 3.0 + 1e-5)
    # one of the four peaks (June) lies in the calendar: a quarter of 50 USD/kW-yr × 10 MW
    assert res.summary()["four_cp_savings_usd"] == pytest.approx(50.0 * 1000 * 10 / 4)


def test_lp_failure_names_the_constraint_families(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = OperatingLimitsSpec(min_load_mw=4.0, ramp_mw_per_hour=1.0)
    params, ci = chunk(one_tier(limits), np.array([10.0, 10.0]))
    monkeypatch.setattr(lp, "min_load_bound", lambda cap, m, r: cap + 5.0)
    with pytest.raises(lp.DispatchLPError, match="Site-min-load") as err:
        lp.solve_site_lp(params, ci, limits)
    assert "Site-ramp-up" in str(err.value)


def test_a_site_without_tiers_and_with_limits_mines_nothing_and_needs_no_lp() -> None:
    # found by schemathesis: a ramp limit on a site with no fleet tiers handed an empty
    # problem to linprog, which raised (HTTP 500)
    cal = HourCalendar.regular("2024-01-01", 24)
    market = MarketData(cal, {"N": np.full((1, 24), 30.0)})
    site = DispatchSiteSpec(name="empty", limits=OperatingLimitsSpec(ramp_mw_per_hour=1.0))
    summary = Dispatch([site], market, HP, 90_000.0).run().summary()
    assert summary["energy_mwh"] == 0.0
    assert summary["btc_mined"] == 0.0
