"""Excel workbooks: the generic writer (read back with openpyxl) and the jobs' ``--xlsx``."""

import json
import math
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hashpivot.cli import app
from hashpivot.errors import HashpivotError
from hashpivot.report import xlsx
from hashpivot.spec import default_scenario, default_scenario_text

runner = CliRunner()


def _rows(path: Path, sheet: str) -> list[tuple]:
    return list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))


def _frame(path: Path, sheet: str) -> pd.DataFrame:
    rows = _rows(path, sheet)
    return pd.DataFrame(rows[1:], columns=rows[0])


# --------------------------------------------------------------------------- the writer


def test_numbers_stay_numbers_with_units_formats_tables_and_frozen_header(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "month": pd.to_datetime(["2025-01-01", "2025-02-01"]),
            "site": ["A", "B"],
            "revenue_usd": [1_234_567.5, float("nan")],
            "uptime_frac": [0.95, 0.9],
            "power_mw": [150.0, 100.0],
        }
    )
    out = xlsx.write_workbook(tmp_path / "w.xlsx", [xlsx.Sheet("Flows", frame)])
    book = openpyxl.load_workbook(out)
    ws = book["Flows"]
    assert [c.value for c in ws[1]] == [
        "month", "site", "revenue_usd [USD]", "uptime_frac [fraction]", "power_mw [MW]",
    ]  # fmt: skip
    assert ws["C2"].data_type == "n"
    assert ws["C2"].value == 1_234_567.5
    assert ws["C3"].value is None  # NaN is a blank cell, not text
    assert ws["C2"].number_format == "#,##0"
    assert ws["D2"].number_format == "0.00%"
    assert ws["E2"].number_format == "#,##0.0"
    assert ws["A2"].is_date
    assert ws.freeze_panes == "A2"
    assert list(ws.tables) == ["T0_Flows"]
    assert ws.tables["T0_Flows"].ref == "A1:E3"
    assert ws.column_dimensions["C"].width >= len("revenue_usd [USD]")


def test_explicit_units_win_over_the_suffix(tmp_path: Path) -> None:
    frame = pd.DataFrame({"value": [1.0]})
    out = xlsx.write_workbook(tmp_path / "u.xlsx", [xlsx.Sheet("S", frame, {"value": "USD/MW"})])
    assert _rows(out, "S")[0] == ("value [USD/MW]",)


@pytest.mark.parametrize(
    ("name", "rule"),
    [("a" * 32, "1-31 characters"), ("bad/name", "without"), ("", "1-31 characters")],
)
def test_sheet_names_breaking_excel_rules_are_refused(tmp_path: Path, name: str, rule: str) -> None:
    with pytest.raises(HashpivotError, match=rule):
        xlsx.write_workbook(tmp_path / "x.xlsx", [xlsx.Sheet(name, pd.DataFrame({"a": [1]}))])
    assert not (tmp_path / "x.xlsx").exists()


def test_duplicate_sheet_names_and_too_many_rows_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = pd.DataFrame({"a": [1, 2, 3]})
    with pytest.raises(HashpivotError, match="used twice"):
        xlsx.write_workbook(tmp_path / "d.xlsx", [xlsx.Sheet("S", one), xlsx.Sheet("s", one)])
    monkeypatch.setattr(xlsx, "MAX_ROWS", 2)
    with pytest.raises(HashpivotError, match=r"3 rows \(must be <= 2"):
        xlsx.write_workbook(tmp_path / "r.xlsx", [xlsx.Sheet("S", one)])
    assert not list(tmp_path.iterdir())  # nothing half-written


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
        min_size=1,
        max_size=30,
    )
)
def test_floats_round_trip_to_16_digits(
    tmp_path_factory: pytest.TempPathFactory, values: list
) -> None:
    path = tmp_path_factory.mktemp("rt") / "f.xlsx"
    xlsx.write_workbook(path, [xlsx.Sheet("S", pd.DataFrame({"x_usd": values}))])
    back = [r[0] for r in _rows(path, "S")[1:]]
    assert all(isinstance(b, float | int) for b in back)  # numbers, not text
    # XlsxWriter writes 16 significant digits (Excel shows 15): 1e15 + 0.75 comes back
    # as 1e15 + 0.8, a relative change of 5e-17
    np.testing.assert_allclose(back, values, rtol=1e-15, atol=0)


# --------------------------------------------------------------------------- assumptions


def test_yaml_sources_inline_and_block_comments() -> None:
    text = (
        "market:\n"
        "  # Coin Metrics PriceUSD\n"
        "  # on 2024-12-31\n"
        "  btc_price_usd: 93390\n"
        "  difficulty: 1   # blockchain.com\n"
        "sites:\n"
        "  - name: A   # first site\n"
    )
    assert xlsx.yaml_sources(text) == {
        "market.btc_price_usd": "Coin Metrics PriceUSD on 2024-12-31",
        "market.difficulty": "blockchain.com",
        "sites[0].name": "first site",
    }


