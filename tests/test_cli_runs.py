"""``hashpivot runs``: list, show, compare, export, delete; --store and $HASHPIVOT_STORE."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from hashpivot.cli import app
from hashpivot.cli import common as cli_common
from hashpivot.cli.runs import Format, Kind
from hashpivot.spec import default_scenario, default_scenario_text
from hashpivot.store.runstore import EXPORT_FORMATS, RUN_KINDS, RunStore

runner = CliRunner()


@pytest.fixture(autouse=True)
def env_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the user's real data directory: the env var points into tmp_path."""
    path = tmp_path / "env" / "runs.duckdb"
    monkeypatch.setenv("HASHPIVOT_STORE", str(path))
    return path


def invoke(*args: str, env_store: Path | None = None):
    env = {"COLUMNS": "200", "NO_COLOR": "1"}
    if env_store is not None:
        env["HASHPIVOT_STORE"] = str(env_store)
    return runner.invoke(app, list(args), env=env)


def as_json(*args: str) -> dict:
    res = invoke(*args, "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich fixes the width at import when COLUMNS is set (80 in pytest-xdist workers)."""
    monkeypatch.setattr(cli_common.console, "_width", 200)


@pytest.fixture
def runs(env_store: Path) -> tuple[str, str, str]:
    st = RunStore(env_store)
    sc = default_scenario()
    a = st.save_run("run", sc, 1, summary={"npv_usd": 100.0, "paths": 10},
                    per_path={"npv_usd": np.arange(10.0), "by_year": np.ones((10, 3))})  # fmt: skip
    other = sc.model_copy(update={"horizon_months": 24})
    b = st.save_run("run", other, 2, summary={"npv_usd": 120.0, "paths": 10}, tags=["long"])
    c = st.save_run("value", {"name": "v"}, None, summary={"ev_usd": 5e9})
    return a, b, c


def test_enums_match_the_store() -> None:
    assert tuple(k.value for k in Kind) == RUN_KINDS
    assert tuple(f.value for f in Format) == EXPORT_FORMATS


@pytest.mark.parametrize("cmd", ["list", "show", "compare", "export", "delete"])
def test_help(cmd: str) -> None:
    res = invoke("runs", cmd, "--help")
    assert res.exit_code == 0
    assert "--store" in res.stdout


def test_list(runs: tuple[str, str, str], env_store: Path) -> None:
    a, b, c = runs
    out = as_json("runs", "list")
    assert out["store"] == str(env_store)
    assert [r["run_id"] for r in out["runs"]] == [c, b, a]
    first = out["runs"][-1]
    assert first["kind"] == "run"
    assert first["seed"] == 1
    assert first["per_path_values"] == 40
    assert set(first) >= {"started_at", "finished_at", "duration_s", "tags", "code_version"}
    assert [r["run_id"] for r in as_json("runs", "list", "--kind", "value")["runs"]] == [c]
    assert len(as_json("runs", "list", "--limit", "1")["runs"]) == 1
    assert len(as_json("runs", "list", "--limit", "0")["runs"]) == 3  # 0: all
    text = invoke("runs", "list").stdout
    assert a in text
    assert "default-us-miner-300mw" in text
    assert "long" in text


def test_list_of_an_empty_or_missing_store(tmp_path: Path) -> None:
    res = invoke("runs", "list", "--store", str(tmp_path / "none.duckdb"))
    assert res.exit_code == 0
    assert "no saved runs" in res.stdout
    assert not (tmp_path / "none.duckdb").exists()
    res = invoke("runs", "list", "--kind", "simulate")
    assert res.exit_code == 2


def test_show(runs: tuple[str, str, str]) -> None:
    a, _, _ = runs
    out = as_json("runs", "show", a)
    assert out["run_id"] == a
    assert out["summary"] == {"npv_usd": 100.0, "paths": 10}
    assert out["scenario"]["name"] == "default-us-miner-300mw"
    assert out["per_path_arrays"][1] == {"name": "by_year", "dtype": "float64", "shape": [10, 3]}
    text = invoke("runs", "show", a).stdout
    assert "npv_usd" in text
    assert "by_year" in text
    assert "10×3" in text
    yaml_text = invoke("runs", "show", a, "--scenario").stdout
    assert yaml_text == RunStore().get_run(a).scenario_yaml


def test_unknown_id_exits_2_with_a_clear_message(runs: tuple[str, str, str]) -> None:
    for args in (["show", "nope"], ["compare", runs[0], "nope"], ["delete", "nope"],
                 ["export", "nope", "--format", "json"]):  # fmt: skip
        res = invoke("runs", *args)
        assert res.exit_code == 2, args
        assert "no run 'nope' in store" in res.stderr
        assert "Traceback" not in res.output


def test_compare(runs: tuple[str, str, str]) -> None:
    a, b, _ = runs
    out = as_json("runs", "compare", a, b)
    assert out["a"]["run_id"] == a
    npv = next(m for m in out["metrics"] if m["metric"] == "npv_usd")
    assert (npv["a"], npv["b"], npv["diff"]) == (100.0, 120.0, 20.0)
    assert npv["rel_diff"] == pytest.approx(0.2)
    assert out["scenarios_differ"] is True
    assert out["scenario_changes"] == [
        {"path": "horizon_months", "a": 60, "b": 24, "change": "changed"}
    ]
    text = invoke("runs", "compare", a, b).stdout
    assert "+20.0%" in text
    assert "horizon_months" in text
    assert "the same in every field" in invoke("runs", "compare", a, a).stdout


def test_export(runs: tuple[str, str, str], tmp_path: Path) -> None:
    a, _, c = runs
    out = as_json("runs", "export", a, "--format", "csv", "--output", str(tmp_path))
    assert out == {"run_id": a, "format": "csv", "written": str(tmp_path / f"{a}.csv")}
    assert len(pd.read_csv(out["written"])) == 40
    pq = as_json("runs", "export", a, "--output", str(tmp_path / "a.parquet"))
    assert pq["format"] == "parquet"
    assert Path(pq["written"]).stat().st_size > 0
    js = as_json("runs", "export", c, "--format", "json", "--output", str(tmp_path / "c.json"))
    assert json.loads(Path(js["written"]).read_text())["summary"] == {"ev_usd": 5e9}
    res = invoke("runs", "export", c, "--format", "csv", "--output", str(tmp_path))
    assert res.exit_code == 2
    assert "no per-path data" in res.stderr


def test_delete(runs: tuple[str, str, str]) -> None:
    a, b, c = runs
    res = invoke("runs", "delete", b)
    assert res.exit_code == 0
    assert f"deleted run {b}" in res.stdout
    assert [r["run_id"] for r in as_json("runs", "list")["runs"]] == [c, a]
    assert as_json("runs", "delete", c)["deleted"]["run_id"] == c


def test_store_option_beats_the_env_var(runs: tuple[str, str, str], tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    only = RunStore(other).save_run("plan", {"name": "elsewhere"}, summary={})
    listed = as_json("runs", "list", "--store", str(other))
    assert [r["run_id"] for r in listed["runs"]] == [only]
    res = invoke("runs", "show", runs[0], "--store", str(other))
    assert res.exit_code == 2
    via_env = invoke("runs", "list", "--json", env_store=other)
    assert [r["run_id"] for r in json.loads(via_env.stdout)["runs"]] == [only]


def test_saved_value_runs_keep_what_was_valued(tmp_path: Path) -> None:
    scenario = tmp_path / "sc.yaml"
    scenario.write_text("# my edits\n" + default_scenario_text(), encoding="utf-8")
    run_id = as_json("value", str(scenario), "--save")["run_id"]
    res = invoke("runs", "show", run_id, "--scenario")
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("# my edits")  # the file, verbatim
    ticker = as_json("catalog", "companies")["companies"][0]["ticker"]
    run_id = as_json("value", ticker, "--save")["run_id"]
    saved = yaml.safe_load(invoke("runs", "show", run_id, "--scenario").stdout)
    assert saved["ticker"] == ticker
    assert saved["company"]["ticker"] == ticker
    assert saved["scenario"]["sites"]
