"""``hashpivot run``: the main job's JSON, its reproducibility, the table and the report."""

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from hashpivot.cli import app

runner = CliRunner()

BLOCK_KEYS = {"mean", "std", "p5", "p50", "p95", "cvar5"}


def invoke(*args: str, columns: int = 160):
    return runner.invoke(app, ["run", *args], env={"COLUMNS": str(columns), "NO_COLOR": "1"})


def _json(*args: str) -> tuple[str, dict]:
    res = invoke("--paths", "1000", *args, "--json")
    assert res.exit_code == 0, res.output
    return res.stdout, json.loads(res.stdout)


def test_json_keys_and_same_seed_same_json() -> None:
    text, out = _json("--seed", "3")
    again, _ = _json("--seed", "3")
    assert text == again  # byte for byte
    other, _ = _json("--seed", "4")
    assert other != text
    assert out["paths"] == 1000
    assert out["seed"] == 3
    for variant in ("pure_mining", "hybrid"):
        for block in ("npv_usd", "ebitda_usd_per_year"):
            assert set(out[variant][block]) >= BLOCK_KEYS
            d = out[variant][block]
            assert d["p5"] <= d["p50"] <= d["p95"]
            assert d["cvar5"] <= d["p5"]
    assert 0.0 < out["variance_reduction_frac"] < 1.0
    assert isinstance(out["btc_beta"], float)
    # the default scenario's AI lease hedges: hybrid EBITDA varies less than pure mining's
    assert (
        out["hybrid"]["ebitda_usd_per_year"]["std"]
        < out["pure_mining"]["ebitda_usd_per_year"]["std"]
    )


def test_table_fits_80_columns_without_cutting_numbers() -> None:
    res = invoke("--paths", "1000", "--seed", "1", columns=80)
    assert res.exit_code == 0, res.output
    assert "…" not in res.output  # no cell cut short
    assert "EBITDA per year" in res.output
    assert "variance reduction of annual EBITDA" in res.output
    assert "AI-share frontier" in res.output


def test_report_has_the_plots_and_no_cdn(tmp_path: Path) -> None:
    path = tmp_path / "mc.html"
    res = invoke("--paths", "1000", "--seed", "1", "--report", str(path))
    assert res.exit_code == 0, res.output
    html = path.read_text(encoding="utf-8")
    for title in (
        "Hashprice",
        "Network hashrate",
        "Revenue mix",
        "EBITDA: pure mining vs hybrid",
        "AI-share frontier",
    ):
        assert title in html
    assert not re.search(r"<script[^>]*\bsrc=", html)  # plotly inlined, nothing fetched
    assert not list(tmp_path.glob(".*.tmp"))


def test_bad_paths_exit_2() -> None:
    res = invoke("--paths", "10")
    assert res.exit_code == 2
    assert "--paths" in res.output


def test_flows_csv(tmp_path: Path) -> None:
    import pandas as pd

    path = tmp_path / "flows.csv"
    res = invoke("--paths", "1000", "--seed", "2", "--flows", str(path), "--flow-paths", "5")
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(path)
    assert set(frame["variant"]) == {"hybrid", "pure_mining"}
    assert sorted(frame["path"].unique()) == [0, 1, 2, 3, 4]
    assert {"mining", "colocation", "corporate"} <= set(frame["segment"])
    assert set(frame.loc[frame["variant"] == "pure_mining", "segment"]) == {"mining", "corporate"}
    res = invoke("--paths", "1000", "--flows", str(tmp_path / "x.csv"), "--flow-paths", "2000")
    assert res.exit_code == 2
    assert "--flow-paths: 2000 (must be <= --paths 1000)" in res.output
    assert not (tmp_path / "x.csv").exists()