def test_assumptions_hold_every_input_with_its_unit_and_source() -> None:
    frame = xlsx.assumptions_frame(default_scenario(), default_scenario_text()).set_index("field")
    raw = yaml.safe_load(default_scenario_text())
    # values against the YAML file itself, units against docs/nomenclature.md
    for i, site in enumerate(raw["sites"]):
        row = frame.loc[f"sites[{i}].power_capacity_mw"]
        assert row["value"] == site["power_capacity_mw"]
        assert row["unit"] == "MW"
    assert frame.loc["market.btc_price_usd", "value"] == raw["market"]["btc_price_usd"]
    assert frame.loc["market.btc_price_usd", "unit"] == "USD/BTC"
    assert "coinmetrics" in frame.loc["market.btc_price_usd", "source"]
    assert frame.loc["company.wacc_frac_per_year", "source"].startswith("assumption")
    assert frame.loc["market_model.btc_price.model", "source"] == "spec default"
    assert frame.index.is_unique


# --------------------------------------------------------------------------- the jobs


def test_run_xlsx_sheets_and_numeric_cash_flows(tmp_path: Path) -> None:
    out = tmp_path / "run.xlsx"
    res = runner.invoke(
        app, ["run", "--paths", "2000", "--xlsx", str(out), "--xlsx-paths", "3", "--json"]
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["xlsx"] == str(out)
    book = openpyxl.load_workbook(out)
    assert {
        "Assumptions", "Summary", "Frontier", "Annual percentiles", "Monthly percentiles",
        "Per path", "Path flows", "Annual company", "Annual by site", "Monthly company",
        "Monthly by site",
    } <= set(book.sheetnames)  # fmt: skip
    for sheet in ("Path flows", "Annual by site", "Monthly by site", "Annual company"):
        ws = book[sheet]
        header = [c.value for c in ws[1]]
        col = header.index("ebitda_usd [USD]") + 1
        cells = [ws.cell(row=r, column=col) for r in range(2, ws.max_row + 1)]
        assert cells, sheet
        assert all(c.data_type == "n" for c in cells), sheet
    per_path = _frame(out, "Per path")
    hybrid = per_path[per_path["variant"] == "hybrid"]
    assert len(hybrid) == 2000
    assert math.isclose(
        hybrid["npv_usd [USD]"].mean(), summary["hybrid"]["npv_usd"]["mean"], rel_tol=1e-12
    )
    flows = _frame(out, "Path flows")
    assert sorted(flows["path"].unique()) == [0, 1, 2]
    assert set(flows["variant"]) == {"hybrid", "pure_mining"}
    # monthly percentiles over the run's 2 000 paths, recomputed path by path: their mean
    # EBITDA summed over the 60 months is the run's mean EBITDA per year × 5 years
    pct = _frame(out, "Monthly flow percentiles")
    for variant in ("hybrid", "pure_mining"):
        rows = pct[(pct["variant"] == variant) & (pct["quantity"] == "ebitda_usd")]
        assert len(rows) == 60
        assert set(rows["paths"]) == {2000}
        per_year = summary[variant]["ebitda_usd_per_year"]["mean"]
        assert math.isclose(rows["mean_usd [USD]"].sum() / 5, per_year, rel_tol=1e-9)
        assert (rows["p5_usd [USD]"] <= rows["p50_usd [USD]"]).all()
        assert (rows["p50_usd [USD]"] <= rows["p95_usd [USD]"]).all()


def test_company_xlsx_annual_sheets_add_up_to_the_summary(tmp_path: Path) -> None:
    out = tmp_path / "company.xlsx"
    res = runner.invoke(app, ["company", "--xlsx", str(out), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)["summary"]
    annual = _frame(out, "Annual company")
    by_site = _frame(out, "Annual by site")
    monthly = _frame(out, "Monthly by site")
    assert math.isclose(annual["revenue_usd [USD]"].sum(), summary["revenue_usd"], rel_tol=1e-9)
    assert math.isclose(monthly["revenue_usd [USD]"].sum(), summary["revenue_usd"], rel_tol=1e-9)
    per_year = by_site.groupby("year")["ebitda_usd [USD]"].sum().to_numpy()
    np.testing.assert_allclose(per_year, annual["ebitda_usd [USD]"].to_numpy(), rtol=1e-9)


def test_value_xlsx_has_the_equity_bridge_and_the_parts(tmp_path: Path) -> None:
    out = tmp_path / "value.xlsx"
    res = runner.invoke(app, ["value", "--xlsx", str(out), "--json"])
    assert res.exit_code == 0, res.output
    valued = json.loads(res.stdout)
    bridge = _frame(out, "Equity bridge").set_index("step")["value_usd [USD]"]
    # the bridge adds up: EV − debt + cash + BTC = equity, and equals the JSON's
    steps = bridge[["enterprise value", "less debt", "plus cash", "plus BTC held"]].sum()
    assert math.isclose(steps, bridge["equity value"], rel_tol=1e-12)
    assert math.isclose(bridge["equity value"], valued["equity_value_usd"], rel_tol=1e-12)
    parts = _frame(out, "Sum of the parts").set_index("part")["value_usd [USD]"]
    assert math.isclose(parts.drop("total_usd").sum(), parts["total_usd"], rel_tol=1e-9)
    # the DCF-to-parts walk: the DCF's EV plus every difference is the parts' EV
    walk = _frame(out, "DCF vs parts").set_index("step")["value_usd [USD]"]
    bridge = valued["bridge"]
    # (XlsxWriter keeps 16 significant digits: equal to 1e-15)
    assert math.isclose(walk["DCF enterprise value"], bridge["dcf_enterprise_value_usd"],
                        rel_tol=1e-15)  # fmt: skip
    assert math.isclose(walk.iloc[-1], bridge["parts_enterprise_value_usd"], rel_tol=1e-15)
    assert len(walk) == len(bridge["rows"]) + 3
    assert math.isclose(walk.iloc[:-1].sum(), walk.iloc[-1], rel_tol=1e-9)
    inputs = _frame(out, "Valuation inputs").set_index("field")
    assert inputs.loc["wacc_frac_per_year", "value"] == valued["inputs"]["wacc_frac_per_year"]
    assert (
        inputs.loc["wacc_frac_per_year", "source"]
        == (valued["input_sources"]["wacc_frac_per_year"])
    )


def test_value_xlsx_of_a_listed_company(tmp_path: Path) -> None:
    out = tmp_path / "iren.xlsx"
    res = runner.invoke(app, ["value", "IREN", "--xlsx", str(out), "--json"])
    assert res.exit_code == 0, res.output
    valued = json.loads(res.stdout)
    book = openpyxl.load_workbook(out)
    assert {"Assumptions", "Summary", "Equity bridge", "Sum of the parts", "DCF vs parts"} <= set(
        book.sheetnames
    )
    summary = _frame(out, "Summary").set_index("metric")["value"]
    assert math.isclose(
        summary["enterprise_value_usd"], valued["enterprise_value_usd"], rel_tol=1e-15
    )


def test_bad_xlsx_path_exits_2_naming_it(tmp_path: Path) -> None:
    target = tmp_path / "a-directory.xlsx"
    target.mkdir()
    for bad in (target, tmp_path / "out.csv"):
        res = runner.invoke(app, ["company", "--xlsx", str(bad)])
        assert res.exit_code == 2
        assert "must be a file name ending in .xlsx" in res.output


def test_plan_xlsx_schedule_adds_up_to_the_converted_mw(tmp_path: Path) -> None:
    out = tmp_path / "plan.xlsx"
    res = runner.invoke(
        app,
        ["plan", "--scenarios", "30", "--evaluation-paths", "1000", "--xlsx", str(out), "--json"],
    )
    assert res.exit_code == 0, res.output
    planned = json.loads(res.stdout)
    book = openpyxl.load_workbook(out)
    assert {"Assumptions", "Summary", "Schedule", "Shadow prices"} <= set(book.sheetnames)
    sched = _frame(out, "Schedule")
    # MW converted in each period add up to the plan's final converted MW per site
    total = sched.groupby("site", sort=False)["convert_mw [MW]"].sum()
    for site, mw in planned["converted_mw_by_site"].items():
        assert math.isclose(total[site], mw, rel_tol=1e-9, abs_tol=1e-9)
    prices = _frame(out, "Shadow prices")
    assert len(prices) == len(planned["shadow_prices"])


def test_runs_export_xlsx_one_row_per_path(tmp_path: Path) -> None:
    from hashpivot.store import RunStore

    store = RunStore(tmp_path / "runs.duckdb")
    by_year = np.arange(30.0).reshape(10, 3)
    run_id = store.save_run(
        "run",
        default_scenario(),
        1,
        summary={"npv_usd": 100.0, "frontier": [{"ai_share_frac": 0.5, "npv_mean_usd": 1.0}]},
        per_path={"hybrid.npv_usd": np.arange(10.0), "hybrid.ebitda_usd_by_year": by_year},
    )
    out = tmp_path / "export.xlsx"
    res = runner.invoke(
        app,
        ["runs", "export", run_id, "--format", "xlsx", "--output", str(out),
         "--store", str(tmp_path / "runs.duckdb")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Run", "Assumptions", "Summary", "Frontier", "Per path"]
    per_path = _frame(out, "Per path")
    assert list(per_path.columns) == [
        "path", "hybrid.npv_usd [USD]", "hybrid.ebitda_usd_by_year[0] [USD]",
        "hybrid.ebitda_usd_by_year[1] [USD]", "hybrid.ebitda_usd_by_year[2] [USD]",
    ]  # fmt: skip
    np.testing.assert_array_equal(per_path.iloc[:, 2:].to_numpy(), by_year)
    np.testing.assert_array_equal(per_path["hybrid.npv_usd [USD]"], np.arange(10.0))
    run = dict(_rows(out, "Run")[1:])
    assert run["run_id"] == run_id
