"""Counterparties as a shared risk (issue #20, item 3): named tenants, an AI-market factor."""

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hashpivot import ai, risk
from hashpivot.cli.scenario import load_or_default
from hashpivot.company import engine
from hashpivot.simulation import Simulation, lease_tenants, market_paths


def default_month(u: np.ndarray, p: float) -> np.ndarray:
    """The engine's inverse transform: months after the lease's start (engine._rent_share)."""
    return 12.0 * np.log(u) / np.log1p(-p)


def test_one_tenant_defaults_on_both_leases_in_the_same_year_analytic() -> None:
    # p = 0.1/yr, 10 years. One tenant: P(both default in the same year) = P(default
    # within 10 y) = 1 - 0.9^10 = 0.6513. Two independent tenants: sum over years of
    # (0.9^y · 0.1)^2 = 0.01 (1 - 0.81^10)/0.19 = 0.04623.
    n = 200_000
    u = np.random.default_rng(1).random((n, 2))
    z = np.zeros(n)
    p = np.array([0.1, 0.1])
    starts = np.zeros(2)
    for ids, expected in (([0, 0], 1 - 0.9**10), ([0, 1], 0.01 * (1 - 0.81**10) / 0.19)):
        v = risk.tenant_default_uniforms(u, np.array(ids), starts, p, z, 0.0)
        year = np.floor(default_month(v, 0.1) / 12.0)
        both = np.mean((year[:, 0] == year[:, 1]) & (year[:, 0] < 10))
        se = np.sqrt(expected * (1 - expected) / n)
        assert both == pytest.approx(expected, abs=4 * se)


def test_later_lease_of_a_tenant_defaults_in_the_same_calendar_month() -> None:
    u = np.random.default_rng(2).random((1_000, 2))
    starts = np.array([3.0, 10.0])
    v = risk.tenant_default_uniforms(
        u, np.array([0, 0]), starts, np.full(2, 0.2), np.zeros(1_000), 0.0
    )
    calendar = default_month(v, 0.2) + starts
    assert calendar[:, 1] == pytest.approx(calendar[:, 0])


def test_ai_bust_paths_default_more_often() -> None:
    n = 100_000
    rng = np.random.default_rng(3)
    z = rng.standard_normal(n)
    u = rng.random((n, 1))
    v = risk.tenant_default_uniforms(u, np.array([0]), np.zeros(1), np.full(1, 0.05), z, 0.24)
    defaulted = default_month(v[:, 0], 0.05) < 120.0
    assert defaulted[z < -1].mean() > 1.5 * defaulted[z > 1].mean()
    # the marginal default probability is unchanged by the factor: 1 - 0.95^10 = 0.4013
    assert defaulted.mean() == pytest.approx(1 - 0.95**10, abs=4 * np.sqrt(0.24 / n))
    with pytest.raises(ValueError, match=r"tenant_ai_corr_frac: 1\.0"):
        risk.tenant_default_uniforms(u, np.array([0]), np.zeros(1), np.full(1, 0.05), z, 1.0)


def test_ai_factor_scores_are_normal_scores_within_each_block() -> None:
    gpu = np.exp(np.random.default_rng(4).normal(size=(2_000, 12)))
    z = risk.ai_factor_scores(gpu, 1_000)
    assert z[:1_000].mean() == pytest.approx(0.0, abs=1e-12)
    assert np.sort(z[:1_000]) == pytest.approx(np.sort(z[1_000:]))  # same scores per block
    low = np.argmin(np.log(gpu[:1_000]).mean(axis=1))
    assert z[low] == z[:1_000].min()


def _two_leases(same_tenant: bool):
    """The default scenario with its lease split into two halls of 23 IT MW."""
    sc = load_or_default(None)
    site = sc.sites[0]
    conv = site.conversions[0]
    lease = conv.lease
    halls = []
    for i, phase in enumerate(lease.energisation):
        tenant = "Fluidstack" if same_tenant else f"Tenant {i}"
        new = lease.model_copy(update={"tenant": tenant, "it_mw": phase.it_mw,
                                       "energisation": (phase,),
                                       "tenant_default_prob_per_year": 0.1})  # fmt: skip
        halls.append(conv.model_copy(update={"name": f"Hall {i}", "gross_mw": conv.gross_mw / 2,
                                             "lease": new}))  # fmt: skip
    sites = (site.model_copy(update={"conversions": tuple(halls)}), *sc.sites[1:])
    return sc.model_copy(update={"sites": sites})


def _both_default_same_year(same_tenant: bool) -> float:
    sc = _two_leases(same_tenant)
    tl = engine.Timeline.from_start(sc.start_date, sc.horizon_months)
    market, _ = market_paths(sc, tl, seed=9, n_blocks=10)
    _, starts, _ = lease_tenants(sc, tl)
    calendar = default_month(market.default_uniform, 0.1) + starts
    year = np.floor(calendar / 12.0)
    return float(np.mean((year[:, 0] == year[:, 1]) & (calendar.max(axis=1) < tl.n)))


def test_scenario_with_one_tenant_behind_two_leases_defaults_together() -> None:
    shared, apart = _both_default_same_year(True), _both_default_same_year(False)
    assert shared > 3 * apart
    assert shared > 0.3


