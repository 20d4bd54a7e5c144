"""The planning LP/MILP on tiny problems whose optimum is derived by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _planner_toys import toy_data
from hashpivot.planner import (
    FAMILIES,
    PlanInfeasibleError,
    PlannerSpec,
    build_model,
    cvar_loss_usd,
    scenario_npv_usd,
    solve_plan,
)
from hashpivot.planner.evaluate import mining_mw, objective_usd

M = 1e6
SPEC = PlannerSpec(frontier_risk_aversions=(), mip_rel_gap_frac=0.0)


def plan(data, **fields):
    spec = SPEC.model_copy(update=fields)
    return solve_plan(data, PlannerSpec.model_validate(spec.model_dump()))


# ------------------------------------------------------------------ convert iff rent beats mining


def test_converts_when_lease_beats_mining() -> None:
    # one 10 MW site, two periods; mining earns 1 per MW per period; a conversion at t=0
    # earns 3 (rent over both periods), at t=1 earns 1.5: convert all at t=0 → 10 × 3
    data = toy_data([[1 * M, 1 * M]], lease=[3 * M, 1.5 * M])
    sol = plan(data)
    np.testing.assert_allclose(sol.convert_mw, [[10.0, 0.0]], atol=1e-9)
    assert sol.objective_usd == pytest.approx(30 * M)
    np.testing.assert_allclose(sol.mining_mw, [[0.0, 0.0]], atol=1e-9)


def test_keeps_mining_when_mining_beats_lease() -> None:
    # mining 2 per period: never (4) beats t=0 (3) and t=1 (2 + 1.5)
    data = toy_data([[2 * M, 2 * M]], lease=[3 * M, 1.5 * M])
    sol = plan(data)
    np.testing.assert_allclose(sol.convert_mw, 0.0, atol=1e-9)
    assert sol.objective_usd == pytest.approx(40 * M)
    np.testing.assert_allclose(sol.mining_mw, [[10.0, 10.0]])


def test_converts_later_when_mining_fades() -> None:
    # mining 3 then 0.5; converting at t=1 (3 + 1.5 = 4.5) beats t=0 (3) and never (3.5)
    data = toy_data([[3 * M, 0.5 * M]], lease=[3 * M, 1.5 * M])
    sol = plan(data)
    np.testing.assert_allclose(sol.convert_mw, [[0.0, 10.0]], atol=1e-9)
    assert sol.objective_usd == pytest.approx(45 * M)


def test_mining_stops_where_it_loses_money() -> None:
    # a tier with a negative margin in period 1 is switched off there, not converted
    data = toy_data([[1 * M, -1 * M]], lease=[0.0, 0.0])
    sol = plan(data)
    np.testing.assert_allclose(sol.mining_mw, [[10.0, 0.0]])
    assert sol.objective_usd == pytest.approx(10 * M)


def test_worst_tier_is_displaced_first() -> None:
    # two 5 MW tiers on a 10 MW site; converting 5 MW (demand cap) displaces the worse
    data = toy_data(np.array([[[2 * M, 1 * M]]]), fleet_site=[0, 0], fleet_mw=5.0, lease=[1.5 * M])
    sol = plan(data, ai_demand_it_mw_per_period=5.0)
    np.testing.assert_allclose(sol.convert_mw, [[5.0]])
    assert sol.objective_usd == pytest.approx(5 * 2 * M + 5 * 1.5 * M)


# ------------------------------------------------------------------ binding resources and duals


def test_capex_budget_binds_with_the_right_dual() -> None:
    # each MW converted at t=0 gains 3 − 0.5 − 2 = 0.5 and costs 1 of budget: the budget of
    # 4 buys 4 MW, and one more USD of budget is worth 0.5 USD
    data = toy_data([[1 * M, 1 * M]], lease=[3 * M, 1.5 * M], capex_pv=[0.5 * M, 0.5 * M],
                    capex_usd_per_mw=1 * M)  # fmt: skip
    sol = plan(data, capex_budget_usd=4 * M)
    np.testing.assert_allclose(sol.convert_mw, [[4.0, 0.0]], atol=1e-9)
    assert sol.objective_usd == pytest.approx(6 * 2 * M + 4 * 2.5 * M)
    assert sol.shadow_prices["Company-capex-budget-upper"][0] == pytest.approx(0.5)
    # debt capacity extends the budget one for one
    assert sol.shadow_prices["Company-debt-capacity-upper"][0] == pytest.approx(0.5)
    more = plan(data, capex_budget_usd=4 * M, debt_capacity_usd=2 * M)
    np.testing.assert_allclose(more.convert_mw, [[6.0, 0.0]], atol=1e-9)


def test_ai_demand_and_construction_duals_in_usd_per_mw() -> None:
    # 0.5 per gross MW at t=0; with PUE 2 one IT MW of demand is 2 gross MW → 1 per IT MW
    data = toy_data([[1 * M, 1 * M]], lease=[2.5 * M, 0.5 * M], it_mw_per_mw=0.5)
    sol = plan(data, ai_demand_it_mw_per_period=2.0)
    np.testing.assert_allclose(sol.convert_mw, [[4.0, 0.0]], atol=1e-9)
    np.testing.assert_allclose(sol.shadow_prices["Market-ai-demand-upper"], [1 * M, 0.0], atol=1)
    sol = plan(data, construction_mw_per_period=3.0)
    np.testing.assert_allclose(sol.convert_mw, [[3.0, 0.0]], atol=1e-9)
    np.testing.assert_allclose(
        sol.shadow_prices["Company-construction-upper"], [0.5 * M, 0.0], atol=1
    )


def test_capex_per_period_follows_the_spend_profile() -> None:
    # capex of a t=0 decision is spent half in t=0, half in t=1; 1 per MW; 2 per period
    spend = np.array([[[0.5, 0.5], [0.0, 1.0]]])
    data = toy_data([[1 * M, 1 * M]], lease=[3 * M, 1.5 * M], capex_usd_per_mw=1 * M,
                    spend=spend)  # fmt: skip
    sol = plan(data, capex_budget_usd_per_period=2 * M)
    np.testing.assert_allclose(sol.convert_mw, [[4.0, 0.0]], atol=1e-9)


def test_min_ai_share_forces_conversion() -> None:
    data = toy_data([[2 * M, 2 * M]], lease=[3 * M, 1.5 * M])
    sol = plan(data, min_ai_share_frac=0.3)
    np.testing.assert_allclose(sol.converted_mw[0, -1], 3.0)
    # cheapest way: convert at t=1 (loses 2, earns 1.5) rather than t=0 (loses 4, earns 3)
    np.testing.assert_allclose(sol.convert_mw, [[0.0, 3.0]], atol=1e-9)


# ------------------------------------------------------------------ risk


@pytest.mark.parametrize(("lam", "convert"), [(0.0, 0.0), (0.2, 0.0), (0.3, 10.0), (2.0, 10.0)])
def test_cvar_switches_the_decision_at_the_hand_derived_lambda(lam: float, convert: float) -> None:
    # two equally likely futures: mining pays 10 per MW or 0; the lease pays 4 for sure.
    # Converting a share y: E = 5 − y (per MW), CVaR_0.5(loss) = −4y, so the objective
    # 5 − y + 4λy converts everything iff λ > 1/4.
    data = toy_data([[10 * M], [0.0]], lease=[4 * M])
    sol = plan(data, cvar_alpha_frac=0.5, risk_aversion=lam)
    np.testing.assert_allclose(sol.convert_mw, [[convert]], atol=1e-9)
    npv = scenario_npv_usd(data, sol.convert_mw)
    assert sol.objective_usd == pytest.approx(objective_usd(npv, lam, 0.5))


def test_cvar_term_equals_the_sample_cvar() -> None:
    rng = np.random.default_rng(3)
    data = toy_data(rng.normal(1, 1, (20, 3)) * M, lease=rng.uniform(1, 3, 3) * M)
    sol = plan(data, risk_aversion=0.7, cvar_alpha_frac=0.8)
    expected = np.mean(sol.npv_usd) - 0.7 * cvar_loss_usd(sol.npv_usd, 0.8)
    assert sol.objective_usd == pytest.approx(expected, rel=1e-7)


def test_cvar_loss_of_a_known_sample() -> None:
    # losses −NPV = (−3, −1, 0, 2); α = 0.5: mean of the worst half = (0 + 2) / 2 = 1
    assert cvar_loss_usd(np.array([3.0, 1.0, 0.0, -2.0]), 0.5) == pytest.approx(1.0)
    # α = 0.6 puts 0.4 of the mass in the tail: (2·0.25 + 0·0.15) / 0.4 = 1.25
    assert cvar_loss_usd(np.array([3.0, 1.0, 0.0, -2.0]), 0.6) == pytest.approx(1.25)


# ------------------------------------------------------------------ lead time


def test_lead_time_rent_is_in_the_coefficient_not_the_schedule() -> None:
    # a converted MW stops mining at once, whatever the lead time: the stock counts from
    # the decision period
    data = toy_data([[1 * M, 1 * M, 1 * M]], lease=[5 * M, 0.0, 0.0], rent_start_period=2)
    sol = plan(data)
    np.testing.assert_allclose(sol.converted_mw, [[10.0, 10.0, 10.0]])
    np.testing.assert_allclose(sol.mining_mw, 0.0, atol=1e-9)


# ------------------------------------------------------------------ infeasibility


def test_infeasible_names_min_share_against_ai_demand() -> None:
    data = toy_data([[1 * M, 1 * M]], lease=[3 * M, 1.5 * M])
    with pytest.raises(
        PlanInfeasibleError, match=r"Company-ai-share-lower.*Market-ai-demand-upper"
    ):
        plan(data, min_ai_share_frac=0.5, ai_demand_it_mw_per_period=2.0)


def test_infeasible_names_min_share_against_construction() -> None:
    data = toy_data([[1 * M, 1 * M]], lease=[3 * M, 1.5 * M])
    with pytest.raises(PlanInfeasibleError) as info:
        plan(data, min_ai_share_frac=0.9, construction_mw_per_period=4.0,
             ai_demand_it_mw_per_period=100.0)  # fmt: skip
    assert info.value.families == ["Company-ai-share-lower", "Company-construction-upper"]
    assert "construction_mw_per_period=4.0" in str(info.value)


def test_infeasible_names_blocks_when_only_whole_blocks_miss_the_share() -> None:
    data = toy_data([[1 * M, 1 * M]], lease=[3 * M, 1.5 * M])
    with pytest.raises(PlanInfeasibleError) as info:
        plan(data, min_ai_share_frac=0.3, max_ai_share_frac=0.35, integer_block_mw=4.0)
    assert "Site-convert-block-equality" in info.value.families


def test_infeasible_names_the_capex_budget() -> None:
    data = toy_data([[1 * M, 1 * M]], lease=[3 * M, 1.5 * M], capex_usd_per_mw=1 * M)
    with pytest.raises(PlanInfeasibleError, match="capex budget"):
        plan(data, min_ai_share_frac=0.5, capex_budget_usd=2 * M)


def test_model_names_every_family_it_builds() -> None:
    data = toy_data([[1 * M, 1 * M]], lease=[3 * M, 1.5 * M], capex_usd_per_mw=1 * M)
    spec = SPEC.model_copy(
        update={"capex_budget_usd": 1e9, "capex_budget_usd_per_period": 1e9, "debt_ltv_frac": 0.5,
                "construction_mw_per_period": 5.0, "ai_demand_it_mw_per_period": 5.0,
                "min_ai_share_frac": 0.1, "max_ai_share_frac": 0.9, "integer_block_mw": 1.0,
                "risk_aversion": 1.0}
    )  # fmt: skip
    from dataclasses import replace

    m = build_model(replace(data, signal_bucket=np.array([[0, 1]])), spec)
    assert set(m.constraints) == set(FAMILIES)


# ------------------------------------------------------------------ MILP blocks vs brute force


def _brute_force(data, spec, lam: float) -> tuple[float, np.ndarray]:
    _n_s, n_t, n_k, _ = data.shape
    b = spec.integer_block_mw
    per_site = round(data.convertible_mw[0] / b)
    options = [c for c in itertools.product(range(per_site + 1), repeat=n_t) if sum(c) <= per_site]
    best = (-np.inf, None)
    for combo in itertools.product(options, repeat=n_k):
        x = np.array(combo, dtype=float) * b
        if (x.sum(axis=0) > spec.construction_mw_per_period + 1e-9).any():
            continue
        value = objective_usd(scenario_npv_usd(data, x), lam, spec.cvar_alpha_frac)
        if value > best[0]:
            best = (value, x)
    return best


def test_milp_equals_brute_force_over_blocks() -> None:
    # 2 sites × 4 periods, 5 MW blocks on 10 MW sites, one block of construction per period,
    # three futures and a CVaR term: enumerate every block schedule (225 minus the ones
    # over the construction limit)
    rng = np.random.default_rng(11)
    margin = rng.uniform(0.0, 2.0, (3, 4, 2)) * np.linspace(1.5, 0.3, 4)[None, :, None] * M
    lease = rng.uniform(1.0, 4.0, (2, 4)) * np.linspace(1.0, 0.4, 4) * M
    data = toy_data(margin, sites=2, fleet_site=[0, 1], lease=lease)
    spec = SPEC.model_copy(update={"integer_block_mw": 5.0, "construction_mw_per_period": 5.0,
                                   "cvar_alpha_frac": 0.6})  # fmt: skip
    lam = 0.4
    value, x = _brute_force(data, spec, lam)
    sol = solve_plan(data, spec, risk_aversion=lam)
    assert sol.objective_usd == pytest.approx(value, rel=1e-7)
    np.testing.assert_allclose(sol.convert_mw, x, atol=1e-6)
    # the LP relaxation is at least as good and gives the shadow prices
    assert "Company-construction-upper" in sol.shadow_prices
    relaxed = solve_plan(data, spec, risk_aversion=lam, relax=True)
    assert relaxed.objective_usd >= value - 1e-6


# ------------------------------------------------------------------ deterministic best


def test_single_scenario_lp_equals_the_deterministic_best_schedule() -> None:
    # with one future and λ = 0 each site's MW convert all at the best period or never:
    # enumerate T + 1 choices per site and compare with the LP
    rng = np.random.default_rng(5)
    n_t = 6
    margin = rng.uniform(0.2, 1.5, (1, n_t, 3)) * np.linspace(1.6, 0.2, n_t)[None, :, None] * M
    lease = np.cumsum(rng.uniform(0.4, 1.0, (3, n_t))[:, ::-1], axis=1)[:, ::-1] * M
    data = toy_data(margin, sites=3, fleet_site=[0, 1, 2], lease=lease,
                    capex_pv=0.8 * M)  # fmt: skip
    best_total, best_x = 0.0, np.zeros((3, n_t))
    for k in range(3):
        values = []
        for tau in [None, *range(n_t)]:
            x = np.zeros((3, n_t))
            if tau is not None:
                x[k, tau] = 10.0
            values.append((float(scenario_npv_usd(data, x)[0]), tau))
        _value, tau = max(values, key=lambda v: v[0])
        if tau is not None:
            best_x[k, tau] = 10.0
    best_total = float(scenario_npv_usd(data, best_x)[0])
    sol = plan(data)
    assert sol.objective_usd == pytest.approx(best_total, rel=1e-9)
    np.testing.assert_allclose(sol.convert_mw, best_x, atol=1e-7)


# ------------------------------------------------------------------ properties


@st.composite
def problems(draw):
    n_s = draw(st.integers(1, 3))
    n_t = draw(st.integers(1, 4))
    n_k = draw(st.integers(1, 2))
    tiers = draw(st.lists(st.integers(0, n_k - 1), min_size=1, max_size=3))
    floats = st.floats(-1.0, 3.0, allow_nan=False)
    margin = np.array(draw(st.lists(floats, min_size=n_s * n_t * len(tiers),
                                    max_size=n_s * n_t * len(tiers))))  # fmt: skip
    lease = np.array(draw(st.lists(st.floats(0.0, 5.0), min_size=n_k * n_t, max_size=n_k * n_t)))
    data = toy_data(
        margin.reshape(n_s, n_t, len(tiers)) * M,
        sites=n_k,
        fleet_site=tiers,
        fleet_mw=draw(st.floats(1.0, 12.0)),
        lease=lease.reshape(n_k, n_t) * M,
    )
    lam = draw(st.sampled_from([0.0, 0.5, 3.0]))
    demand = draw(st.sampled_from([None, 4.0]))
    return data, lam, demand


@settings(max_examples=12, deadline=None)
@given(problems())
def test_mw_are_conserved_and_the_lp_matches_the_evaluator(problem) -> None:
    data, lam, demand = problem
    sol = plan(data, risk_aversion=lam, ai_demand_it_mw_per_period=demand)
    assert (sol.convert_mw >= -1e-9).all()
    assert (sol.converted_mw[:, -1] <= data.convertible_mw + 1e-7).all()
    mine = mining_mw(data, sol.convert_mw)
    for k in range(len(data.site)):
        by_site = mine[:, :, data.fleet_site == k].sum(axis=-1)  # (S, T)
        assert (by_site + sol.converted_mw[k][None, :] <= data.site_mw[k][None, :] + 1e-7).all()
    # the LP's second stage is optimal per scenario: its NPVs equal the evaluator's
    np.testing.assert_allclose(sol.npv_usd, scenario_npv_usd(data, sol.convert_mw),
                               rtol=1e-7, atol=1e-3)  # fmt: skip


# ------------------------------------------------------------------ decision rule


def test_decision_rule_adapts_to_the_hashprice_band() -> None:
    # two futures, one 10 MW site: mining pays 1 then 0 (A) or 1 then 3 (B); converting
    # at t=0 is worth 2.5 per MW, at t=1 2.0. One schedule for both: convert at t=1,
    # (3 + 3) / 2 = 3 per MW. A rule that sees A's hashprice fall at t=1 converts in A
    # only: (3 + 4) / 2 = 3.5 per MW.
    from dataclasses import replace

    from hashpivot.planner.baselines import rule_schedule
    from hashpivot.planner.data import bucket_edges, signal_buckets, signal_state

    signal = np.array([[50.0, 10.0], [50.0, 60.0]])
    data = toy_data([[1 * M, 0.0], [1 * M, 3 * M]], lease=[2.5 * M, 2 * M], signal=signal)
    static = plan(data)
    assert static.objective_usd == pytest.approx(30 * M)
    state = signal_state(signal)
    np.testing.assert_allclose(state, [[50.0, 10.0], [50.0, 50.0]])
    edges = bucket_edges(state, 2)
    bands = signal_buckets(state, edges)
    np.testing.assert_array_equal(bands, [[0, 0], [0, 1]])
    rule = plan(replace(data, signal_bucket=bands))
    assert rule.objective_usd == pytest.approx(35 * M)
    np.testing.assert_allclose(rule.rule_converted_mw[0, 1], [10.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(rule.scenario_convert_mw[:, 0, :], [[0, 10], [0, 0]], atol=1e-9)
    # applied to the same paths, the rule gives the same conversions and NPVs
    x = rule_schedule(data, SPEC, rule.rule_converted_mw, edges)
    np.testing.assert_allclose(x, rule.scenario_convert_mw, atol=1e-9)
    np.testing.assert_allclose(scenario_npv_usd(data, x), rule.npv_usd)


def test_rule_never_unconverts_on_fresh_paths() -> None:
    # a fresh path whose band falls back asks for a lower target: the stock is held
    from hashpivot.planner.baselines import rule_schedule

    data = toy_data([[1 * M, 1 * M, 1 * M]], signal=[[50.0, 10.0, 60.0]])
    targets = np.array([[[0.0, 0.0], [10.0, 0.0], [0.0, 0.0]]])  # (K, T, B)
    edges = np.array([[np.inf], [30.0], [30.0]])
    x = rule_schedule(data, SPEC, targets, edges)
    np.testing.assert_allclose(x, [[[0.0, 10.0, 0.0]]])
