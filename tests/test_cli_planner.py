"""``hashpivot plan``'s terminal tables: USD millions, 80 columns, nothing cut (issue 25)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from _planner_toys import synthetic_market
from hashpivot.cli import app, common
from hashpivot.planner import plan as plan_module


def sampler(scenario, tl, seed, first_block, n_blocks):  # type: ignore[no-untyped-def]
    """Synthetic stand-in for simulation.market_paths (as in test_planner_plan)."""
    return synthetic_market(scenario, tl.n, 1000 * n_blocks, seed=seed * 7919 + first_block)


def test_plan_tables_fit_80_columns_in_usd_millions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plan_module, "simulation_sampler", sampler)
    monkeypatch.setattr(common.console, "_width", 80)
    settings = tmp_path / "planner.yaml"
    settings.write_text("horizon_periods: 8\nfrontier_risk_aversions: [0.0, 1.0]\n", "utf-8")
    args = ["plan", "--planner", str(settings), "--scenarios", "20", "--evaluation-paths", "60"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in res.stdout  # no header or number cut
    out = json.loads(CliRunner().invoke(app, [*args, "--json"]).stdout)
    # E[NPV] of the planner on fresh paths, in USD millions as the table prints it
    npv_m = f"{out['out_of_sample']['planner']['expected_npv_usd'] / 1e6:,.1f}"
    assert re.search(rf"│ planner\s+│\s+{re.escape(npv_m)} │", res.stdout)
    assert "E[NPV] USD M" in res.stdout
