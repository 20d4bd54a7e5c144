"""Report tables show numbers as an analyst reads them: no scientific notation, USD in M/k.

Issue 25 item 3: every report of ``run``, ``dispatch``, ``betas``, ``events`` and ``sweep``
is rendered and its tables are searched for a number in scientific notation.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from _synthetic_equities import write_synthetic_csvs
from hashpivot.cli import app
from hashpivot.report.html import (
    is_usd_name,
    plain_number,
    readable_frame,
    table_section,
    usd_text,
)

SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE][+-]?\d+")


def tables(html_text: str) -> list[str]:
    """The HTML tables of a report (plotly's figure data is not a table)."""
    return re.findall(r"<table.*?</table>", html_text, flags=re.S)


def assert_plain_tables(path: Path) -> None:
    found = tables(path.read_text(encoding="utf-8"))
    assert found, f"{path.name}: no table"
    for t in found:
        hits = SCIENTIFIC.findall(re.sub(r"<[^>]+>", " ", t))
        assert not hits, f"{path.name}: scientific notation {hits[:5]}"


def invoke(*args: str) -> None:
    res = CliRunner().invoke(app, list(args), env={"COLUMNS": "160", "NO_COLOR": "1"})
    assert res.exit_code == 0, res.output


# ------------------------------------------------------------------ the formatting


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (-1.425e8, "-142,500,000"),  # the example, no longer -1.425e+08
        (0.9489002, "0.9489"),
        (5422.617, "5,423"),
        (29.03613, "29.04"),
        (1e-7, "0.0000001000"),
        (1e-12, "0"),
        (0.0, "0"),
        (float("nan"), "—"),
    ],
)
def test_plain_number_known_values(value: float, text: str) -> None:
    assert plain_number(value) == text


@given(st.floats(min_value=-1e15, max_value=1e15, allow_nan=False))
def test_plain_number_reads_back_without_exponent(x: float) -> None:
    text = plain_number(x)
    assert "e" not in text.lower()
    back = float(text.replace(",", ""))
    # 4 significant digits, or the 10th decimal for tiny values
    assert back == pytest.approx(x, rel=5e-4, abs=1e-10)


def test_usd_columns_in_millions_or_thousands() -> None:
    frame = pd.DataFrame(
        {"month": ["2024-01", "2024-02"], "profit_usd": [-1.425e8, 2.5e6], "cost_usd": [950.0, 5e3]}
    )
    out = readable_frame(frame)
    assert list(out.columns) == ["month", "profit_usd [M USD]", "cost_usd [k USD]"]
    assert out["profit_usd [M USD]"].tolist() == ["-142.50", "2.50"]
    assert out["cost_usd [k USD]"].tolist() == ["0.95", "5.00"]
    assert usd_text(5_240_812.5) == "5.24 M USD"
    assert usd_text(49_850.2) == "49.85 k USD"
    body = table_section("t", frame).body_html
    assert "overflow" not in body  # the scroll box is a CSS class of the report's style
    assert "class='tablebox'" in body


# ------------------------------------------------------------------ every report


def test_run_report_tables(tmp_path: Path) -> None:
    report = tmp_path / "run.html"
    invoke("run", "--paths", "1000", "--seed", "1", "--report", str(report))
    assert_plain_tables(report)
    assert "[M USD]" in report.read_text(encoding="utf-8")


def test_dispatch_report_tables(tmp_path: Path) -> None:
    hours = 24 * 40
    stamps = pd.date_range("2024-06-01 01:00", periods=hours, freq="h")
    rng = np.random.default_rng(3)
    price = 30 + 20 * rng.standard_normal(hours)
    price[::97] = 2500.0
    prices = tmp_path / "prices.csv"
    pd.DataFrame(
        {"interval_end_local": stamps.strftime("%Y-%m-%d %H:%M"), "LZ_WEST": price}
    ).to_csv(prices, index=False)
    load = tmp_path / "load.csv"
    pd.DataFrame(
        {
            "date": (stamps - pd.Timedelta(hours=1)).strftime("%Y-%m-%d"),
            "hour_ending_num": np.tile(np.arange(1, 25), 40),
            "ERCOT": 60_000 + 5_000 * rng.random(hours),
        }
    ).to_csv(load, index=False)
    report = tmp_path / "dispatch.html"
    invoke(
        "dispatch", "--prices", str(prices), "--node", "LZ_WEST", "--same-node",
        "--scenario", "default", "--load", str(load), "--ai-mw", "20", "--paths", "20",
        "--report", str(report),
    )  # fmt: skip
    assert_plain_tables(report)


