"""Consistency checks of company files (hashpivot.listed.checks)."""

from pathlib import Path

import pytest
import yaml

from hashpivot.company.listed_value import FLEET_EFFICIENCY_J_PER_TH
from hashpivot.listed.catalog import load_company, parse_company
from hashpivot.listed.checks import ASSUMED_FLEET_J_PER_TH, consistency_warnings, mining_mw

DATA = Path(__file__).resolve().parents[1] / "src" / "hashpivot" / "data" / "companies"


def test_mining_mw_by_hand() -> None:
    # 10 EH/s = 1e7 TH/s x 20 J/TH = 2e8 W = 200 MW of ASICs; x 1.05 PUE = 210 MW
    assert mining_mw(10.0, 20.0) == pytest.approx(210.0)
    # Bitmain S21: 200 TH/s x 17.5 J/TH = 3 500 W per machine (ref. [1] of the module)
    assert mining_mw(200e-6, 17.5, 1.0) == pytest.approx(3.5e-3)


def test_the_assumed_fleet_is_the_valuations() -> None:
    assert ASSUMED_FLEET_J_PER_TH == FLEET_EFFICIENCY_J_PER_TH


def _riot_with(hashrate_eh_s: float) -> dict:
    data = yaml.safe_load((DATA / "riot.yaml").read_text(encoding="utf-8"))
    data["hashrate"] = [dict(data["hashrate"][0], hashrate_eh_s=hashrate_eh_s)]
    return data


def test_a_file_whose_hashrate_needs_more_mw_than_it_reports_is_flagged() -> None:
    riot = load_company("RIOT")
    assert riot.operating_mw() == 700
    # at the 20 J/TH assumed for a fleet: 36.6 x 20 x 1.05 = 768.6 MW <= 770 MW: no warning
    assert not [w for w in consistency_warnings(riot, efficiency_j_per_th=20.0) if "needs" in w]
    # 40 EH/s x 20 J/TH x 1.05 = 840 MW > 700 MW x 1.1 slack = 770 MW -> flagged
    bad = parse_company(yaml.safe_dump(_riot_with(40.0)), "bad file")
    warnings = consistency_warnings(bad)
    assert any("40 EH/s" in w and "needs 840 MW" in w and "700 MW operating" in w for w in warnings)
    # 36 EH/s -> 756 MW, within the 10 % slack of 700 MW: no warning
    ok = parse_company(yaml.safe_dump(_riot_with(36.0)), "ok file")
    assert not [w for w in consistency_warnings(ok) if "needs" in w]
    # a fleet assumed at 15 J/TH: 40 x 15 x 1.05 = 630 MW fits
    assert not [w for w in consistency_warnings(bad, efficiency_j_per_th=15.0) if "needs" in w]


def test_lagging_facts_and_ai_beyond_capacity_are_flagged() -> None:
    data = yaml.safe_load((DATA / "corz.yaml").read_text(encoding="utf-8"))
    data["hashrate"] = [h for h in data["hashrate"] if h["as_of"] == "2024-11"]
    old = consistency_warnings(parse_company(yaml.safe_dump(data), "corz as of 2024"))
    # 2024-11-30 is more than 365 days before the file's as_of 2026-02-20
    assert any("latest hashrate is as of 2024-11" in w for w in old)
    assert not [w for w in consistency_warnings(load_company("CORZ")) if "over a year" in w]
    wulf = consistency_warnings(load_company("WULF"))
    assert any("AI contracts" in w for w in wulf)


def test_a_reported_fleet_efficiency_replaces_the_assumed_one() -> None:
    data = _riot_with(40.0)
    data["hashrate"][0]["fleet_efficiency_j_per_th"] = 15.0
    riot = parse_company(yaml.safe_dump(data), "riot at 15 J/TH")
    # 40 EH/s x 15 J/TH x 1.05 = 630 MW <= 700 MW x 1.1: no power warning
    assert not [w for w in consistency_warnings(riot) if "needs" in w]
    data["hashrate"][0]["hashrate_eh_s"] = 60.0
    # 60 x 15 x 1.05 = 945 MW > 770 MW: flagged, saying the J/TH is the file's
    warnings = consistency_warnings(parse_company(yaml.safe_dump(data), "riot at 60 EH/s"))
    assert any("15 J/TH (reported as of 2025-H2)" in w and "needs 945 MW" in w for w in warnings)
