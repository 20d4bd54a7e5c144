"""``hashpivot dispatch`` through Typer's CliRunner on tiny files written to tmp_path."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hashpivot.cli import app
from hashpivot.spec import default_scenario_text

runner = CliRunner()
KEYS = (
    "hours",
    "uptime_frac",
    "energy_mwh",
    "energy_cost_usd",
    "avg_power_price_usd_per_mwh",
    "mining_revenue_usd",
    "power_credits_usd",
    "four_cp_savings_usd",
    "profit_usd",
)
BREAKEVEN = 50.0 * 1000 / (24 * 20 * 1.05) * 0.98  # 50 USD/PH/day, 20 J/TH, PUE 1.05, 2 % fee


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["dispatch", *args], env={"COLUMNS": "160", "NO_COLOR": "1"})


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    hours = 24 * 3
    stamps = pd.date_range("2024-06-01 01:00", periods=hours, freq="h").strftime("%Y-%m-%d %H:%M")
    price = np.full(hours, 30.0)
    price[[10, 40, 41]] = 900.0  # three spike hours
    prices = tmp_path / "prices.csv"
    pd.DataFrame({"interval_end_local": stamps, "LZ_WEST": price, "LZ_NORTH": price}).to_csv(
        prices, index=False
    )
    days = pd.date_range("2024-06-01", periods=3, freq="D").strftime("%Y-%m-%d")
    load_mw = 50_000 + 1000 * np.sin(np.arange(hours) / 3)
    load = tmp_path / "load.csv"
    pd.DataFrame(
        {
            "date": np.repeat(days, 24),
            "hour_ending_num": np.tile(np.arange(1, 25), 3),
            "ERCOT": load_mw,
        }
    ).to_csv(load, index=False)
    history = tmp_path / "btc.csv"
    pd.DataFrame(
        {
            "date": pd.date_range("2024-05-30", periods=6, freq="D").strftime("%Y-%m-%d"),
            "drv_hashprice_usd_per_phs_day": 50.0,
            "price_usd_cm": 68_000.0,
        }
    ).to_csv(history, index=False)
    scenario = tmp_path / "sc.yaml"
    scenario.write_text(default_scenario_text(), encoding="utf-8")
    return {"prices": prices, "load": load, "history": history, "scenario": scenario}


def as_json(*args: str) -> dict:  # type: ignore[type-arg]
    res = invoke(*args, "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def test_help() -> None:
    res = runner.invoke(app, ["dispatch", "--help"], env={"COLUMNS": "160"})
    assert res.exit_code == 0
    assert "--prices" in res.stdout


def test_json_keys_and_known_answer(files: dict[str, Path]) -> None:
    out = as_json(
        "--prices", str(files["prices"]), "--node", "LZ_WEST",
        "--hashprice-usd-per-ph-day", "50", "--efficiency-j-per-th", "20", "--mining-mw", "10",
    )  # fmt: skip
    for key in KEYS:
        assert key in out
        assert key in out["monthly"][0]
    assert out["hours"] == 72
    assert out["uptime_frac"] == pytest.approx(69 / 72)
    assert out["energy_mwh"] == pytest.approx(10 * 69)
    assert out["energy_cost_usd"] == pytest.approx(10 * 69 * 30)
    assert out["mining_revenue_usd"] == pytest.approx(10 * 69 * BREAKEVEN)
    assert out["four_cp_savings_usd"] == 0.0
    assert any("no system load" in n for n in out["notes"])


def test_ppa_load_ai_and_monte_carlo(files: dict[str, Path]) -> None:
    out = as_json(
        "--prices", str(files["prices"]), "--node", "LZ_WEST", "--load", str(files["load"]),
        "--hashprice-usd-per-ph-day", "50", "--mining-mw", "10", "--ppa-usd-per-mwh", "25",
        "--ai-mw", "4", "--paths", "6", "--seed", "3",
    )  # fmt: skip
    # spikes resell at 900; hours curtailed for 4CP resell at 30
    other_mwh = out["curtailed_energy_mwh"] - 10 * 3
    assert other_mwh > 0
    assert out["power_credits_usd"] == pytest.approx(10 * 3 * 900 + 30 * other_mwh)
    assert out["four_cp_savings_usd"] > 0  # June peak avoided (heuristic, --four-cp auto)
    assert out["inputs"]["four_cp_strategy"] == "heuristic"
    cmp = out["four_cp_comparison"]
    assert (
        cmp["perfect_foresight"]["four_cp_savings_usd"] >= cmp["heuristic"]["four_cp_savings_usd"]
    )
    assert out["ai_conversion"]["ai_mw"] == 4.0
    assert out["ai_conversion"]["flexibility_lost_usd"] > 0
    assert out["monte_carlo"]["paths"] == 6
    assert "flexibility_lost_usd" in out["monte_carlo"]


def test_scenario_site_and_hashprice_history(files: dict[str, Path]) -> None:
    out = as_json(
        "--prices", str(files["prices"]), "--node", "LZ_NORTH",
        "--scenario", str(files["scenario"]), "--site", "Pecos West",
        "--hashprice-file", str(files["history"]),
    )  # fmt: skip
    assert [s["site"] for s in out["sites"]] == ["Pecos West"]
    assert out["mining_mw"] == pytest.approx(20000 * (3645 + 3010) * 1.05 / 1e6, rel=0.05)
    assert out["btc_mined"] == pytest.approx(out["mining_revenue_usd"] / 68_000)


def test_packaged_default_scenario(files: dict[str, Path]) -> None:
    out = as_json(
        "--prices", str(files["prices"]), "--node", "LZ_WEST", "--same-node",
        "--scenario", "default", "--load", str(files["load"]),
    )  # fmt: skip
    assert [s["site"] for s in out["sites"]] == ["Pecos West", "Lake Niagara", "Red River"]
    four_cp = {s["site"]: s["four_cp_savings_usd"] for s in out["sites"]}
    assert four_cp["Pecos West"] > 0  # the 4 June peaks of the 3-day file fall on day 1-3
    assert four_cp["Lake Niagara"] == 0.0  # NYISO: no 4CP
    assert four_cp["Red River"] == 0.0  # SPP: no 4CP
    assert any("Lake Niagara" in n and "no 4CP" in n for n in out["notes"])


def test_each_site_at_its_own_node(files: dict[str, Path], tmp_path: Path) -> None:
    # a price file with each default site's node, at different flat prices
    frame = pd.read_csv(files["prices"])
    frame = frame.assign(WEST=20.0, SPPNORTH_HUB=25.0)
    prices = tmp_path / "three.csv"
    frame.to_csv(prices, index=False)
    out = as_json(
        "--prices", str(prices), "--scenario", "default", "--hashprice-usd-per-ph-day", "50",
        "--load", str(files["load"]), "--four-cp", "perfect_foresight",
    )  # fmt: skip
    by_site = {s["site"]: s for s in out["sites"]}
    # flat prices far below breakeven: every site runs every hour, at its own node's price
    assert by_site["Lake Niagara"]["avg_power_price_usd_per_mwh"] == pytest.approx(20.0)
    assert by_site["Red River"]["avg_power_price_usd_per_mwh"] == pytest.approx(25.0)
    assert by_site["Lake Niagara"]["four_cp_savings_usd"] == 0.0
    assert by_site["Red River"]["four_cp_savings_usd"] == 0.0
    # perfect foresight at the ERCOT site: 1 June peak (3-day file) × 50 USD/kW-yr / 4 × kW
    pecos = by_site["Pecos West"]
    assert pecos["four_cp_savings_usd"] == pytest.approx(pecos["mining_mw"] * 1000 * 50 / 4)
    assert "Pecos West=LZ_WEST" in out["inputs"]["node"]


def test_site_node_not_in_file_is_refused(files: dict[str, Path]) -> None:
    res = invoke("--prices", str(files["prices"]), "--scenario", "default")
    assert res.exit_code == 2
    flat = " ".join(res.output.split())
    assert "'Lake Niagara': node 'WEST' is not a column" in flat
    assert "'Red River': node 'SPPNORTH_HUB'" in flat
    assert "columns: LZ_WEST, LZ_NORTH" in flat
    assert "Pecos West" not in flat  # its node LZ_WEST is in the file
    res = invoke("--prices", str(files["prices"]), "--scenario", "default", "--node", "LZ_NORTH")
    assert res.exit_code == 2
    assert "--same-node" in res.output or "same-node" in res.output
    # --node overrides in a one-site run
    out = as_json(
        "--prices", str(files["prices"]), "--scenario", "default", "--site", "Lake Niagara",
        "--node", "LZ_NORTH",
    )  # fmt: skip
    assert out["inputs"]["node"] == "Lake Niagara=LZ_NORTH"
    assert out["four_cp_savings_usd"] == 0.0


def test_report_written(files: dict[str, Path], tmp_path: Path) -> None:
    report = tmp_path / "out" / "d.html"
    res = invoke(
        "--prices", str(files["prices"]), "--node", "LZ_WEST", "--load", str(files["load"]),
        "--mining-mw", "10", "--report", str(report),
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    text = report.read_text(encoding="utf-8")
    for title in ("Price duration curve", "Uptime by hour of day and month", "Monthly value stack"):
        assert title in text
    assert "<script src=" not in text.replace(" ", "")


def test_errors_exit_2_and_write_nothing(files: dict[str, Path], tmp_path: Path) -> None:
    report = tmp_path / "r.html"
    res = invoke("--prices", str(files["prices"]), "--node", "LZ_WST", "--report", str(report))
    assert res.exit_code == 2
    assert "closest: LZ_WEST" in res.output
    assert "Traceback" not in res.output
    assert not report.exists()
    assert not list(tmp_path.glob(".*.tmp"))
    res = invoke("--prices", str(files["prices"]), "--node", "LZ_WEST", "--scenario",
                 str(files["scenario"]), "--site", "Nowhere")  # fmt: skip
    assert res.exit_code == 2
    assert "Pecos West" in res.output
    res = invoke("--prices", str(files["prices"]), "--node", "LZ_WEST", "--four-cp", "heuristic")
    assert res.exit_code == 2
    assert "needs system load" in res.output
    res = invoke("--prices", str(files["prices"]), "--node", "LZ_WEST", "--mining-mw", "5",
                 "--dr-mw", "8")  # fmt: skip
    assert res.exit_code == 2
    assert "committed_mw" in res.output


def test_duplicated_hours_rule(files: dict[str, Path], tmp_path: Path) -> None:
    frame = pd.read_csv(files["prices"])
    dup = tmp_path / "dup.csv"
    pd.concat([frame, frame.iloc[[3]]]).to_csv(dup, index=False)
    res = invoke("--prices", str(dup), "--node", "LZ_WEST", "--json")
    assert res.exit_code == 2
    assert "duplicated" in res.output
    assert res.stdout == ""
    out = as_json("--prices", str(dup), "--node", "LZ_WEST", "--duplicates", "first")
    assert out["hours"] == 72
    assert any("duplicated" in n for n in out["notes"])


def test_human_output(files: dict[str, Path]) -> None:
    res = invoke(
        "--prices", str(files["prices"]), "--node", "LZ_WEST", "--load", str(files["load"])
    )
    assert res.exit_code == 0, res.output
    assert "Dispatch summary" in res.stdout
    assert "By month" in res.stdout
    assert "4CP strategies" in res.stdout


def test_terminal_tables_fit_80_columns_in_usd_millions(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from hashpivot.cli import common

    monkeypatch.setattr(common.console, "_width", 80)
    args = (
        "--prices", str(files["prices"]), "--node", "LZ_WEST", "--same-node", "--scenario",
        "default", "--load", str(files["load"]), "--hashprice-file", str(files["history"]),
    )  # fmt: skip
    res = invoke(*args)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("By year"))
    end = next(i for i, line in enumerate(lines) if line.startswith("4CP strategies"))
    block = lines[start:end]
    assert max(len(line) for line in block) <= 80
    assert "…" not in "\n".join(block)  # no header or cell cut by Rich
    text = "\n".join(block)
    for header in ("curtail", "savings", "4CP", "flex", "value", "revenue", "USD M", "uptime"):
        assert header in text
    assert re.search(r"\d[eE][+-]?\d", res.stdout) is None  # no scientific notation
    # the three sites' 3 days: revenue in USD millions, e.g. "1.4", not 1,412,345
    summary = as_json(*args)
    revenue_m = f"{summary['mining_revenue_usd'] / 1e6:,.1f}"
    assert revenue_m in text
