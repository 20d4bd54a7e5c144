"""``hashpivot validate`` warns when a scenario's market inputs are stale (issue 25 item 9)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from hashpivot.cli import app
from hashpivot.market_age import height_date, months_between, stale_market_warnings
from hashpivot.network.chain import estimate_height
from hashpivot.spec import default_scenario, default_scenario_text

runner = CliRunner()


@pytest.mark.parametrize(
    ("height", "mined"),
    [
        # block timestamps (UTC) as block explorers show them, e.g.
        # https://mempool.space/block/700000 and https://mempool.space/block/800000
        (700_000, dt.date(2021, 9, 11)),
        (800_000, dt.date(2023, 7, 24)),
        (840_000, dt.date(2024, 4, 20)),  # the fourth halving, an anchor
    ],
)
def test_height_date_within_two_weeks_of_the_chain(height: int, mined: dt.date) -> None:
    assert abs((height_date(height) - mined).days) <= 14


@given(st.dates(min_value=dt.date(2009, 1, 3), max_value=dt.date(2040, 1, 1)))
def test_height_date_inverts_estimate_height(day: dt.date) -> None:
    assert abs((height_date(round(estimate_height(day))) - day).days) <= 1


def test_months_between_by_hand() -> None:
    assert months_between(dt.date(2024, 12, 31), dt.date(2025, 1, 1)) == 0
    assert months_between(dt.date(2024, 6, 30), dt.date(2025, 1, 1)) == 6
    assert months_between(dt.date(2024, 1, 15), dt.date(2025, 1, 1)) == 11


def test_default_scenario_is_fresh() -> None:
    # as_of 2024-12-31, height 877 260 (2024-12-31), start 2025-01-01
    assert stale_market_warnings(default_scenario()) == []


def write(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load(default_scenario_text())
    for key, value in changes.items():
        if key == "block_height":
            data["market"]["block_height"] = value
        else:
            data[key] = value
    path = tmp_path / "sc.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_validate_warns_and_exits_0(tmp_path: Path) -> None:
    # start 2025-09-01: as_of and the height's day (2024-12-31) are 8 months before
    path = write(tmp_path, start_date="2025-09-01")
    res = runner.invoke(app, ["validate", str(path)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "ok:" in res.output
    flat = " ".join(res.output.split())
    assert "warning: as_of: 2024-12-31" in flat
    assert "8 months before start_date 2025-09-01" in flat
    assert "market.block_height 877260" in flat
    out = json.loads(
        runner.invoke(app, ["validate", str(path), "--json"], env={"COLUMNS": "200"}).stdout
    )
    assert out["valid"] is True
    assert len(out["warnings"]) == 2


def test_height_copied_from_an_old_file_is_caught(tmp_path: Path) -> None:
    # as_of moved to the start, but the height is block 800 000's (July 2023)
    path = write(tmp_path, as_of="2025-01-01", block_height=800_000)
    out = json.loads(runner.invoke(app, ["validate", str(path), "--json"]).stdout)
    assert len(out["warnings"]) == 1
    assert out["warnings"][0].startswith("market.block_height 800000:")
    # exactly six months old is not more than six months: no warning
    path = write(tmp_path, as_of="2024-07-01", block_height=877_260, start_date="2025-01-01")
    out = json.loads(runner.invoke(app, ["validate", str(path), "--json"]).stdout)
    assert out["warnings"] == []
