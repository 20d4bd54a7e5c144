"""The orchestrator and the baselines, on synthetic sampled paths (fresh paths for evaluation)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from _planner_toys import synthetic_market, toy_data
from hashpivot.cli import app
from hashpivot.planner import Planner, PlannerError, PlannerSpec, scenario_npv_usd
from hashpivot.planner import plan as plan_module
from hashpivot.planner.baselines import (
    convert_all_now,
    greedy_schedule,
    never_convert,
    threshold_schedule,
    tune_threshold,
)
from hashpivot.spec import default_scenario

M = 1e6
SPEC = PlannerSpec(scenarios=150, evaluation_paths=600, horizon_periods=24,
                   frontier_risk_aversions=(0.0, 1.0), ai_demand_it_mw_per_period=30.0)  # fmt: skip


def sampler(scenario, tl, seed, first_block, n_blocks):
    """Synthetic stand-in for simulation.market_paths: one stream per block."""
    return synthetic_market(scenario, tl.n, 1000 * n_blocks, seed=seed * 7919 + first_block)


@pytest.fixture(scope="module")
def result():
    return Planner(default_scenario(), SPEC, sampler=sampler).run()


def test_planner_beats_the_best_baseline_on_fresh_paths(result) -> None:
    oos = result.out_of_sample
    assert set(oos) == {"planner", "never_convert", "convert_all_now", "hashprice_threshold"}
    c = result.comparison
    # at λ = 0 the planner's expected NPV on paths it never saw is at least the best
    # baseline's, within 3 standard errors of the paired difference
    assert c["planner_minus_best_expected_npv_usd"] > -3 * c["std_error_usd"]
    assert oos["planner"]["paths"] == 600
    assert oos["hashprice_threshold"]["threshold_usd_per_ph_day"] >= 0.0


def test_risk_aversion_improves_cvar_on_fresh_paths(result) -> None:
    neutral, averse = result.frontier
    assert averse["cvar_usd"] <= neutral["cvar_usd"] + 1e-6
    assert averse["expected_npv_usd"] <= neutral["expected_npv_usd"] + 1e-6
    assert averse["oos_cvar_usd"] < neutral["oos_cvar_usd"]


def test_schedule_respects_limits_and_lead_time(result) -> None:
    sched = result.schedule()
    by_period = sched.groupby("period")["convert_mw"].sum()
    assert (by_period / result.terms.ai_pue <= 30.0 + 1e-6).all()
    lead = result.data.rent_start_period[0]
    for _, rows in sched.groupby("site"):
        conv = rows["convert_mw"].to_numpy()
        leased = rows["leased_mw"].to_numpy()
        stock = np.cumsum(conv)
        np.testing.assert_allclose(leased[lead:], stock[: len(stock) - lead], atol=1e-6)
        assert (leased[:lead] == 0).all()
    site_mw = dict(zip(result.data.site, result.data.site_mw[:, 0], strict=True))
    assert ((sched["mining_mw"] + sched["converted_mw"]) <= sched["site"].map(site_mw) + 1e-6).all()


def test_result_faces(result) -> None:
    d = result.to_dict()
    json.dumps(d, default=str)
    for key in ("status", "schedule", "expected_npv_usd", "cvar_usd", "frontier", "out_of_sample"):
        assert key in d
    assert set(d["schedule"][0]) >= {"site", "period", "convert_mw", "mining_mw"}
    assert set(d["frontier"][0]) >= {"risk_aversion", "expected_npv_usd", "cvar_usd"}
    assert {"expected_npv_usd", "cvar_usd"} <= set(d["out_of_sample"]["planner"])
    frame = result.to_frame()
    assert set(frame.columns) == {"site", "period", "period_start", "metric", "value"}
    assert result.summary()["status"] == "optimal"


def test_report_draws_gantt_frontier_and_comparison(result, tmp_path) -> None:
    from hashpivot.planner.report import gantt_frame, write_plan_report

    path = write_plan_report(result, tmp_path / "plan.html")
    text = path.read_text(encoding="utf-8")
    assert "Gantt" in text
    assert "frontier" in text
    assert "Out of sample" in text
    gantt = gantt_frame(result)
    assert set(gantt["state"]) <= {"under construction", "leased"}


def test_missing_sampler_is_a_clear_error() -> None:
    def broken(*_args):
        raise PlannerError("sampled market paths are not available yet")

    with pytest.raises(PlannerError, match="not available"):
        Planner(default_scenario(), SPEC, sampler=broken).run()


# ------------------------------------------------------------------ baselines on toys


def test_baselines_on_a_toy() -> None:
    spec = PlannerSpec(construction_mw_per_period=4.0)
    data = toy_data([[1 * M, 1 * M, 1 * M]], lease=[3 * M, 2 * M, 1 * M],
                    signal=[[50.0, 30.0, 10.0]])  # fmt: skip
    assert never_convert(data).sum() == 0.0
    np.testing.assert_allclose(convert_all_now(data, spec)[0], [[4.0, 4.0, 2.0]])
    np.testing.assert_allclose(threshold_schedule(data, spec, 35.0)[0], [[0.0, 4.0, 4.0]])
    np.testing.assert_allclose(threshold_schedule(data, spec, 5.0)[0], 0.0)
    # blocks round down; the capex budget stops conversions
    blocks = spec.model_copy(update={"integer_block_mw": 3.0})
    np.testing.assert_allclose(convert_all_now(data, blocks)[0], [[3.0, 3.0, 3.0]])
    toy = toy_data([[1 * M] * 3], lease=3 * M, capex_usd_per_mw=1 * M)
    budget = PlannerSpec(capex_budget_usd=5 * M, debt_capacity_usd=1 * M)
    assert convert_all_now(toy, budget).sum() == pytest.approx(6.0)


def test_threshold_tuned_on_training_is_evaluated_on_fresh_paths() -> None:
    # mining pays 2 while the signal is high, 0 after it falls; the lease pays 1.5 per
    # period left. Converting right when the signal drops is best; the tuned threshold
    # finds it on training paths and keeps it on fresh ones.
    rng = np.random.default_rng(0)

    def paths(n):
        drop = rng.integers(1, 5, n)
        t = np.arange(6)
        signal = np.where(t[None, :] < drop[:, None], 60.0, 20.0)
        margin = np.where(t[None, :] < drop[:, None], 2.0, 0.0) * M
        return toy_data(margin, lease=1.5 * M * (6 - t), signal=signal)

    spec = PlannerSpec()
    train, fresh = paths(200), paths(300)
    level, _ = tune_threshold(train, spec)
    assert 20.0 < level <= 60.0
    tuned = scenario_npv_usd(fresh, threshold_schedule(fresh, spec, level))
    for other in (never_convert(fresh), convert_all_now(fresh, spec)):
        assert tuned.mean() > scenario_npv_usd(fresh, other).mean()
    greedy = greedy_schedule(fresh, spec, np.zeros((300, 6), dtype=bool))
    assert greedy.sum() == 0.0


# ------------------------------------------------------------------ CLI


def _invoke(*args: str):
    return CliRunner().invoke(app, ["plan", *args], env={"COLUMNS": "160", "NO_COLOR": "1"})


@pytest.fixture
def synthetic_sampler(monkeypatch):
    monkeypatch.setattr(plan_module, "simulation_sampler", sampler)


def test_cli_json(synthetic_sampler, tmp_path) -> None:
    report = tmp_path / "plan.html"
    settings = tmp_path / "planner.yaml"
    settings.write_text("horizon_periods: 16\nfrontier_risk_aversions: [0.0, 0.5]\n",
                        encoding="utf-8")  # fmt: skip
    res = _invoke("--planner", str(settings), "--scenarios", "40", "--evaluation-paths", "200",
                  "--risk-aversion", "0.5", "--alpha", "0.9", "--seed", "3", "--json",
                  "--report", str(report))  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["status"] == "optimal"
    assert out["risk_aversion"] == 0.5
    assert out["cvar_alpha_frac"] == 0.9
    assert out["seed"] == 3
    assert out["scenarios"] == 40
    assert {"planner", "never_convert", "convert_all_now", "hashprice_threshold"} <= set(
        out["out_of_sample"]
    )
    assert "std_error_usd" in out["comparison"]
    assert report.exists()


def test_cli_table_and_planner_file(synthetic_sampler, tmp_path) -> None:
    settings = tmp_path / "planner.yaml"
    settings.write_text("horizon_periods: 12\nfrontier_risk_aversions: [0.0]\n", encoding="utf-8")
    res = _invoke("--planner", str(settings), "--scenarios", "30", "--evaluation-paths", "100")
    assert res.exit_code == 0, res.output
    assert "Out of sample" in res.stdout
    assert "planner" in res.stdout


def test_cli_infeasible_exits_2_naming_the_family(synthetic_sampler, tmp_path) -> None:
    settings = tmp_path / "planner.yaml"
    settings.write_text("min_ai_share_frac: 0.9\nai_demand_it_mw_per_period: 1\n"
                        "horizon_periods: 4\n", encoding="utf-8")  # fmt: skip
    res = _invoke("--planner", str(settings), "--scenarios", "10", "--evaluation-paths", "0")
    assert res.exit_code == 2
    assert "Company-ai-share-lower" in res.output
    assert "Market-ai-demand-upper" in res.output


def test_leases_end_with_their_term() -> None:
    spec = SPEC.model_copy(update={"lease_term_years": 1.0, "horizon_periods": 16,
                                   "evaluation_paths": 0, "scenarios": 30,
                                   "frontier_risk_aversions": ()})  # fmt: skip
    res = Planner(default_scenario(), spec, sampler=sampler).run()
    sched = res.schedule()
    lead = res.terms.lead_time_months // 3  # 15 months: 5 quarters
    for _, rows in sched.groupby("site"):
        x = rows["convert_mw"].to_numpy()
        expected = [sum(x[tau] for tau in range(16) if tau + lead <= t < tau + lead + 4)
                    for t in range(16)]  # fmt: skip
        np.testing.assert_allclose(rows["leased_mw"], expected, atol=1e-9)
    assert (sched["leased_mw"] <= sched["converted_mw"] + 1e-9).all()
