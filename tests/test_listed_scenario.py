"""Runnable scenarios from catalogue companies (hashpivot.listed.scenario, init --from)."""

import json
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hashpivot.cli import app
from hashpivot.listed.catalog import company_names, load_company, parse_company
from hashpivot.listed.scenario import scenario_text_from_company
from hashpivot.market_state import packaged_market_state
from hashpivot.spec import parse_scenario

runner = CliRunner()
DATA = Path(__file__).resolve().parents[1] / "src" / "hashpivot" / "data" / "companies"
STATE = packaged_market_state()
WITH_FLEET = [t for t in company_names() if load_company(t).latest_hashrate() is not None]
NO_HASHRATE = sorted(set(company_names()) - set(WITH_FLEET))


def _invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})


@pytest.mark.parametrize("ticker", WITH_FLEET)
def test_init_from_every_company_with_a_hashrate_then_run(ticker: str, tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    res = _invoke("init", str(path), "--from", ticker)
    assert res.exit_code == 0, res.output
    out = _invoke("run", str(path), "--paths", "1000", "--json")
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert payload["paths"] == 1000


def test_companies_without_a_hashrate_are_refused_naming_it(tmp_path: Path) -> None:
    assert NO_HASHRATE  # APLD and GLXY (mining wound down in 2025) report no hashrate
    for ticker in NO_HASHRATE:
        res = _invoke("init", str(tmp_path / f"{ticker}.yaml"), "--from", ticker)
        assert res.exit_code == 2
        assert "gives no hashrate" in res.output
        assert not (tmp_path / f"{ticker}.yaml").exists()
    res = _invoke("init", str(tmp_path / "y.yaml"), "--from", "WULFF")
    assert res.exit_code == 2
    assert "closest: WULF" in res.output


def test_every_number_has_its_source_or_assumption_beside_it() -> None:
    text = scenario_text_from_company(load_company("CIFR"), packaged_market_state())
    lines = text.splitlines()
    number = re.compile(r"^\s*-?\s*[a-z_]+:\s*\[?\{?[-+0-9.e]+")
    for i, line in enumerate(lines):
        if number.match(line) and not line.lstrip().startswith("#"):
            assert "#" in line or lines[i - 1].lstrip().startswith("#"), line


def test_known_answers_of_the_builder() -> None:
    state = packaged_market_state()
    wulf = parse_scenario(scenario_text_from_company(load_company("WULF"), state), "WULF")
    lake = next(s for s in wulf.sites if s.name == "Lake Mariner")
    # 245 MW / (200 TH/s x 20 J/TH x 1.05 = 4 200 W) = 58 333 machines: the 12.8 EH/s
    # reported would need 269 MW, so the fleet is capped at the reported MW
    assert lake.fleets[0].count == 58_333
    text = scenario_text_from_company(load_company("CIFR"), state)
    # 23.6 EH/s x 16.8 J/TH (reported) x 1.05 = 416 MW fit Odessa's 207 + Black Pearl's
    # 300 MW: not capped
    assert "fleet capped" not in text
    assert "efficiency_j_per_th: 16.8" in text
    cifr = parse_scenario(text, "CIFR")
    lease = next(c.lease for s in cifr.sites for c in s.conversions
                 if c.name == "fluidstack-barber-lake")  # fmt: skip
    # 3.0e9 USD / 10 years / 168 IT MW / 12 000 = 148.81 USD/kW-month (straight line)
    assert lease is not None
    assert lease.rate_usd_per_kw_month == pytest.approx(148.8095, rel=1e-5)
    # company from the balance sheet: 393.28M shares, cash 1.207B
    assert cifr.company.shares_outstanding == pytest.approx(393.28e6)
    assert cifr.company.cash_usd == pytest.approx(1.207e9)
    assert yaml.safe_load(text)["as_of"] == state.as_of
    # mining sites pay the all-in power cost the file reports (CIFR: about 27 USD/MWh),
    # else the 45 USD/MWh assumption
    mining = [s for s in cifr.sites if s.fleets]
    assert mining and all(s.power.price_usd_per_mwh == 27.0 for s in mining)
    assert "reported all-in mining power cost" in text


def test_unit_economics_runs_on_a_listed_companys_scenario(tmp_path: Path) -> None:
    path = tmp_path / "cifr.yaml"
    assert _invoke("init", str(path), "--from", "CIFR").exit_code == 0
    res = _invoke("unit-economics", str(path), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["site"] == "Odessa"  # the first site with ASICs
    assert len(out["rows"]) == 3  # mining, colocation lease and GPU cloud per MW


@settings(max_examples=25, deadline=None)
@given(hashrate_eh_s=st.floats(0.5, 150.0), operating_mw=st.floats(20.0, 3000.0))
def test_the_fleet_always_fits_the_reported_mw(hashrate_eh_s: float, operating_mw: float) -> None:
    # invariant: whatever the hashrate and the operating MW, the scenario validates (fleets
    # draw no more than each site's MW) and places no more EH/s than reported
    data = yaml.safe_load((DATA / "riot.yaml").read_text(encoding="utf-8"))
    data["hashrate"] = [dict(data["hashrate"][0], hashrate_eh_s=hashrate_eh_s)]
    site = dict(data["sites"][0], name="operating", status="operating", gross_mw=operating_mw)
    data["sites"] = [site]
    company = parse_company(yaml.safe_dump(data), "riot variant")
    scenario = parse_scenario(scenario_text_from_company(company, STATE), "riot variant")
    placed_eh_s = sum(f.unit()[0] * f.count for s in scenario.sites for f in s.fleets) / 1e6
    assert placed_eh_s <= hashrate_eh_s + 1e-9
    # uncapped when the MW suffice: 1 machine of 200 TH/s is the rounding
    if hashrate_eh_s * 20.0 * 1.05 <= operating_mw:
        assert placed_eh_s >= hashrate_eh_s - 200e-6


def test_bitfarms_fleet_from_its_reported_hashrate() -> None:
    # the Q2-2025 write-up: 17.7 EH/s at 17 J/TH; 17.7 x 17 x 1.05 = 316 MW fit the 341 MW
    # energised (no cap, no consistency warning), 17.7e6 TH/s / 200 TH/s = 88 500 machines
    text = scenario_text_from_company(load_company("BITF"), STATE)
    assert "fleet capped" not in text
    bitf = parse_scenario(text, "BITF")
    fleets = [f for s in bitf.sites for f in s.fleets]
    assert sum(f.count for f in fleets) == 88_500
    assert {f.efficiency_j_per_th for f in fleets} == {17.0}