def test_equities_report_tables(tmp_path: Path) -> None:
    prices, btc = write_synthetic_csvs(tmp_path, n_days=700)
    betas = tmp_path / "betas.html"
    invoke("betas", "--prices", str(prices), "--btc", str(btc), "--report", str(betas))
    assert_plain_tables(betas)
    events = [
        {"event_id": f"{t.lower()}-1", "ticker": t, "partner": "Tenant", "date": "2021-06-09",
         "date_basis": "test", "kind": "colocation_lease", "headline": "Lease signed",
         "as_of": "2021-06-10", "source_url": "https://example.com/deal"}
        for t in ("MINR", "AIDC")
    ]  # fmt: skip
    deals = tmp_path / "deals.yaml"
    deals.write_text(yaml.safe_dump({"events": events}), encoding="utf-8")
    report = tmp_path / "events.html"
    invoke(
        "events", "--prices", str(prices), "--events", str(deals), "--btc", str(btc),
        "--report", str(report),
    )  # fmt: skip
    assert_plain_tables(report)


def test_sweep_report_tables(tmp_path: Path) -> None:
    from hashpivot.report.sweep import write_sweep_report
    from hashpivot.sweep.core import Sweep, SweepSpec

    spec = SweepSpec.model_validate(
        {
            "name": "numbers",
            "fixed": {"horizon_months": 12},
            "paths": 200,
            "seed": 2,
            "one_way_points": 2,
            "parameters": [
                {
                    "path": "sites[*].power.price_usd_per_mwh",
                    "label": "power price",
                    "apply": "multiply",
                    "low": 0.8,
                    "high": 1.2,
                },
            ],
            "metrics": ["hybrid.npv_usd.mean", "variance_reduction_frac"],
        }
    )
    result = Sweep(spec).run(workers=1, output_dir=tmp_path / "sweep")
    assert_plain_tables(write_sweep_report(result, tmp_path / "sweep.html"))


@given(st.floats(min_value=-1e15, max_value=1e15, allow_nan=False))
def test_terminal_cells_have_no_exponent(x: float) -> None:
    from hashpivot.cli.common import fmt

    text = fmt(x)
    assert "e" not in text.lower()
    assert float(text.replace(",", "")) == pytest.approx(x, rel=5e-3, abs=1e-10)


def test_usd_names() -> None:
    for name in ("profit_usd", "hybrid.npv_usd.mean", "ebitda_usd_per_year", "npv_usd.cvar5"):
        assert is_usd_name(name), name
    for name in ("price_usd_per_mwh", "variance_reduction_frac", "usd", "btc_mined"):
        assert not is_usd_name(name), name


def test_sweep_tornado_in_usd_millions() -> None:
    from hashpivot.report.sweep import _tornado_table

    torn = pd.DataFrame(
        {
            "metric": ["hybrid.npv_usd.mean", "variance_reduction_frac"],
            "metric_low": [-1.425e8, 0.2],
            "metric_base": [1e8, 0.25],
            "metric_high": [2e8, 0.3],
            "swing": [3.425e8, 0.1],
            "std_error": [2e6, 0.01],
        }
    )
    out = _tornado_table(torn)
    assert out["metric"].tolist() == ["hybrid.npv_usd.mean [M USD]", "variance_reduction_frac"]
    assert out["metric_low"].tolist() == pytest.approx([-142.5, 0.2])
    assert out["swing"].tolist() == pytest.approx([342.5, 0.1])
