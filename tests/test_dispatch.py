"""Hourly dispatch: known answers, a per-hour reference loop, invariants, real ERCOT data."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hashpivot.dispatch import (
    DemandResponseSpec,
    Dispatch,
    DispatchContractSpec,
    DispatchSiteSpec,
    DispatchTierSpec,
    FourCPSpec,
    HourCalendar,
    MarketData,
    convert_site_to_ai,
    core,
    kernel,
    read_hashprice_history,
    read_market,
    resolve_nodes,
    sites_from_scenario,
)
from hashpivot.dispatch.engine import SUMMARY_KEYS
from hashpivot.errors import SpecError
from hashpivot.spec import default_scenario

HP = 50.0  # USD/PH/day
BTC = 100_000.0  # USD/BTC
BREAKEVEN_20 = HP * 1000 / (24 * 20)  # 104.1667 USD/MWh at 20 J/TH, PUE 1, no pool fee


def tier(e: float = 20.0, mw: float = 10.0) -> DispatchTierSpec:
    return DispatchTierSpec(efficiency_j_per_th=e, power_mw=mw)


def site(**kw: object) -> DispatchSiteSpec:
    base: dict[str, object] = {"name": "s", "mining_pue": 1.0, "pool_fee_frac": 0.0}
    base.setdefault("tiers", (tier(),))
    base.update(kw)
    return DispatchSiteSpec.model_validate(base)


def market(
    price: np.ndarray, start: str = "2024-01-01", load: np.ndarray | None = None
) -> MarketData:
    cal = HourCalendar.regular(start, price.shape[-1])
    p = np.atleast_2d(np.asarray(price, dtype=np.float64))
    ld = None if load is None else np.atleast_2d(np.asarray(load, dtype=np.float64))
    return MarketData(cal, {"N": p}, ld)


def run(sites: list[DispatchSiteSpec], m: MarketData, hp: object = HP) -> dict[str, float]:
    return Dispatch(sites, m, hp, BTC).run().summary()


def flat_with_spikes(
    hours: int = 720, k: int = 7, base: float = 30.0, spike: float = 500.0
) -> np.ndarray:
    price = np.full(hours, base)
    price[np.linspace(5, hours - 5, k).astype(int)] = spike
    return price


# --------------------------------------------------------------------------- known answers


def test_breakeven_matches_methods_worked_example() -> None:
    # methods.md §6: 50 USD/PH/day at 20 J/TH gives about 104 USD/MWh
    seg = core.site_segments(site())[0]
    assert seg.breakeven_per_hashprice * HP == pytest.approx(104.1667, rel=1e-5)


def test_flat_price_with_spikes_index() -> None:
    hours, k = 720, 7
    out = run([site()], market(flat_with_spikes(hours, k)))
    on = hours - k
    assert out["hours"] == hours
    assert out["uptime_frac"] == pytest.approx(on / hours)
    assert out["energy_mwh"] == pytest.approx(10 * on)
    assert out["energy_cost_usd"] == pytest.approx(10 * on * 30)
    assert out["avg_power_price_usd_per_mwh"] == pytest.approx(30.0)
    assert out["mining_revenue_usd"] == pytest.approx(10 * on * BREAKEVEN_20)
    assert out["btc_mined"] == pytest.approx(10 * on * BREAKEVEN_20 / BTC)
    assert out["curtailment_savings_usd"] == pytest.approx(10 * k * 500)
    assert out["profit_usd"] == pytest.approx(10 * on * (BREAKEVEN_20 - 30))
    assert out["flexibility_value_usd"] == pytest.approx(10 * k * (500 - BREAKEVEN_20))
    assert out["power_credits_usd"] == 0
    assert out["four_cp_savings_usd"] == 0


def test_adder_makes_all_in_price_exceed_breakeven() -> None:
    s = site(contract=DispatchContractSpec(adder_usd_per_mwh=80.0))
    out = run([s], market(np.full(48, 30.0)))
    assert out["uptime_frac"] == 0.0
    assert out["energy_cost_usd"] == 0.0


def test_runs_below_breakeven_and_stops_at_it() -> None:
    price = np.array([BREAKEVEN_20 - 1e-6, BREAKEVEN_20, BREAKEVEN_20 + 1.0, 0.0])
    out = run([site()], market(price))
    assert out["energy_mwh"] == pytest.approx(20.0)  # the hour at exactly breakeven curtails


def test_negative_prices_run_and_are_paid() -> None:
    price = np.array([-20.0, -20.0, 40.0, 40.0])
    out = run([site()], market(price))
    assert out["uptime_frac"] == 1.0
    assert out["energy_cost_usd"] == pytest.approx(10 * (-40 + 80))


def test_merit_order_two_tiers() -> None:
    # 20 J/TH breaks even at 104.17, 30 J/TH at 69.44: in 80 USD/MWh hours only the first runs
    price = np.array([50.0, 80.0, 80.0, 50.0, 200.0])
    s = site(tiers=(tier(30.0, 5.0), tier(20.0, 10.0)))
    out = run([s], market(price))
    assert out["energy_mwh"] == pytest.approx(10 * 4 + 5 * 2)
    assert out["energy_cost_usd"] == pytest.approx(10 * (50 + 80 + 80 + 50) + 5 * (50 + 50))


def test_ppa_with_resale_earns_power_credits() -> None:
    hours, k = 720, 7
    contract = DispatchContractSpec(kind="ppa", ppa_price_usd_per_mwh=25.0)
    out = run([site(contract=contract)], market(flat_with_spikes(hours, k)))
    assert out["power_credits_usd"] == pytest.approx(10 * k * 500)
    assert out["energy_cost_usd"] == pytest.approx(10 * hours * 25)
    revenue = 10 * (hours - k) * BREAKEVEN_20
    assert out["profit_usd"] == pytest.approx(revenue + 10 * k * 500 - 10 * hours * 25)
    assert out["avg_power_price_usd_per_mwh"] == pytest.approx(
        (10 * hours * 25 - 10 * k * 500) / (10 * (hours - k))
    )


def test_ppa_without_resale_runs_through_spikes() -> None:
    contract = DispatchContractSpec(kind="ppa", ppa_price_usd_per_mwh=25.0, resale=False)
    out = run([site(contract=contract)], market(flat_with_spikes(720, 7)))
    assert out["uptime_frac"] == 1.0
    assert out["power_credits_usd"] == 0.0


def test_no_resale_at_negative_prices() -> None:
    contract = DispatchContractSpec(kind="ppa", ppa_price_usd_per_mwh=25.0)
    s = site(contract=contract, tiers=(tier(20.0, 10.0),))
    out = Dispatch([s], market(np.array([-50.0, 500.0])), 5.0, BTC).run().summary()
    # hashprice 5 -> breakeven 10.4: at -50 resale is worth 0 so it mines; at 500 it resells
    assert out["energy_mwh"] == pytest.approx(10.0)
    assert out["power_credits_usd"] == pytest.approx(10 * 500)


def test_hybrid_block_serves_most_efficient_tier() -> None:
    contract = DispatchContractSpec(kind="hybrid", ppa_price_usd_per_mwh=20.0, ppa_share_frac=0.5)
    s = site(tiers=(tier(30.0, 10.0), tier(20.0, 10.0)), contract=contract)
    segs = core.site_segments(s)
    assert [(g.efficiency_j_per_th, g.contracted) for g in segs] == [(20.0, True), (30.0, False)]
    out = run([s], market(np.array([50.0, 90.0])))
    # block (20 J/TH) resells at 90 < breakeven 104: runs both hours; index 30 J/TH runs at 50
    assert out["energy_mwh"] == pytest.approx(10 * 2 + 10 * 1)
    assert out["energy_cost_usd"] == pytest.approx(10 * 2 * 20 + 10 * 50)


def test_demand_response_event_curtails_committed_mw_and_pays_capacity() -> None:
    dr = DemandResponseSpec(
        committed_mw=4.0, capacity_usd_per_mw_hour=7.0, event_price_usd_per_mwh=90.0
    )
    price = np.array([30.0, 95.0, 30.0, 30.0])  # 95 is below breakeven 104 but calls an event
    out = run([site(demand_response=dr)], market(price))
    assert out["energy_mwh"] == pytest.approx(10 * 4 - 4)
    assert out["dr_income_usd"] == pytest.approx(7.0 * 4 * 4)  # paid as available in all hours
    assert out["dr_penalty_usd"] == 0.0


def test_demand_response_penalty_when_margin_beats_it() -> None:
    dr = DemandResponseSpec(
        committed_mw=4.0,
        capacity_usd_per_mw_hour=0.0,
        event_price_usd_per_mwh=5.0,
        penalty_usd_per_mwh=10.0,
    )
    out = run([site(demand_response=dr)], market(np.array([10.0])))
    assert out["energy_mwh"] == pytest.approx(10.0)
    assert out["dr_penalty_usd"] == pytest.approx(40.0)


def test_four_cp_perfect_foresight_avoids_every_peak() -> None:
    hours = 24 * 30 * 4  # June to September
    load = np.sin(np.arange(hours) / 7.0) + np.arange(hours) * 1e-6
    m = market(np.full(hours, 30.0), "2024-06-01", load)
    s = site(four_cp=FourCPSpec(strategy="perfect_foresight", rate_usd_per_kw_year=60.0))
    out = run([s], m)
    assert out["four_cp_savings_usd"] == pytest.approx(60.0 * 1000 * 10)  # 10 MW × 60 USD/kW
    assert out["energy_mwh"] == pytest.approx(10 * (hours - 4))


def test_four_cp_needs_load() -> None:
    s = site(four_cp=FourCPSpec(strategy="heuristic"))
    with pytest.raises(SpecError, match="needs system load"):
        run([s], market(np.full(24, 30.0)))


def test_four_cp_peak_hours_and_heuristic_flags() -> None:
    cal = HourCalendar.regular("2024-05-31", 24 * 3)  # 31 May, 1 and 2 June
    load = np.full((1, 72), 100.0)
    load[0, 24 + 15] = 150.0  # 1 June HE16: the June peak so far
    load[0, 48 + 16] = 148.0  # 2 June HE17: 98.7 % of the running peak
    peaks = core.four_cp_hours(load, cal)
    assert peaks.hours.tolist() == [[24 + 15]]
    flags = core.four_cp_heuristic_flags(load, cal, FourCPSpec(threshold_frac=0.95))
    flagged = np.flatnonzero(flags[0])
    assert 24 + 15 in flagged
    assert 48 + 16 in flagged
    assert not flags[0, :24].any()  # May is not a 4CP month


def test_ai_conversion_keeps_most_efficient_tiers() -> None:
    s = site(tiers=(tier(30.0, 10.0), tier(20.0, 10.0)))
    after = convert_site_to_ai(s, 15.0)
    assert after.ai_mw == 15.0
    assert [(t.efficiency_j_per_th, t.power_mw) for t in after.tiers] == [(20.0, 5.0)]
    pro = convert_site_to_ai(s, 10.0, "pro_rata")
    assert [t.power_mw for t in pro.tiers] == [5.0, 5.0]
    with pytest.raises(SpecError, match="ai_mw"):
        convert_site_to_ai(s, 25.0)


def test_flexibility_lost_equals_flexibility_of_converted_mw() -> None:
    m = market(flat_with_spikes(720, 7))
    d = Dispatch([site(tiers=(tier(20.0, 20.0),))], m, HP, BTC)
    loss = d.flexibility_lost(5.0).summary()
    before = loss["flexibility_value_before_usd"]
    assert loss["flexibility_lost_usd"] == pytest.approx(before * 5 / 20)
    assert loss["flexibility_lost_usd_per_mw_year"] == pytest.approx(before / 20 / (720 / 8760))


def test_result_frames_add_up() -> None:
    m = market(flat_with_spikes(24 * 60, 9), "2024-01-15")
    res = Dispatch([site(), site(name="t")], m, HP, BTC).run()
    monthly, yearly, s = res.monthly(), res.yearly(), res.summary()
    assert list(monthly["month"]) == ["2024-01", "2024-02", "2024-03"]
    assert monthly["energy_mwh"].sum() == pytest.approx(s["energy_mwh"])
    assert yearly["profit_usd"].sum() == pytest.approx(s["profit_usd"])
    assert set(SUMMARY_KEYS) <= set(s)
    frame = res.to_frame()
    assert len(frame) == 2 * 1 * 3
    assert frame["energy_mwh"].sum() == pytest.approx(s["energy_mwh"])
    assert res.summary("t")["energy_mwh"] == pytest.approx(s["energy_mwh"] / 2)
    with pytest.raises(SpecError, match="not in this run"):
        res.summary("x")


def test_monthly_hashprice_path_per_path() -> None:
    cal = HourCalendar.regular("2024-01-01", 24 * 60)
    price = np.full((2, cal.n_hours), 60.0)
    m = MarketData(cal, {"N": price})
    hp = np.array([[50.0, 50.0], [20.0, 50.0]])  # path 1 is below 60 USD/MWh in January
    res = Dispatch([site()], m, hp, BTC).run()
    energy = res.sums["energy_mwh"][0]
    assert energy[0].tolist() == [10 * 31 * 24, 10 * 29 * 24]
    assert energy[1].tolist() == [0.0, 10 * 29 * 24]


# --------------------------------------------------------------------------- reference loop


def reference(
    s: DispatchSiteSpec,
    price: np.ndarray,
    hp: float,
    peaks: set[int],
    flags: np.ndarray,
) -> dict[str, float]:
    """The dispatch rules written hour by hour, segment by segment, for one path."""
    c, dr, cp = s.contract, s.demand_response, s.four_cp
    dr_rate = dr.capacity_usd_per_mw_hour if dr.committed_mw > 0 else 0.0
    out: dict[str, float] = defaultdict(float)
    ai_int = s.ai_mw * s.ai_interruptible_frac
    cp_value = cp.rate_usd_per_kw_year * 1000 / 4
    for t, p in enumerate(price):
        off_cp = (cp.strategy == "heuristic" and flags[t]) or (
            cp.strategy == "perfect_foresight" and t in peaks
        )
        at_peak = 0.0
        for g in core.site_segments(s):
            b = g.breakeven_per_hashprice * hp
            resale = max(p - c.resale_fee_usd_per_mwh, 0.0)
            unused = (resale if c.resale else 0.0) if g.contracted else p
            margin = b + (dr_rate if g.committed else 0.0) - c.adder_usd_per_mwh - unused
            on = margin > 0 and not off_cp
            complied = False
            if g.committed and on and p >= dr.event_price_usd_per_mwh:
                if margin - dr_rate < dr.penalty_usd_per_mwh:
                    on, complied = False, True
                else:
                    out["dr_penalty_usd"] += dr.penalty_usd_per_mwh * g.power_mw
            mw = g.power_mw
            out["energy_mwh"] += mw * on
            out["mining_revenue_usd"] += mw * b * on
            if g.contracted:
                ppa = c.ppa_price_usd_per_mwh or 0.0
                out["energy_cost_usd"] += mw * (ppa + c.adder_usd_per_mwh * on)
                if c.resale:
                    out["power_credits_usd"] += mw * resale * (not on)
                firm_cost = ppa + c.adder_usd_per_mwh
            else:
                out["energy_cost_usd"] += mw * (p + c.adder_usd_per_mwh) * on
                firm_cost = p + c.adder_usd_per_mwh
            if g.committed:
                out["dr_income_usd"] += dr_rate * mw * (on or complied)
            out["firm_profit_usd"] += mw * (b - firm_cost)
            at_peak += mw * on
        ai_on = s.ai_mw - ai_int * off_cp
        out["ai_energy_mwh"] += ai_on
        out["ai_energy_cost_usd"] += ai_on * (p + c.adder_usd_per_mwh)
        if t in peaks:
            out["four_cp_savings_usd"] += cp_value * (s.mining_mw + s.ai_mw - at_peak - ai_on)
    out["profit_usd"] = (
        out["mining_revenue_usd"]
        + out["power_credits_usd"]
        + out["dr_income_usd"]
        + out["four_cp_savings_usd"]
        - out["dr_penalty_usd"]
        - out["energy_cost_usd"]
    )
    return out


prices_st = st.lists(
    st.one_of(st.floats(-60.0, 150.0), st.floats(150.0, 3000.0)), min_size=24, max_size=96
)
tiers_st = st.lists(
    st.builds(tier, st.floats(10.0, 40.0), st.floats(0.5, 30.0)), min_size=1, max_size=3
)


@st.composite
def sites_st(draw: st.DrawFn) -> DispatchSiteSpec:
    tiers = tuple(draw(tiers_st))
    mining = sum(t.power_mw for t in tiers)
    kind = draw(st.sampled_from(["index", "ppa", "hybrid"]))
    contract: dict[str, object] = {
        "kind": kind,
        "adder_usd_per_mwh": draw(st.floats(0.0, 20.0)),
        "resale": draw(st.booleans()),
        "resale_fee_usd_per_mwh": draw(st.floats(0.0, 5.0)),
    }
    if kind != "index":
        contract["ppa_price_usd_per_mwh"] = draw(st.floats(10.0, 60.0))
    if kind == "hybrid":
        contract["ppa_share_frac"] = draw(st.floats(0.1, 0.9))
    dr = DemandResponseSpec(
        committed_mw=draw(st.floats(0.0, 1.0)) * mining,
        event_price_usd_per_mwh=draw(st.floats(100.0, 2000.0)),
        penalty_usd_per_mwh=draw(st.sampled_from([5.0, 5000.0])),
    )
    return DispatchSiteSpec(
        name="h",
        tiers=tiers,
        mining_pue=draw(st.floats(1.0, 1.3)),
        pool_fee_frac=draw(st.floats(0.0, 0.05)),
        contract=DispatchContractSpec.model_validate(contract),
        demand_response=dr,
        four_cp=FourCPSpec(
            strategy=draw(st.sampled_from(["none", "heuristic", "perfect_foresight"]))
        ),
        ai_mw=draw(st.floats(0.0, 20.0)),
        ai_interruptible_frac=draw(st.floats(0.0, 1.0)),
    )


def _run_one(
    s: DispatchSiteSpec, price: np.ndarray, hp: float, load: np.ndarray
) -> tuple[dict[str, float], set[int], np.ndarray]:
    m = market(price, "2024-06-28", load)  # spans June and July: two 4CP months
    summary = Dispatch([s], m, hp, BTC).run().summary()
    cal = m.calendar
    assert m.system_load_mw is not None
    peaks = set(core.four_cp_hours(m.system_load_mw, cal).hours[0].tolist())
    flags = core.four_cp_heuristic_flags(m.system_load_mw, cal, s.four_cp)[0]
    return summary, peaks, flags


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=sites_st(), price=prices_st, hp=st.floats(5.0, 150.0), seed=st.integers(0, 2**16))
def test_kernel_matches_reference_loop(
    s: DispatchSiteSpec, price: list[float], hp: float, seed: int
) -> None:
    p = np.asarray(price)
    load = np.random.default_rng(seed).random(p.size) * 1000
    got, peaks, flags = _run_one(s, p, hp, load)
    want = reference(s, p, hp, peaks, flags)
    scale = 1.0 + sum(abs(v) for v in want.values())
    for key, value in want.items():
        assert got[key] == pytest.approx(value, abs=1e-9 * scale), key
    assert got["flexibility_value_usd"] == pytest.approx(
        want["profit_usd"] - want["firm_profit_usd"], abs=1e-9 * scale
    )


def random_site(rng: np.random.Generator) -> DispatchSiteSpec:
    tiers = tuple(
        tier(float(rng.uniform(10, 40)), float(rng.uniform(1, 30)))
        for _ in range(rng.integers(1, 4))
    )
    mining = sum(t.power_mw for t in tiers)
    kind = str(rng.choice(["index", "ppa", "hybrid"]))
    contract = DispatchContractSpec(
        kind=kind,  # type: ignore[arg-type]
        adder_usd_per_mwh=float(rng.uniform(0, 15)),
        ppa_price_usd_per_mwh=None if kind == "index" else float(rng.uniform(10, 60)),
        ppa_share_frac=float(rng.uniform(0.1, 0.9)) if kind == "hybrid" else None,
        resale=bool(rng.random() < 0.7),
        resale_fee_usd_per_mwh=float(rng.uniform(0, 20)),
    )
    dr = DemandResponseSpec(
        committed_mw=float(rng.uniform(0, 1)) * mining,
        event_price_usd_per_mwh=float(rng.uniform(100, 600)),
        penalty_usd_per_mwh=float(rng.choice([20.0, 5000.0])),
    )
    strategy = str(rng.choice(["none", "heuristic", "perfect_foresight"]))
    return DispatchSiteSpec(
        name="r",
        tiers=tiers,
        mining_pue=float(rng.uniform(1.0, 1.2)),
        pool_fee_frac=float(rng.uniform(0, 0.04)),
        contract=contract,
        demand_response=dr,
        four_cp=FourCPSpec(strategy=strategy, threshold_frac=float(rng.uniform(0.8, 1.0))),  # type: ignore[arg-type]
        ai_mw=float(rng.uniform(0, 20)),
        ai_interruptible_frac=float(rng.uniform(0, 1)),
    )


@pytest.mark.parametrize("seed", range(25))
def test_kernel_matches_reference_random_configs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    s = random_site(rng)
    hours = 24 * 10
    price = rng.normal(60, 40, hours) + (rng.random(hours) < 0.05) * rng.exponential(800, hours)
    hp = float(rng.uniform(20, 120))
    load = rng.random(hours) * 1000
    got, peaks, flags = _run_one(s, price, hp, load)
    want = reference(s, price, hp, peaks, flags)
    scale = 1.0 + sum(abs(v) for v in want.values())
    for key, value in want.items():
        assert got[key] == pytest.approx(value, abs=1e-9 * scale), key


def test_resale_fee_moves_the_run_threshold() -> None:
    contract = DispatchContractSpec(
        kind="ppa", ppa_price_usd_per_mwh=25.0, resale_fee_usd_per_mwh=10.0
    )
    # breakeven 104.17: resale at 110 is worth 100 < 104.17, so the block keeps mining
    out = run([site(contract=contract)], market(np.array([110.0, 120.0])))
    assert out["energy_mwh"] == pytest.approx(10.0)
    assert out["power_credits_usd"] == pytest.approx(10 * 110.0)


def test_dense_and_sparse_decisions_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    price = rng.normal(80, 60, size=(5, 24 * 40))
    load = rng.random((1, price.shape[1]))
    cal = HourCalendar.regular("2024-06-10", price.shape[1])
    m = MarketData(cal, {"N": price}, load)
    contract = DispatchContractSpec(kind="hybrid", ppa_price_usd_per_mwh=30.0, ppa_share_frac=0.4)
    s = site(
        tiers=(tier(15.0, 10.0), tier(28.0, 10.0)),
        contract=contract,
        demand_response=DemandResponseSpec(committed_mw=5.0, event_price_usd_per_mwh=150.0),
        four_cp=FourCPSpec(strategy="perfect_foresight"),
    )
    sparse = Dispatch([s], m, HP, BTC).run().sums
    monkeypatch.setattr(kernel, "SPARSE_MAX_FRAC", -1.0)
    dense = Dispatch([s], m, HP, BTC).run().sums
    for key in sparse:
        np.testing.assert_allclose(sparse[key], dense[key], rtol=1e-12, atol=1e-6)


# --------------------------------------------------------------------------- invariants


simple_sites = st.builds(
    lambda tiers, adder: DispatchSiteSpec(
        name="p", tiers=tuple(tiers), contract=DispatchContractSpec(adder_usd_per_mwh=adder)
    ),
    tiers_st,
    st.floats(0.0, 30.0),
)


@settings(max_examples=40, deadline=None)
@given(s=simple_sites, price=prices_st, hp=st.floats(1.0, 200.0))
def test_profit_with_curtailment_at_least_without(
    s: DispatchSiteSpec, price: list[float], hp: float
) -> None:
    out = Dispatch([s], market(np.asarray(price)), hp, BTC).run().summary()
    assert out["profit_usd"] >= out["firm_profit_usd"] - 1e-7 * (1 + abs(out["firm_profit_usd"]))
    assert 0.0 <= out["uptime_frac"] <= 1.0


@settings(max_examples=40, deadline=None)
@given(s=sites_st(), price=prices_st, hp=st.floats(5.0, 150.0), seed=st.integers(0, 2**16))
def test_uptime_is_a_fraction(
    s: DispatchSiteSpec, price: list[float], hp: float, seed: int
) -> None:
    load = np.random.default_rng(seed).random(len(price))
    out, _, _ = _run_one(s, np.asarray(price), hp, load)
    assert 0.0 <= out["uptime_frac"] <= 1.0


@settings(max_examples=40, deadline=None)
@given(s=sites_st(), price=prices_st, hp=st.floats(5.0, 150.0), seed=st.integers(0, 2**16))
def test_perfect_foresight_4cp_savings_at_least_heuristic(
    s: DispatchSiteSpec, price: list[float], hp: float, seed: int
) -> None:
    load = np.random.default_rng(seed).random(len(price))
    savings = {}
    for strategy in ("heuristic", "perfect_foresight"):
        variant = s.model_copy(update={"four_cp": FourCPSpec(strategy=strategy)})
        savings[strategy] = _run_one(variant, np.asarray(price), hp, load)[0]["four_cp_savings_usd"]
    assert savings["perfect_foresight"] >= savings["heuristic"] - 1e-6


@settings(max_examples=40, deadline=None)
@given(
    tiers=tiers_st,
    price=prices_st,
    hp=st.floats(1.0, 200.0),
    ppa=st.floats(-10.0, 80.0),
    share=st.one_of(st.none(), st.floats(0.05, 0.95)),
    fee=st.floats(0.0, 10.0),
)
def test_ppa_with_resale_never_earns_less(
    tiers: list[DispatchTierSpec],
    price: list[float],
    hp: float,
    ppa: float,
    share: float | None,
    fee: float,
) -> None:
    kind = "ppa" if share is None else "hybrid"
    profits = []
    for resale in (True, False):
        contract = DispatchContractSpec(
            kind=kind,
            ppa_price_usd_per_mwh=ppa,
            ppa_share_frac=share,
            resale=resale,
            resale_fee_usd_per_mwh=fee,
        )
        s = DispatchSiteSpec(name="r", tiers=tuple(tiers), contract=contract)
        profits.append(
            Dispatch([s], market(np.asarray(price)), hp, BTC).run().summary()["profit_usd"]
        )
    assert profits[0] >= profits[1] - 1e-7 * (1 + abs(profits[1]))


def test_four_cp_only_at_ercot_sites_and_only_june_to_september() -> None:
    # a whole year, flat price below breakeven, load peaking once a day: perfect
    # foresight avoids one peak a month in June–September (PUCT Subst. R. 25.192), so an
    # ERCOT site saves 50 USD/kW-yr × 1000 / 4 × 10 MW in each of those months, nothing
    # in the others, and the same site in NYISO saves nothing at all
    hours = 24 * 366
    load = 50_000 + 1_000 * np.sin(np.arange(hours) * 2 * np.pi / 24)
    m = market(np.full(hours, 20.0), "2024-01-01", load)
    tier = DispatchTierSpec(efficiency_j_per_th=20.0, power_mw=10.0)
    pf = FourCPSpec(strategy="perfect_foresight")
    ercot = DispatchSiteSpec(name="tx", tiers=(tier,), four_cp=pf)
    nyiso = DispatchSiteSpec(name="ny", tiers=(tier,), power_market="NYISO")
    res = Dispatch([ercot, nyiso], m, HP, BTC).run()
    tx = res.monthly("tx").set_index("month")["four_cp_savings_usd"]
    expected = {
        f"2024-{k:02d}": (50.0 * 1000 / 4 * 10 if 6 <= k <= 9 else 0.0) for k in range(1, 13)
    }
    assert tx.to_dict() == pytest.approx(expected)
    assert res.summary("ny")["four_cp_savings_usd"] == 0.0
    assert any("'ny' (NYISO): no 4CP" in n for n in res.notes)
    sites = {s["site"]: s for s in res.to_dict()["sites"]}
    assert (sites["tx"]["power_market"], sites["ny"]["power_market"]) == ("ERCOT", "NYISO")


def test_resolve_nodes_names_the_site_its_node_and_the_columns() -> None:
    a = DispatchSiteSpec(
        name="a", node="LZ_WEST", tiers=(DispatchTierSpec(efficiency_j_per_th=20, power_mw=1),)
    )
    b = a.model_copy(update={"name": "b", "node": "WEST"})
    with pytest.raises(
        SpecError, match=r"site 'b': node 'WEST' is not a column.*columns: LZ_WEST, LZ_NORTH"
    ):
        resolve_nodes([a, b], ["LZ_WEST", "LZ_NORTH"])
    with pytest.raises(SpecError, match=r"one-site run only.*2 sites"):
        resolve_nodes([a, b], ["LZ_WEST"], "LZ_WEST")
    both = resolve_nodes([a, b], ["LZ_WEST"], "LZ_WEST", same_node=True)
    assert [s.node for s in both] == ["LZ_WEST", "LZ_WEST"]
    assert [s.node for s in resolve_nodes([b], ["LZ_NORTH"], "LZ_NORTH")] == ["LZ_NORTH"]


# --------------------------------------------------------------------------- real data


def test_real_ercot_2024_lz_west(shared_data: Path) -> None:
    m = read_market(
        shared_data / "ercot_lz_rtm_hourly_2024_2025.csv",
        ["LZ_WEST"],
        shared_data / "ercot_native_load_hourly_2023_2025.csv",
        year=2024,
    )
    assert m.calendar.n_hours == 8783  # 366 days, 23-hour spring day, repeated hour once
    history = read_hashprice_history(shared_data / "btc_network_daily.csv")
    scenario_sites = resolve_nodes(
        sites_from_scenario(default_scenario()), ["LZ_WEST"], "LZ_WEST", True
    )
    sites = [
        x.model_copy(update={"four_cp": FourCPSpec(strategy="perfect_foresight")})
        if x.power_market == "ERCOT"
        else x
        for x in scenario_sites
    ]
    out = Dispatch(sites, m, history).run().summary()
    ercot_mw = sum(x.mining_mw for x in sites if x.power_market == "ERCOT")
    assert [x.name for x in sites if x.power_market == "ERCOT"] == ["Pecos West"]
    assert 0.9 < out["uptime_frac"] < 1.0
    assert 15.0 < out["avg_power_price_usd_per_mwh"] < 40.0
    # perfect foresight avoids the whole tag of the ERCOT site only: 50 USD/kW-yr × its kW
    assert out["four_cp_savings_usd"] == pytest.approx(50.0 * 1000 * ercot_mw)
    assert out["flexibility_value_usd"] > 0
    assert out["btc_mined"] == pytest.approx(out["mining_revenue_usd"] / 60_000, rel=0.25)
