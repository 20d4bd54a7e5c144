import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hashpivot.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "160", "NO_COLOR": "1"})


def as_json(*args: str) -> dict:
    res = invoke(*args, "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.mark.parametrize(
    "cmd",
    [
        [],
        ["hashprice"],
        ["init"],
        ["validate"],
        ["mine"],
        ["run"],
        ["company"],
        ["lease"],
        ["unit-economics"],
        ["value"],
        ["catalog"],
        ["catalog", "asics"],
        ["catalog", "gpus"],
        ["catalog", "companies"],
    ],
)
def test_help_everywhere(cmd: list[str]) -> None:
    res = invoke(*cmd, "--help")
    assert res.exit_code == 0
    assert "Usage" in res.stdout


def test_hashprice_json_keys() -> None:
    out = as_json(
        "hashprice",
        "--price-usd",
        "90000",
        "--difficulty",
        "1e14",
        "--fees-btc-per-block",
        "0.05",
        "--efficiency-j-per-th",
        "15",
        "--power-usd-per-mwh",
        "40",
    )
    for key in (
        "hashprice_usd_per_ph_day",
        "hashprice_btc_per_ph_day",
        "subsidy_btc",
        "breakeven_power_usd_per_mwh",
        "hashcost_usd_per_ph_day",
        "margin_usd_per_ph_day",
    ):
        assert key in out
    assert out["subsidy_btc"] == 3.125
    expected = 8.64e19 / (1e14 * 2**32) * 3.175 * 90000
    assert out["hashprice_usd_per_ph_day"] == pytest.approx(expected)
    assert out["hashcost_usd_per_ph_day"] == pytest.approx(24 * 15 * 0.04)


def test_hashprice_from_known_hashprice() -> None:
    out = as_json("hashprice", "--hashprice-usd-per-ph-day", "50", "--efficiency-j-per-th", "20")
    assert out["breakeven_power_usd_per_mwh"] == pytest.approx(104.1667, rel=1e-4)
    assert out["hashprice_btc_per_ph_day"] is None


def test_hashprice_height_sets_subsidy() -> None:
    out = as_json("hashprice", "--price-usd", "1", "--difficulty", "1e14", "--height", "1050000")
    assert out["subsidy_btc"] == 1.5625


def test_hashprice_needs_inputs_exit_2() -> None:
    res = invoke("hashprice")
    assert res.exit_code == 2
    assert "--price-usd" in res.output


def test_hashprice_bad_range_exit_2() -> None:
    res = invoke("hashprice", "--price-usd", "-5", "--difficulty", "1e14")
    assert res.exit_code == 2


