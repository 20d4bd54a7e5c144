"""Running sweeps: tidy results, Dask equals serial, failure isolation, resume, CLI."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from hashpivot.cli import app
from hashpivot.store.runstore import RunStore
from hashpivot.sweep import run as sweep_run
from hashpivot.sweep.core import PointOutcome, Sweep, SweepResult, SweepSpec
from hashpivot.sweep.run import PointCache, run_serial

VOL = "market_model.btc_price.volatility_frac_per_year"
LEASE = "sites[*].conversions[0].lease.rate_usd_per_kw_month"
POWER = "sites[*].power.price_usd_per_mwh"
METRICS = ["hybrid.npv_usd.mean", "hybrid.npv_usd.cvar5", "variance_reduction_frac"]


def small(**fields: Any) -> dict[str, Any]:
    """A 5-point sweep of a 12-month horizon at 1 000 paths (about 0.1 s a point)."""
    data: dict[str, Any] = {
        "name": "small",
        "fixed": {"horizon_months": 12},
        "paths": 1000,
        "seed": 9,
        "one_way_points": 2,
        "parameters": [
            {"path": VOL, "label": "BTC volatility", "values": [0.35, 0.8]},
            {"path": POWER, "label": "power price", "apply": "multiply", "low": 0.8, "high": 1.2},
        ],
        "metrics": METRICS,
    }
    data.update(fields)
    return data


def sweep_of(**fields: Any) -> Sweep:
    return Sweep(SweepSpec.model_validate(small(**fields)))


def bad_csv_point(tmp_path: Path) -> dict[str, Any]:
    """A BTC price CSV that covers no simulated month: valid as a spec, fails when run."""
    csv = tmp_path / "prices.csv"
    csv.write_text("date,price_usd\n1990-01-31,100\n", encoding="utf-8")
    return {"model": "csv", "paths_csv": str(csv)}


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> tuple[SweepResult, Path]:
    folder = tmp_path_factory.mktemp("serial")
    # common random numbers: the tornado shows the parameters' effect, not sampling noise
    return sweep_of(random_numbers="common").run(workers=1, output_dir=folder), folder


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A running 2-worker LocalCluster: its scheduler address, as for --scheduler."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as lc:
        yield lc.scheduler_address


# --------------------------------------------------------------------------- results


def test_tidy_table_one_row_per_point_and_metric(serial: tuple[SweepResult, Path]) -> None:
    result, folder = serial
    frame = result.to_frame()
    assert len(frame) == 5 * len(METRICS)
    assert list(frame.columns[-2:]) == ["metric", "value"]
    assert {VOL, POWER} <= set(frame.columns)
    assert frame.groupby("point")["metric"].nunique().eq(len(METRICS)).all()
    saved = (
        duckdb.connect().execute(f"SELECT * FROM read_parquet('{folder / 'results.parquet'}')").df()
    )
    pd.testing.assert_frame_equal(
        saved[["point", "metric", "value"]], frame[["point", "metric", "value"]], check_dtype=False
    )
    summary = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
    assert summary["ok"] == 5
    assert summary["failed"] == 0


def test_tornado_and_one_way(serial: tuple[SweepResult, Path]) -> None:
    result, _ = serial
    torn = result.tornado()
    assert len(torn) == 2 * len(METRICS)
    npv = torn[(torn["metric"] == "hybrid.npv_usd.mean") & (torn["parameter"] == POWER)].iloc[0]
    assert (npv["low"], npv["high"], npv["base_value"]) == (0.8, 1.2, 1.0)
    assert npv["metric_high"] < npv["metric_low"]  # dearer power on the same paths, less value
    assert npv["std_error"] > 0
    curves = result.one_way(["hybrid.npv_usd.mean"])
    assert curves["is_base"].sum() == 2  # the base point joins both curves at its value
    assert result.two_way() == []  # no joint design


def test_results_do_not_depend_on_order() -> None:
    tasks = sweep_of().tasks()
    forward: list[PointOutcome] = []
    backward: list[PointOutcome] = []
    run_serial(tasks, forward.append)
    run_serial(tasks[::-1], backward.append)
    assert {o.index: o.metrics for o in forward} == {o.index: o.metrics for o in backward}


def test_two_worker_local_cluster_equals_serial() -> None:
    sw = sweep_of(design="grid", design_parameters=[VOL, POWER])
    on_dask = sw.run(workers=2)
    assert on_dask.executor == "LocalCluster(2)"
    in_process = sw.run(workers=1)
    assert in_process.summary()["ok"] == len(sw.points) == 11  # 1 + 2 + 2 one-way + 2 × 3 grid
    pd.testing.assert_frame_equal(on_dask.to_frame(), in_process.to_frame(), check_exact=True)


def test_failed_point_is_isolated_on_dask(cluster: str, tmp_path: Path) -> None:
    sw = Sweep(
        SweepSpec.model_validate(
            small(
                one_way_points=0,
                design="list",
                parameters=[
                    {
                        "path": "market_model.btc_price",
                        "values": [{"model": "gbm"}, bad_csv_point(tmp_path), {"model": "jump"}],
                    }
                ],
            )
        )
    )
    result = sw.run(scheduler=cluster, output_dir=tmp_path / "out")
    assert result.summary()["ok"] == 3
    (failure,) = result.failures()
    assert failure["point"] == 2
    assert "paths_csv" in failure["values"]
    assert "no price for 12 simulated month" in failure["error"]
    assert not PointCache(tmp_path / "out").path(sw.points[2].key).exists()
    again = sw.run(workers=1, output_dir=tmp_path / "out")
    assert (again.summary()["reused"], again.summary()["failed"]) == (3, 1)


def test_interrupted_sweep_resumes_without_recomputing(tmp_path: Path) -> None:
    sw = sweep_of()
    seen: list[int] = []

    def stop_after_two(outcome: PointOutcome) -> None:
        seen.append(outcome.index)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sw.run(workers=1, output_dir=tmp_path, on_outcome=stop_after_two)
    files = sorted((tmp_path / "points").glob("*.parquet"))
    assert len(files) == 2
    stamps = [f.stat().st_mtime_ns for f in files]
    outcomes: list[PointOutcome] = []
    result = sw.run(workers=1, output_dir=tmp_path, on_outcome=outcomes.append)
    assert sorted(o.index for o in outcomes if o.reused) == sorted(seen)
    assert sum(not o.reused for o in outcomes) == len(sw.points) - 2
    assert [f.stat().st_mtime_ns for f in files] == stamps
    fresh = sweep_of().run(workers=1)
    pd.testing.assert_frame_equal(result.to_frame(), fresh.to_frame(), check_exact=True)


def test_common_random_numbers_compute_a_repeated_point_once(tmp_path: Path) -> None:
    sw = sweep_of(random_numbers="common", parameters=[{"path": VOL, "values": [0.5, 0.8]}])
    assert sw.points[0].key == sw.points[1].key  # the one-way 0.5 is the base
    result = sw.run(workers=1, output_dir=tmp_path)
    assert result.outcomes[0].metrics == result.outcomes[1].metrics
    assert len(list((tmp_path / "points").glob("*.parquet"))) == 2


def test_planner_decision_across_the_sweep(tmp_path: Path) -> None:
    sw = sweep_of(
        parameters=[{"path": LEASE, "values": [60, 150, 250]}],
        metrics=["planner.first_period_convert_mw", "hybrid.npv_usd.mean"],
        planner={"scenarios": 30, "horizon_periods": 8},
    )
    result = sw.run(workers=1)
    assert result.summary()["failed"] == 0, result.failures()
    mw = result.to_frame().query("metric == 'planner.first_period_convert_mw'")
    assert (mw["value"] >= 0).all()
    flips = result.decision_flips()
    assert list(flips.columns[:2]) == ["parameter", "label"]
    from hashpivot.report.sweep import write_sweep_report

    html = write_sweep_report(result, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Conversion decision" in html


def test_report_is_self_contained(serial: tuple[SweepResult, Path], tmp_path: Path) -> None:
    from hashpivot.report.sweep import write_sweep_report

    html = write_sweep_report(serial[0], tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Tornado: hybrid.npv_usd.mean" in html
    assert "One-way" in html
    assert "<script src=" not in html.replace(" ", "")  # plotly.js inlined, no CDN


# --------------------------------------------------------------------------- CLI

runner = CliRunner()


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), env={"COLUMNS": "160", "NO_COLOR": "1"})


def write_spec(tmp_path: Path, **fields: Any) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(small(**fields)), encoding="utf-8")
    return path


def test_cli_json_and_saved_run(tmp_path: Path) -> None:
    spec = write_spec(tmp_path)
    store = tmp_path / "runs.duckdb"
    res = invoke(
        "sweep",
        str(spec),
        "--workers",
        "1",
        "--output",
        str(tmp_path / "out"),
        "--json",
        "--save",
        "--store",
        str(store),
        "--report",
        str(tmp_path / "r.html"),
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert (out["points"], out["ok"], out["failed"]) == (5, 5, 0)
    assert [p["status"] for p in out["results"]] == ["ok"] * 5
    assert out["results"][1]["values"] == {VOL: 0.35}
    assert set(out["results"][0]["metrics"]) == set(METRICS)
    assert (tmp_path / "out" / "results.parquet").is_file()
    assert (tmp_path / "r.html").is_file()
    (info,) = RunStore(store).list_runs(kind="sweep")
    frame = RunStore(store).get_per_path(info.run_id)
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) == 5
    assert "hybrid.npv_usd.mean" in frame.columns


def test_cli_table_output_and_resume(tmp_path: Path) -> None:
    spec = write_spec(tmp_path)
    args = ("sweep", str(spec), "--workers", "1", "--output", str(tmp_path / "out"))
    first = invoke(*args)
    assert first.exit_code == 0, first.output
    assert "Tornado: hybrid.npv_usd.mean (million USD)" in first.stdout
    second = invoke(*args)
    assert "5 ok (5 reused)" in second.stdout


def test_cli_invalid_point_exits_2_before_running(tmp_path: Path) -> None:
    spec = write_spec(
        tmp_path, parameters=[{"path": "sites[0].power.price_usd_per_mwh", "values": [40, -5000]}]
    )
    res = invoke("sweep", str(spec), "--workers", "1", "--output", str(tmp_path / "out"))
    assert res.exit_code == 2
    assert "point 2" in res.stderr
    assert "sites[0].power.price_usd_per_mwh" in res.stderr
    assert not (tmp_path / "out").exists()


def test_cli_failed_point_exits_1(tmp_path: Path) -> None:
    spec = write_spec(
        tmp_path,
        one_way_points=0,
        design="list",
        parameters=[
            {
                "path": "market_model.btc_price",
                "values": [{"model": "gbm"}, bad_csv_point(tmp_path)],
            }
        ],
    )
    res = invoke("sweep", str(spec), "--workers", "1", "--output", str(tmp_path / "out"))
    assert res.exit_code == 1
    assert "1 failed point(s)" in res.stdout
    assert "point 2 (list: market_model.btc_price" in res.stdout


def test_cli_on_an_existing_scheduler(cluster: str, tmp_path: Path) -> None:
    spec = write_spec(tmp_path)
    res = invoke(
        "sweep", str(spec), "--scheduler", cluster, "--json", "--output", str(tmp_path / "out")
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["executor"] == cluster


def test_cli_unreachable_scheduler_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sweep_run, "CONNECT_TIMEOUT_S", 0.5)
    res = invoke(
        "sweep",
        str(write_spec(tmp_path)),
        "--scheduler",
        "tcp://127.0.0.1:1",
        "--output",
        str(tmp_path / "out"),
    )
    assert res.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in res.stderr


def test_cli_example_prints_a_valid_spec() -> None:
    res = invoke("sweep", "--example")
    assert res.exit_code == 0
    assert yaml.safe_load(res.stdout)["name"] == "default-miner-sensitivity"


def test_local_cluster_settings_restore_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import dask

    monkeypatch.delenv("HASHPIVOT_TEST_MARK", raising=False)
    before = dict(os.environ)
    with sweep_run.local_cluster_settings():
        os.environ["HASHPIVOT_TEST_MARK"] = "1"  # as Dask's nannies do with worker env
        spawn_env = dask.config.get("distributed.nanny.pre-spawn-environ")
        assert spawn_env["MALLOC_ARENA_MAX"] == "1"
        assert spawn_env["NUMBA_NUM_THREADS"] == "1"
    assert dict(os.environ) == before


def _history_csv(path: Path, seed: int, days: int = 3000) -> Path:
    """A synthetic daily history with the columns the bootstrap reads (random walk)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    r = 0.0005 + 0.03 * rng.standard_normal(days)
    pd.DataFrame(
        {
            "date": pd.date_range("2010-01-01", periods=days, freq="D").strftime("%Y-%m-%d"),
            "price_usd_cm": 1000 * np.exp(np.cumsum(r)),
            "drv_fees_btc": 20 * np.exp(0.3 * rng.standard_normal(days)),
            "drv_blocks_est": rng.poisson(144, days).astype(float),
            "hashrate_ths_bc": 1e8 * np.exp(np.cumsum(0.002 + 0.2 * r)),
        }
    ).to_csv(path, index=False)
    return path


