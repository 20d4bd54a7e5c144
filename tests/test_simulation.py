import json
from dataclasses import replace

import numpy as np
import pytest
import yaml

from hashpivot import finance, kernels
from hashpivot.company import engine
from hashpivot.simulation import (
    Simulation,
    ai_share_variant,
    evaluate_chunk,
    in_threads,
    joint_plan,
    lease_plan,
    market_paths,
    pure_mining,
)
from hashpivot.spec import default_scenario, default_scenario_text, scenario_from_dict


@pytest.fixture(scope="module")
def small():
    sc = default_scenario()
    return Simulation(sc, frontier_shares=(0.0, 0.5, 1.0)).run(paths=2000, seed=11)


def test_same_seed_same_numbers(small) -> None:
    again = Simulation(default_scenario(), frontier_shares=(0.0, 0.5, 1.0)).run(paths=2000, seed=11)
    assert json.dumps(small.summary()) == json.dumps(again.summary())


def test_results_do_not_depend_on_chunk_size(small) -> None:
    sc = default_scenario()
    chunked = Simulation(sc, frontier_shares=(0.0, 0.5, 1.0)).run(
        paths=2000, seed=11, chunk_paths=1000
    )
    for name in ("hybrid", "pure_mining"):
        np.testing.assert_array_equal(
            small.variants[name]["npv_usd"], chunked.variants[name]["npv_usd"]
        )


def test_hybrid_is_less_volatile_than_pure_mining(small) -> None:
    s = small.summary()
    assert (
        s["hybrid"]["ebitda_usd_per_year"]["std"] < s["pure_mining"]["ebitda_usd_per_year"]["std"]
    )
    assert s["variance_reduction_frac"] > 0
    assert s["hybrid"]["btc_beta"] < s["pure_mining"]["btc_beta"]


def test_summary_keys(small) -> None:
    s = small.summary()
    assert s["paths"] == 2000
    for variant in ("pure_mining", "hybrid"):
        for block in ("npv_usd", "ebitda_usd_per_year"):
            assert {"mean", "std", "p5", "p50", "p95", "cvar5"} <= set(s[variant][block])
    assert [p["ai_share_frac"] for p in s["frontier"]] == [0.0, 0.5, 1.0]


def test_frontier_zero_share_is_pure_mining(small) -> None:
    np.testing.assert_allclose(
        small.variants["ai_share_0.00"]["npv_usd"], small.variants["pure_mining"]["npv_usd"]
    )


def test_variants_conserve_mw() -> None:
    sc = default_scenario()
    half = ai_share_variant(sc, 0.5)
    for site, orig in zip(half.sites, sc.sites, strict=True):
        assert sum(c.gross_mw for c in site.conversions) == pytest.approx(
            0.5 * orig.power_capacity_mw
        )
    assert all(not s.conversions for s in pure_mining(sc).sites)


def test_fans_are_ordered(small) -> None:
    for q in small.fans.values():
        assert np.all(np.diff(q, axis=0) >= -1e-6)


