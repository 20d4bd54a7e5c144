"""``hashpivot plan --save`` and ``hashpivot dispatch --save``: runs that ``runs list`` shows.

Issue 21 item 11: the README promised ``--save`` for ``plan`` and ``dispatch``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from _planner_toys import synthetic_market
from hashpivot.cli import app
from hashpivot.planner import plan as plan_module
from hashpivot.store.runstore import RunStore

runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), env={"COLUMNS": "160", "NO_COLOR": "1"})


def sampler(scenario, tl, seed, first_block, n_blocks):  # type: ignore[no-untyped-def]
    """Synthetic stand-in for simulation.market_paths (as in test_planner_plan)."""
    return synthetic_market(scenario, tl.n, 1000 * n_blocks, seed=seed * 7919 + first_block)


def listed(store: Path, kind: str) -> list[dict]:  # type: ignore[type-arg]
    res = invoke("runs", "list", "--kind", kind, "--store", str(store), "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)["runs"]  # type: ignore[no-any-return]


def test_plan_save(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan_module, "simulation_sampler", sampler)
    settings = tmp_path / "planner.yaml"
    settings.write_text("horizon_periods: 8\nfrontier_risk_aversions: [0.0]\n", encoding="utf-8")
    store = tmp_path / "runs.duckdb"
    args = ("plan", "--planner", str(settings), "--scenarios", "20", "--evaluation-paths", "50")
    res = invoke(*args, "--seed", "5", "--save", "--store", str(store), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    runs = listed(store, "plan")
    assert [r["run_id"] for r in runs] == [out["run_id"]]
    assert runs[0]["seed"] == 5
    st = RunStore(store)
    saved = st.get_run(out["run_id"])
    assert saved.summary["expected_npv_usd"] == pytest.approx(out["expected_npv_usd"])
    assert saved.summary["planner"]["scenarios"] == 20
    per_path = st.get_per_path(out["run_id"])
    assert isinstance(per_path, dict)
    assert len(per_path["planner"]) == 50  # out-of-sample NPV of each fresh path
    # without --save nothing is stored
    res = invoke(*args, "--store", str(store), "--json")
    assert res.exit_code == 0, res.output
    assert "run_id" not in json.loads(res.stdout)
    assert len(listed(store, "plan")) == 1


def test_dispatch_save(tmp_path: Path) -> None:
    hours = 24 * 4
    stamps = pd.date_range("2024-07-01 01:00", periods=hours, freq="h")
    price = np.full(hours, 30.0)
    price[[5, 30]] = 800.0
    prices = tmp_path / "prices.csv"
    pd.DataFrame(
        {"interval_end_local": stamps.strftime("%Y-%m-%d %H:%M"), "LZ_WEST": price}
    ).to_csv(prices, index=False)
    store = tmp_path / "runs.duckdb"
    res = invoke(
        "dispatch", "--prices", str(prices), "--node", "LZ_WEST", "--mining-mw", "10",
        "--hashprice-usd-per-ph-day", "50", "--paths", "8", "--seed", "2",
        "--save", "--store", str(store), "--json",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    runs = listed(store, "dispatch")
    assert [r["run_id"] for r in runs] == [out["run_id"]]
    st = RunStore(store)
    saved = st.get_run(out["run_id"])
    assert saved.summary["uptime_frac"] == pytest.approx(out["uptime_frac"])
    assert "monthly" not in saved.summary
    assert saved.scenario()["sites"][0]["node"] == "LZ_WEST"
    per_path = st.get_per_path(out["run_id"])
    assert isinstance(per_path, dict)
    flex = per_path["flexibility_value_usd"]
    assert flex.shape == (8,)
    assert float(np.mean(flex)) == pytest.approx(
        out["monte_carlo"]["flexibility_value_usd"]["mean"]
    )
    # the human output names the saved run
    res = invoke(
        "dispatch", "--prices", str(prices), "--node", "LZ_WEST", "--mining-mw", "10",
        "--save", "--store", str(store),
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "saved run" in res.output
    assert len(listed(store, "dispatch")) == 2


def test_company_save_records_the_network_model_override(tmp_path: Path) -> None:
    # the saved scenario is the one that ran: --network-model is written into it, so
    # reloading the saved run reproduces the fixed-growth base path, not the supply curve
    store = tmp_path / "runs.duckdb"
    args = ("company", "--network-model", "fixed_growth", "--save", "--store", str(store))
    res = invoke(*args, "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    saved = RunStore(store).get_run(out["run_id"])
    assert saved.scenario()["network_model"]["model"] == "fixed_growth"
    assert saved.summary["network_model"] == "fixed_growth"