def test_editing_a_bootstrap_history_recomputes_the_points(tmp_path: Path) -> None:
    csv = _history_csv(tmp_path / "history.csv", seed=1)
    sw = sweep_of(
        fixed={"horizon_months": 12, "market_model.btc_price": {"model": "bootstrap",
                                                                "history_csv": str(csv)}},
        parameters=[{"path": POWER, "apply": "multiply", "values": [0.8, 1.2]}],
    )  # fmt: skip
    first = sw.run(workers=1, output_dir=tmp_path / "out")
    assert (first.summary()["ok"], first.summary()["reused"]) == (3, 0)
    again = Sweep(sw.spec).run(workers=1, output_dir=tmp_path / "out")
    assert again.summary()["reused"] == 3  # same file: every point reused
    _history_csv(csv, seed=2)  # same name, new contents
    edited = Sweep(sw.spec).run(workers=1, output_dir=tmp_path / "out")
    assert (edited.summary()["ok"], edited.summary()["reused"]) == (3, 0)
    before = first.to_frame().query("metric == 'hybrid.npv_usd.mean'")["value"].to_numpy()
    after = edited.to_frame().query("metric == 'hybrid.npv_usd.mean'")["value"].to_numpy()
    assert (before != after).all()  # the new history changed every point's numbers


def test_point_key_covers_numeric_dependency_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    from hashpivot.sweep import design

    sw = sweep_of()
    point = sw.points[0]
    assert set(design.dependency_versions()) == {"numpy", "scipy", "pandas", "numba", "highspy"}
    key = design.point_key(sw.spec, point.scenario, point.seed)
    assert key == point.key
    bumped = {**design.dependency_versions(), "numpy": "0.0.1"}
    monkeypatch.setattr(design, "dependency_versions", lambda: bumped)
    assert design.point_key(sw.spec, point.scenario, point.seed) != key