def test_results_do_not_depend_on_the_thread_count(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = Simulation(default_scenario(), frontier_shares=(0.0, 0.5, 1.0))
    answers = []
    for threads in (1, 3):
        monkeypatch.setattr(kernels, "thread_count", lambda n=threads: n)
        answers.append(json.dumps(sim.run(paths=3000, seed=11, chunk_paths=1000).to_dict()))
    assert answers[0] == answers[1]


def _risky_tenants(sc):
    """Half of every site leased to tenants that default often (30 %/yr, 40 % recovered),
    not take-or-pay, so defaults fall inside the horizon on most paths."""
    v = ai_share_variant(sc, 0.5)
    sites = []
    for s in v.sites:
        convs = []
        for c in s.conversions:
            lease = c.lease.model_copy(
                update={"tenant_default_prob_per_year": 0.3, "recovery_frac": 0.4,
                        "take_or_pay": False}
            )  # fmt: skip
            convs.append(c.model_copy(update={"lease": lease}))
        sites.append(s.model_copy(update={"conversions": tuple(convs)}))
    return v.model_copy(update={"sites": tuple(sites)})


@pytest.mark.parametrize("variant", ["default", "risky_tenants", "pure_mining"])
@pytest.mark.parametrize("with_lease_plan", [False, True])
def test_chunk_evaluation_is_the_engines_consolidation(variant: str, with_lease_plan: bool) -> None:
    # The reference is the engine's full per-project path: every lease's (paths, months)
    # rent with each path's default (engine.lease_project), consolidate, finance.dcf.
    # With a lease plan the chunk adds the rent by the compiled pass instead.
    sc = {"default": default_scenario, "risky_tenants": lambda: _risky_tenants(default_scenario()),
          "pure_mining": lambda: pure_mining(default_scenario())}[variant]()  # fmt: skip
    tl = engine.Timeline.from_start(sc.start_date, sc.horizon_months)
    market, _ = market_paths(sc, tl, seed=5, n_blocks=1, n_leases=engine.n_leases(sc))
    leases = lease_plan(sc, tl) if with_lease_plan else None
    assert (leases is not None) == with_lease_plan  # the compiled pass is what is tested
    chunk = evaluate_chunk(sc, tl, market, leases=leases)
    projects = engine.project_flows(sc, tl, market)
    if variant == "risky_tenants":  # the tenants do default on most paths
        rent = sum(p.flows["revenue_usd"] for p in projects if p.segment == "colocation")
        assert (np.diff(rent[:, -1:].ravel()) != 0).any()
        assert leases is None or (leases.alive_months(market.default_uniform) < tl.n).mean() > 0.5
    flows = engine.consolidate(sc, projects, market)
    c = sc.company
    npv = finance.dcf(
        flows["free_cash_flow_usd"], c.wacc_frac_per_year, "gordon", c.terminal_growth_frac_per_year
    ).enterprise_value_usd
    scale = np.abs(npv).max()
    np.testing.assert_allclose(chunk.npv_usd, npv, rtol=1e-12, atol=1e-12 * scale)
    yearly = flows["ebitda_usd"][:, : tl.n // 12 * 12].reshape(len(npv), -1, 12).sum(axis=2)
    scale = np.abs(yearly).max()
    np.testing.assert_allclose(
        chunk.ebitda_usd_by_year[:, : yearly.shape[1]], yearly, rtol=1e-12, atol=1e-12 * scale
    )
    years = -(-tl.n // 12)
    for seg in ("mining", "colocation", "corporate"):
        parts = [p for p in projects if p.segment == seg]
        ebitda = sum(np.broadcast_to(p.ebitda_usd, market.shape).sum(axis=1) for p in parts)
        revenue = sum(np.broadcast_to(p.flows["revenue_usd"], market.shape).sum(0) for p in parts)
        np.testing.assert_allclose(chunk.segment_ebitda_usd[seg], ebitda / years, rtol=1e-10)
        np.testing.assert_allclose(chunk.segment_revenue_usd[seg], revenue, rtol=1e-10, atol=1e-3)


def test_lease_plan_is_refused_when_the_engine_rules_change(monkeypatch) -> None:
    # The compiled pass restates the engine's tax and free cash flow; if the engine's rule
    # changes (here: tax on EBITDA, no depreciation shield), the self-check sees the
    # difference and the Monte Carlo keeps the engine's path.
    sc = default_scenario()
    tl = engine.Timeline.from_start(sc.start_date, sc.horizon_months)
    assert lease_plan(sc, tl) is not None
    real = engine.company_ebitda_fcf

    def no_shield(scenario, mining, others):
        ebitda, fcf = real(scenario, mining, others)
        c = scenario.company
        # fcf + tax·max(ebitda − dep, 0) − tax·max(ebitda, 0): drop the shield
        return ebitda, fcf - c.tax_rate_frac * np.maximum(ebitda, 0.0) * 0.5

    monkeypatch.setattr(engine, "company_ebitda_fcf", no_shield)
    assert lease_plan(sc, tl) is None


def _joint_inputs(variants):
    sc = next(iter(variants.values()))
    tl = engine.Timeline.from_start(sc.start_date, sc.horizon_months)
    plans = {n: engine.mining_plan(v, tl) for n, v in variants.items()}
    leases = {n: lease_plan(v, tl, plans[n]) for n, v in variants.items()}
    return tl, plans, leases


@pytest.mark.skipif(not kernels.HAVE_NUMBA, reason="numba not installed")
def test_joint_pass_is_each_variants_engine_path() -> None:
    # The Monte Carlo's variants in one compiled pass against each variant's engine path
    # (mining_totals, conversion_projects, company_ebitda_fcf, company_value).
    variants = Simulation(default_scenario())._variants()
    tl, plans, leases = _joint_inputs(variants)
    joint = joint_plan(variants, tl, plans, leases)
    assert joint is not None
    sc = variants["hybrid"]
    n_leases = max(engine.n_leases(v) for v in variants.values())
    market, _ = market_paths(sc, tl, seed=8, n_blocks=2, n_leases=n_leases)
    got = joint.evaluate(tl, market)
    for name, v in variants.items():
        ref = evaluate_chunk(v, tl, market, plans[name], None)
        scale = np.abs(ref.npv_usd).max()
        np.testing.assert_allclose(got[name].npv_usd, ref.npv_usd, rtol=1e-12, atol=1e-12 * scale)
        np.testing.assert_allclose(
            got[name].ebitda_usd_by_year, ref.ebitda_usd_by_year, rtol=1e-12, atol=1e-3
        )
        for seg in ("mining", "colocation", "gpu_cloud", "corporate"):
            np.testing.assert_allclose(
                got[name].segment_ebitda_usd[seg], ref.segment_ebitda_usd[seg], rtol=1e-10
            )
            np.testing.assert_allclose(
                got[name].segment_revenue_usd[seg], ref.segment_revenue_usd[seg],
                rtol=1e-10, atol=1e-3,
            )  # fmt: skip


def test_joint_pass_needs_the_same_fleet_thresholds() -> None:
    sc = default_scenario()
    site = sc.sites[0]
    dearer = site.model_copy(
        update={"power": site.power.model_copy(update={"price_usd_per_mwh": 90.0})}
    )
    other = sc.model_copy(update={"sites": (dearer, *sc.sites[1:])})
    variants = {"hybrid": sc, "dearer_power": other}
    tl, plans, leases = _joint_inputs(variants)
    assert all(lp is not None for lp in leases.values())
    assert joint_plan(variants, tl, plans, leases) is None


def test_in_threads_keeps_order_and_raises_the_first_error() -> None:
    assert list(in_threads(lambda x: x * x, list(range(20)), threads=2)) == [
        x * x for x in range(20)
    ]
    assert list(in_threads(lambda x: x + 1, [1, 2], threads=1)) == [2, 3]

    def fails_at_five(x: int) -> int:
        if x == 5:
            raise ValueError("five")
        return x

    with pytest.raises(ValueError, match="five"):
        list(in_threads(fails_at_five, list(range(20)), threads=2))


def test_fixed_power_prices_skip_the_multiplier_with_the_same_numbers_to_rounding() -> None:
    sc = default_scenario()
    tl = engine.Timeline.from_start(sc.start_date, sc.horizon_months)
    market, _ = market_paths(sc, tl, seed=5, n_blocks=1, n_leases=engine.n_leases(sc))
    ones = np.broadcast_to(1.0, (*market.shape, len(sc.sites)))
    assert engine.power_factor(replace(market, power_price_factor=ones)) is None
    materialised = replace(market, power_price_factor=np.ones(ones.shape))
    assert engine.power_factor(materialised) is not None
    a = evaluate_chunk(sc, tl, replace(market, power_price_factor=ones))
    b = evaluate_chunk(sc, tl, materialised)
    # without multipliers all sites' fleets add into one sum, with them site by site
    # rounding of a sum of ~1e9 USD terms in another order: 1e-12 of the largest NPV
    scale = float(np.abs(b.npv_usd).max())
    np.testing.assert_allclose(a.npv_usd, b.npv_usd, rtol=1e-12, atol=1e-12 * scale)
    np.testing.assert_allclose(a.ebitda_usd_by_year, b.ebitda_usd_by_year, rtol=1e-12, atol=1e-3)


def test_ai_share_variants_keep_phase_terms_and_scale_a_backstop() -> None:
    # a lease with a backstop was refused by the frontier (its cap exceeded the resized
    # contract), and a phase's own term was lost when the lease was resized
    data = yaml.safe_load(default_scenario_text())
    lease = data["sites"][0]["conversions"][0]["lease"]
    lease["backstop_usd"] = 1e8
    lease["energisation"][-1]["term_years"] = 12
    scenario = scenario_from_dict(data)
    variant = ai_share_variant(scenario, 0.05)
    base = scenario.sites[0].conversions[0].lease
    small = variant.sites[0].conversions[0].lease
    assert base is not None
    assert small is not None
    scale = small.it_mw / base.it_mw
    assert small.backstop_usd == pytest.approx(1e8 * scale)
    assert small.energisation[-1].term_years == 12