def test_init_validate_and_negative_mw(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    assert invoke("init", str(path)).exit_code == 0
    res = invoke("validate", str(path))
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("ok:")
    assert invoke("init", str(path)).exit_code == 2  # no silent overwrite
    text = path.read_text().replace("power_capacity_mw: 150", "power_capacity_mw: -150")
    path.write_text(text)
    res = invoke("validate", str(path))
    assert res.exit_code == 2
    assert "sites[0].power_capacity_mw" in res.output
    assert "Traceback" not in res.output


def test_validate_json(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    invoke("init", str(path))
    out = as_json("validate", str(path))
    assert out["valid"] is True
    assert out["sites"] == 3


def test_company_default_prints_summary() -> None:
    res = invoke("company")
    assert res.exit_code == 0, res.output
    assert "halving at block 1,050,000" in res.stdout
    out = as_json("company")
    assert out["summary"]["months"] == 60
    assert len(out["company_by_year"]) == 5
    assert out["summary"]["mining"]["halvings"][0]["height"] == 1_050_000


def test_mine_monthly_json() -> None:
    out = as_json("mine", "--months", "60", "--freq", "monthly", "--level", "site")
    assert len(out["rows"]) == 60 * 3
    assert {"period", "site", "btc_mined", "cash_cost_per_btc_usd"} <= set(out["rows"][0])


def test_mine_table() -> None:
    res = invoke("mine", "--level", "fleet")
    assert res.exit_code == 0
    assert "Antminer S21 XP" in res.stdout
    assert "network model: supply_curve" in res.stdout


def test_mine_and_company_say_which_network_model() -> None:
    assert as_json("mine")["summary"]["network_model"] == "supply_curve"
    fixed = as_json("mine", "--network-model", "fixed_growth")
    assert fixed["summary"]["network_model"] == "fixed_growth"
    assert as_json("company")["summary"]["network_model"] == "supply_curve"
    res = invoke("mine", "--network-model", "linear")
    assert res.exit_code == 2


def test_catalogs() -> None:
    asics = as_json("catalog", "asics")["rows"]
    assert any(r["model"] == "Antminer S21 XP" for r in asics)
    assert all(r["source_url"] for r in asics)
    gpus = as_json("catalog", "gpus")["rows"]
    assert {r["model"] for r in gpus} >= {"H100 SXM", "B200", "GB200", "B300"}
    assert invoke("catalog", "gpus").exit_code == 0


def test_bad_scenario_path_exit_2(tmp_path: Path) -> None:
    res = invoke("run", str(tmp_path / "missing.yaml"))
    assert res.exit_code == 2
    assert "file not found" in res.output


def test_lease_reproduces_corz_deal() -> None:
    # Core Scientific–CoreWeave: ~500 MW, 12 yr, ~121 USD/kW-month -> ~8.7B USD (SEC 8-K,
    # https://www.sec.gov/Archives/edgar/data/1839341/000162828024043341/corescientifichpcoption3re.htm)
    out = as_json("lease", "--it-mw", "500", "--usd-per-kw-month", "121", "--term-years", "12")
    assert out["total_contract_value_usd"] == pytest.approx(8.7e9, rel=0.01)
    assert out["annual_revenue_usd_first_year"] == pytest.approx(500 * 1000 * 121 * 12)


def test_lease_solves_rate_with_escalator() -> None:
    out = as_json(
        "lease",
        "--it-mw",
        "245",
        "--total-value-usd",
        "7e9",
        "--term-years",
        "15",
        "--escalator-frac",
        "0.03",
    )
    assert out["total_contract_value_usd"] == pytest.approx(7e9)
    assert 120 < out["starting_usd_per_kw_month"] < 135


def test_lease_needs_one_of_rate_or_value() -> None:
    res = invoke("lease", "--it-mw", "10", "--term-years", "5")
    assert res.exit_code == 2
    assert "exactly one" in res.output


def test_unit_economics_json() -> None:
    out = as_json("unit-economics")
    rows = {r["option"]: r for r in out["rows"]}
    assert set(rows) == {"mining", "colocation", "gpu_cloud"}
    for row in rows.values():
        for key in (
            "revenue_usd_per_mw_year",
            "ebitda_usd_per_mw_year",
            "capex_usd_per_mw",
            "payback_years",
            "npv_usd_per_mw",
            "irr",
        ):
            assert key in row


def test_company_shows_hybrid_company() -> None:
    res = invoke("company")
    assert res.exit_code == 0, res.output
    assert "colocation" in res.stdout


@pytest.mark.parametrize("ticker", ["CORZ", "IREN", "WULF", "CIFR", "HUT", "RIOT", "MARA", "APLD",
                                    "GLXY", "BITF", "CLSK"])  # fmt: skip
def test_value_runs_for_every_catalogue_company(ticker: str) -> None:
    out = as_json("value", ticker)
    assert out["enterprise_value_usd"] > 0
    # a packaged balance sheet: value per diluted share, or the items no source gives named
    if out["equity_value_usd_per_share"] is None:
        assert out["missing"]
    else:
        assert out["dilution"]["diluted_shares"] >= out["dilution"]["basic_shares"]
    assert {"mining_usd", "colocation_usd", "gpu_cloud_usd", "powered_land_usd"} <= set(out["sotp"])
    br = out["bridge"]
    walked = br["dcf_enterprise_value_usd"] + sum(r["value_usd"] for r in br["rows"])
    assert abs(walked - br["parts_enterprise_value_usd"]) < 1.0


def test_value_options_and_bad_input_exit_2() -> None:
    out = as_json(
        "value", "WULF", "--as-of", "2026-06-30", "--wacc", "0.10", "--btc-price", "80000"
    )
    assert out["as_of"] == "2026-06-30"
    assert out["inputs"]["wacc_frac_per_year"] == 0.10
    assert out["input_sources"]["btc_price_usd"].startswith("given")
    for args, text in (
        (["--cap-rate", "0.5"], "--cap-rate"),  # refused by the option's range
        (["--wacc", "-0.1"], "--wacc"),
        (["--as-of", "2024-01-01"], "as_of: 2024-01-01"),
    ):
        res = invoke("value", "WULF", *args)
        assert res.exit_code == 2, res.output
        assert text in res.output
    table = invoke("value", "HUT")
    assert "Bridge: DCF to sum of the parts" in table.stdout
    assert "assumption" in table.stdout


def test_lease_prints_present_value_noi_and_yield_on_cost() -> None:
    out = as_json("lease", "--it-mw", "100", "--term-years", "10", "--usd-per-kw-month", "150",
                  "--noi-margin-frac", "0.8", "--capex-usd-per-it-mw", "1e7")  # fmt: skip
    # 100 MW x 1000 x 150 x 12 = 180M USD rent, x 0.8 = 144M NOI; on 1.0B capex: 14.4 %
    assert out["noi_year1_usd"] == pytest.approx(144e6)
    assert out["yield_on_cost_frac"] == pytest.approx(0.144)
    assert out["present_value_usd"] > 0
    funded = as_json("lease", "--it-mw", "100", "--term-years", "10", "--usd-per-kw-month",
                     "150", "--capex-usd-per-it-mw", "1e7", "--tenant-funded-capex-frac", "0.5",
                     "--netted")  # fmt: skip
    # tenant funds 500M, credited back over 10 years: NOI 144M − 50M = 94M on 500M own capex
    assert funded["noi_year1_usd"] == pytest.approx(94e6)
    assert funded["yield_on_cost_frac"] == pytest.approx(0.188)


def test_value_default_scenario_and_file(tmp_path: Path) -> None:
    out = as_json("value")
    assert out["equity_value_usd_per_share"] is not None
    path = tmp_path / "s.yaml"
    invoke("init", str(path))
    assert as_json("value", str(path))["enterprise_value_usd"] == out["enterprise_value_usd"]


def test_value_unknown_company_exit_2() -> None:
    res = invoke("value", "NOPE")
    assert res.exit_code == 2
    assert "unknown company" in res.output


def test_the_cli_imports_no_heavy_module_it_does_not_need() -> None:
    # statsmodels (about 1.4 s) and scipy.optimize load when a regression or an LP runs
    code = (
        "import sys, hashpivot.cli; "
        "print(sorted(m for m in ('statsmodels', 'scipy.optimize') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
