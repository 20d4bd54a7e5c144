"""Coefficients of the planner from the company model, and the planner's settings."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from _planner_toys import synthetic_market
from hashpivot import finance
from hashpivot.company import engine
from hashpivot.errors import SpecError
from hashpivot.planner import PlannerSpec, build_data, conversion_terms, load_planner_spec
from hashpivot.planner.baselines import never_convert
from hashpivot.planner.data import (
    DEFAULT_LEASE_RATE_USD_PER_KW_MONTH,
    discount_factors_monthly,
    lease_noi_usd_per_mw_month,
)
from hashpivot.planner.evaluate import scenario_npv_usd
from hashpivot.spec import default_scenario


def pure_mining(scenario):
    sites = tuple(s.model_copy(update={"conversions": ()}) for s in scenario.sites)
    return scenario.model_copy(update={"sites": sites})


SPEC = PlannerSpec(scenarios=40, horizon_periods=8, frontier_risk_aversions=())


@pytest.fixture(scope="module")
def scenario():
    return default_scenario()


@pytest.fixture(scope="module")
def market(scenario):
    return synthetic_market(scenario, 24, 40, seed=1)


def test_shapes_and_site_mw(scenario, market) -> None:
    data = build_data(scenario, SPEC, market)
    assert data.shape == (40, 8, 3, 5)
    # Pecos West: 150 MW less the 60 MW already converted; the others untouched
    np.testing.assert_allclose(data.convertible_mw, [90.0, 100.0, 50.0])
    np.testing.assert_allclose(data.site_mw[:, 0], [90.0, 100.0, 50.0])
    # tiers fit their site (the existing conversion displaced part of the S19 XP)
    for k in range(3):
        assert data.fleet_mw[data.fleet_site == k, 0].sum() <= data.site_mw[k, 0] + 1e-9
    assert data.period_start[1].month == 4


def test_never_convert_npv_equals_the_engine_mining_ebitda(scenario, market) -> None:
    # the planner's mining economics are the engine's: with no new conversion, each
    # scenario's NPV is the PV of the engine's mining EBITDA over the horizon, less the
    # rent of the machines that replace the S19j Pro in month 12: 39.284M USD (14 000 x
    # 3 050 W x 0.92 USD/W) over its 36-month life, 1.091222M USD a month from month 12
    data = build_data(scenario, SPEC, market)
    npv = scenario_npv_usd(data, never_convert(data)[0])
    tl = engine.Timeline.from_start(scenario.start_date, 24)
    mining = [p for p in engine.project_flows(scenario, tl, market) if p.segment == "mining"]
    rent = np.where(np.arange(24) >= 12, 14_000 * 3050 * 0.92 / 36, 0.0)
    ebitda = sum(p.ebitda_usd for p in mining) - rent
    rate = float(finance.monthly_rate(scenario.company.wacc_frac_per_year))
    pv = (ebitda * (1 + rate) ** -np.arange(1.0, 25.0)).sum(axis=1)
    # where a tier's quarter earns less than its rent the plan idles it (the engine, which
    # owns its machines, runs them on cash cost): there the plan's NPV can only be higher
    busy = (data.margin_usd_per_mw >= 0).all(axis=(1, 2))
    assert busy.sum() >= 20
    np.testing.assert_allclose(npv[busy], pv[busy], rtol=1e-9)
    assert np.all(npv[~busy] >= pv[~busy] - 1e-6 * np.abs(pv[~busy]))


def test_lease_terms_come_from_the_scenario_template(scenario) -> None:
    terms = conversion_terms(scenario, SPEC)
    assert terms.rate_usd_per_kw_month == 150.0
    assert terms.lead_time_months == 15
    assert terms.ai_pue == 1.3
    assert terms.capex_usd_per_it_mw == 9e6
    own = conversion_terms(scenario, SPEC.model_copy(update={"lead_time_months": 9}))
    assert own.lead_time_months == 9
    bare = conversion_terms(pure_mining(scenario), SPEC)
    assert bare.rate_usd_per_kw_month == DEFAULT_LEASE_RATE_USD_PER_KW_MONTH
    assert bare.source == "package defaults"


def test_lease_value_starts_after_the_lead_time(scenario, market) -> None:
    # no escalator, no default, no opex: NOI per gross MW is 1000/PUE × rate per month,
    # from month τ·3 + lead for the term, discounted end of month
    sc = pure_mining(scenario)
    spec = SPEC.model_copy(update={"lead_time_months": 7, "lease_term_years": 2.0,
                                   "ai_pue": 1.25, "capex_usd_per_it_mw": 5e6})  # fmt: skip
    data = build_data(sc, spec, market)
    r = float(finance.monthly_rate(sc.company.wacc_frac_per_year))
    terms = conversion_terms(sc, spec)
    noi = lease_noi_usd_per_mw_month(terms, np.zeros(24))
    for tau in (0, 3):
        months = tau * 3 + 7 + np.arange(24)
        expected = float((noi * (1 + r) ** -(months + 1.0)).sum())
        assert data.lease_usd_per_mw[0, tau] == pytest.approx(expected, rel=1e-12)
    assert data.rent_start_period[0] == math.ceil(7 / 3)
    # the rent of a decision in the last period starts after the horizon; it counts
    # only when count_lease_after_horizon
    inside = build_data(sc, spec.model_copy(update={"count_lease_after_horizon": False}), market)
    assert inside.lease_usd_per_mw[0, -1] == 0.0
    assert data.lease_usd_per_mw[0, -1] > 0.0
    # capex per gross MW: 5M per IT MW / 1.25, spread over the 7 build months
    assert data.capex_usd_per_mw[0] == pytest.approx(4e6)
    spend = data.capex_spend_frac[0, 0]
    np.testing.assert_allclose(spend[:3], [3 / 7, 3 / 7, 1 / 7])


def test_lease_noi_first_month_by_hand() -> None:
    # default terms (150 USD/kW-month, 3 % escalator, 3.7 %/yr default at 50 % recovery,
    # opex 25, PUE 1.3): first month NOI per gross MW = 1000/1.3 × (150 − 25)
    terms = conversion_terms(default_scenario(), SPEC)
    noi = lease_noi_usd_per_mw_month(terms, np.zeros(terms.term_months))
    assert noi[0] == pytest.approx(1000 / 1.3 * (150 - 25))
    # month 12: rate × 1.03, share = 0.963 + 0.037 × 0.5 = 0.9815
    assert noi[12] == pytest.approx(1000 / 1.3 * (150 * 1.03 * 0.9815 - 25))


def test_discount_factors_are_end_of_month() -> None:
    df = discount_factors_monthly(0.12, 12)
    assert df[-1] == pytest.approx(1 / 1.12)


def test_too_few_months_is_refused(scenario, market) -> None:
    with pytest.raises(Exception, match="horizon_periods"):
        build_data(scenario, SPEC.model_copy(update={"horizon_periods": 20}), market)


def test_spec_rules_and_yaml(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="min_ai_share_frac"):
        PlannerSpec(min_ai_share_frac=0.6, max_ai_share_frac=0.5)
    with pytest.raises(ValueError, match="cvar_alpha_frac"):
        PlannerSpec(cvar_alpha_frac=1.0)
    path = tmp_path / "plan.yaml"
    path.write_text("planner:\n  risk_aversion: 0.5\n  integer_block_mw: 20\n", encoding="utf-8")
    spec = load_planner_spec(path)
    assert spec.risk_aversion == 0.5
    assert spec.integer_block_mw == 20
    path.write_text("risk_aversion: -1\nscenarioz: 3\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"risk_aversion.*\n.*scenarioz.*did you mean 'scenarios'"):
        load_planner_spec(path)


def test_planned_scenario_through_the_engine_matches_the_planner(scenario) -> None:
    # feed a schedule back into the company model: the engine's pre-tax cash of mining
    # and of the planned leases, less their capex, discounted, equals the planner's NPV
    from hashpivot.planner.feedback import planned_scenario

    months, spec = 36, SPEC.model_copy(update={"horizon_periods": 12,
                                                "count_lease_after_horizon": False,
                                                "lead_time_months": 5})  # fmt: skip
    market = synthetic_market(scenario, months, 40, seed=4)
    data = build_data(scenario, spec, market)
    x = np.zeros((3, 12))
    x[0, 1], x[1, 0], x[1, 3], x[2, 2] = 20.0, 7.5, 40.0, 50.0
    planned = planned_scenario(scenario, data, conversion_terms(scenario, spec), x)
    assert [len(s.conversions) for s in planned.sites] == [2, 2, 1]
    tl = engine.Timeline.from_start(scenario.start_date, months)
    projects = [
        p for p in engine.project_flows(planned, tl, market)
        if p.segment != "corporate" and p.project != "Pecos AI Hall 1"
    ]  # fmt: skip
    cash = sum(p.ebitda_usd - p.flows["capex_usd"] + p.flows["asic_sale_usd"] for p in projects)
    rate = float(finance.monthly_rate(scenario.company.wacc_frac_per_year))
    pv = (cash * (1 + rate) ** -np.arange(1.0, months + 1.0)).sum(axis=1)
    np.testing.assert_allclose(scenario_npv_usd(data, x), pv, rtol=1e-9)


def test_band_edges_are_levels_shared_by_every_period() -> None:
    from hashpivot.planner.data import bucket_edges, signal_buckets, signal_state

    signal = np.array(
        [[50.0, 40.0, 45.0, 20.0], [50.0, 60.0, 30.0, 35.0], [50.0, 55.0, 58.0, 61.0]]
    )
    state = signal_state(signal)
    np.testing.assert_allclose(state[1], [50.0, 50.0, 30.0, 30.0])
    edges = bucket_edges(state, 2)
    assert np.isinf(edges[0]).all()  # nothing is known at t = 0
    np.testing.assert_allclose(edges[1:], np.median(state[:, 1:]))
    bands = signal_buckets(state, edges)
    assert (bands[:, 0] == 0).all()
    np.testing.assert_array_equal(bands[:, 3], [0, 0, 1])
