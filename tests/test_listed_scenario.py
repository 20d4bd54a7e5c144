"""Runnable scenarios from catalogue companies (hashpivot.listed.scenario, init --from)."""

import json
import math
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
WITH_SITES = [t for t in company_names() if load_company(t).sites]


def _invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})


def _finite_or_named(payload: dict, not_applicable: dict, where: str = "") -> None:
    """Every number of a run's JSON is finite and of a sane size, or null with a reason."""
    for key, value in payload.items():
        path = f"{where}{key}"
        if isinstance(value, dict):
            _finite_or_named(value, not_applicable, f"{path}.")
        elif value is None:
            assert path in not_applicable, path
        elif isinstance(value, float):
            assert math.isfinite(value), path
            assert abs(value) < 1e15, path  # no 0/0 noise such as 1e28


@pytest.mark.parametrize("ticker", WITH_SITES)
def test_init_then_run_for_every_company_with_sites(ticker: str, tmp_path: Path) -> None:
    # issue 18's check, for every catalogue company with sites, with or without a fleet
    path = tmp_path / "x.yaml"
    res = _invoke("init", str(path), "--from", ticker)
    assert res.exit_code == 0, res.output
    out = _invoke("run", str(path), "--paths", "1000", "--json")
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert payload["paths"] == 1000
    na = payload.get("not_applicable", {})
    _finite_or_named({k: v for k, v in payload.items() if k != "frontier"}, na)
    if ticker in NO_HASHRATE:
        # no fleet: the pure-mining variant mines nothing, the same on every path, so its
        # BTC correlation and R² are 0/0 and the hedge measures and frontier do not apply
        assert not any(s.fleets for s in parse_scenario(path.read_text("utf-8"), "x").sites)
        assert payload["variance_reduction_frac"] is None
        assert payload["hedge_after_capex"] is None
        assert payload["frontier"] == []
        assert {"variance_reduction_frac", "frontier", "pure_mining.btc_corr"} <= set(na)
        assert payload["pure_mining"]["npv_usd"]["std"] == 0.0
        assert payload["hybrid"]["npv_usd"]["mean"] > 0  # the AI leases earn
    else:
        assert "variance_reduction_frac" not in na


def test_a_company_without_a_fleet_gets_its_leases_and_no_fleet() -> None:
    assert NO_HASHRATE == ["APLD", "GLXY"]  # GLXY wound mining down in Q1-2025
    text = scenario_text_from_company(load_company("APLD"), STATE)
    apld = parse_scenario(text, "APLD")
    assert not any(s.fleets for s in apld.sites)
    # Polaris Forge 1 (400 IT MW, 11B USD over 15 years) and Polaris Forge 2 (200 IT MW,
    # 5B USD): 11e9 / 15 / 400 / 12 000 = 152.78 and 5e9 / 15 / 200 / 12 000 = 138.89
    # USD/kW-month; the June-2025 contract is superseded by the total
    rates = sorted(c.lease.rate_usd_per_kw_month for s in apld.sites for c in s.conversions
                   if c.lease is not None)  # fmt: skip
    assert rates == pytest.approx([138.8889, 152.7778], rel=1e-5)
    assert "no ASIC fleet: the catalogue reports no self-mining hashrate for APLD" in text
    assert "not modelled: blockchain data centres, 286 MW operating" in text


def test_a_company_with_neither_fleet_nor_lease_is_refused_naming_both(tmp_path: Path) -> None:
    data = yaml.safe_load((DATA / "glxy.yaml").read_text(encoding="utf-8"))
    del data["ai_contracts"]
    user = tmp_path / "glxy-no-contracts.yaml"
    user.write_text(yaml.safe_dump(data), encoding="utf-8")
    res = _invoke("init", str(tmp_path / "y.yaml"), "--from", str(user))
    assert res.exit_code == 2
    assert "no self-mining hashrate (so no ASIC fleet)" in res.output
    assert "no active colocation contract" in res.output
    assert not (tmp_path / "y.yaml").exists()


def test_an_unknown_ticker_names_the_closest(tmp_path: Path) -> None:
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
    assert mining
    assert all(s.power.price_usd_per_mwh == 27.0 for s in mining)
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


def test_runs_frontier_is_the_simulations_default() -> None:
    # run passes the frontier explicitly (none without a fleet): the same shares as
    # Simulation's default, so a scenario with a fleet runs as before
    import inspect

    from hashpivot.cli.montecarlo import FRONTIER_SHARES
    from hashpivot.simulation import Simulation

    default = inspect.signature(Simulation).parameters["frontier_shares"].default
    assert default == FRONTIER_SHARES