def test_shared_tenant_rent_stops_in_the_same_month_in_the_cash_flows() -> None:
    sim = Simulation(_two_leases(True), frontier_shares=(), compare_pure_mining=False)
    flows = sim.cash_flows(paths=300, seed=9)
    rents = [flows.flow(p, "revenue_usd") for p in flows.projects if p.segment == "colocation"]
    # per path, the first month each lease collects less than its month before (a default)
    first = [np.argmax(np.diff(r, axis=1) < -1.0, axis=1) for r in rents]
    hit = (first[0] > 0) & (first[1] > 0)
    assert hit.sum() > 10
    assert np.array_equal(first[0][hit], first[1][hit])


def test_no_named_tenants_and_no_factor_change_nothing() -> None:
    sc = load_or_default(None)
    tl = engine.Timeline.from_start(sc.start_date, sc.horizon_months)
    # the scenario's own ρ by default: 0.24 (Basel IRB corporate upper end)
    assert sc.market_model.tenant_ai_corr_frac == 0.24
    a, _ = market_paths(sc, tl, seed=1)
    c, _ = market_paths(sc, tl, seed=1, tenant_ai_corr_frac=0.24)
    assert np.array_equal(a.default_uniform, c.default_uniform)
    # one unnamed tenant per lease and ρ = 0: the independent uniforms, untouched
    b, _ = market_paths(sc, tl, seed=1, tenant_ai_corr_frac=0.0)
    zero = sc.model_copy(update={"market_model": sc.market_model.model_copy(
        update={"tenant_ai_corr_frac": 0.0})})  # fmt: skip
    d, _ = market_paths(zero, tl, seed=1)
    assert np.array_equal(b.default_uniform, d.default_uniform)
    assert not np.array_equal(a.default_uniform, b.default_uniform)


def test_by_default_tenants_default_more_where_the_ai_market_falls() -> None:
    # the default ρ = 0.24: on paths in the lowest third of the AI factor (mean log GPU
    # rental index) the lease's default uniform is higher (an earlier default, the engine's
    # 12·ln U/ln(1 − p)) than on the top third; with ρ = 0 the thirds are alike
    from hashpivot import risk
    from hashpivot.simulation import BLOCK_PATHS

    sc = load_or_default(None)
    tl = engine.Timeline.from_start(sc.start_date, sc.horizon_months)
    m, _ = market_paths(sc, tl, seed=4, n_blocks=4)
    z = risk.ai_factor_scores(m.gpu_price_index, BLOCK_PATHS)
    low, high = z < np.quantile(z, 1 / 3), z > np.quantile(z, 2 / 3)
    u = m.default_uniform[:, 0]
    # E[U | Z] for U = Φ(−√ρ Z − √(1−ρ) ε): the thirds differ by several standard errors
    gap = u[low].mean() - u[high].mean()
    se = np.sqrt(u[low].var() / low.sum() + u[high].var() / high.sum())
    assert gap > 5 * se
    m0, _ = market_paths(sc, tl, seed=4, n_blocks=4, tenant_ai_corr_frac=0.0)
    u0 = m0.default_uniform[:, 0]
    assert abs(u0[low].mean() - u0[high].mean()) < 4 * se


@settings(max_examples=50)
@given(
    st.lists(st.floats(0.0, 1e7), min_size=1, max_size=60),
    st.floats(0.0, 1e8),
)
def test_backstop_pays_at_most_its_cap(lost: list[float], cap: float) -> None:
    paid = ai.backstop_paid_usd(np.array(lost), np.array(cap))
    assert paid.sum() <= cap + 1e-6 * max(cap, 1.0)
    assert np.all(paid <= np.array(lost) + 1e-9)


def test_backstop_in_the_engine_never_pays_more_than_its_cap() -> None:
    # a lease whose tenant defaults at once (p = 1): every dollar collected is the backstop's
    sc = load_or_default(None)
    site = sc.sites[0]
    conv = site.conversions[0]
    cap = 50e6
    lease = conv.lease.model_copy(update={"tenant_default_prob_per_year": 1.0,
                                          "backstop_usd": cap})  # fmt: skip
    sites = (site.model_copy(update={"conversions": (conv.model_copy(update={"lease": lease}),)}),
             *sc.sites[1:])  # fmt: skip
    sim = Simulation(sc.model_copy(update={"sites": sites}), frontier_shares=(),
                     compare_pure_mining=False)  # fmt: skip
    flows = sim.cash_flows(paths=50, seed=1)
    rent = next(flows.flow(p, "revenue_usd") for p in flows.projects if p.segment == "colocation")
    assert rent.sum(axis=1) == pytest.approx(np.full(50, cap))  # the whole cap, not more
    assert dt.date(2026, 1, 1) >= sc.start_date


def test_cli_run_tenant_ai_corr() -> None:
    import json

    from typer.testing import CliRunner

    from hashpivot.cli import app

    runner = CliRunner()
    base = json.loads(runner.invoke(app, ["run", "--paths", "1000", "--json"]).stdout)
    res = runner.invoke(app, ["run", "--paths", "1000", "--json", "--tenant-ai-corr", "0.5"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["tenant_ai_corr_frac"] == 0.5
    assert out["hybrid"]["npv_usd"]["mean"] != base["hybrid"]["npv_usd"]["mean"]
    assert out["pure_mining"]["npv_usd"] == base["pure_mining"]["npv_usd"]  # no tenants
    bad = runner.invoke(app, ["run", "--paths", "1000", "--tenant-ai-corr", "1.5"])
    assert bad.exit_code == 2
