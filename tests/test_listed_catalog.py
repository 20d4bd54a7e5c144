import datetime as dt
import json
import math
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from hashpivot.cli import app
from hashpivot.errors import SpecError, UnknownNameError
from hashpivot.finance import MissingInputError
from hashpivot.listed.catalog import (
    ListedCompanySpec,
    company_catalog,
    company_names,
    load_company,
    parse_company,
    period_bounds,
    require,
)

DATA = Path(__file__).resolve().parents[1] / "src" / "hashpivot" / "data" / "companies"
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})


def contract(ticker: str, contract_id: str):
    return next(c for c in load_company(ticker).ai_contracts if c.id == contract_id)


# --------------------------------------------------------------------------- packaged files


def test_at_least_eight_companies_from_the_fact_sheet():
    names = company_names()
    assert len(names) >= 8
    assert {"CORZ", "IREN", "WULF", "CIFR", "HUT", "RIOT", "MARA", "APLD", "GLXY", "BITF"} <= set(
        names
    )


@pytest.mark.parametrize("path", sorted(DATA.glob("*.yaml")), ids=lambda p: p.name)
def test_every_packaged_file_loads_and_every_fact_is_sourced(path: Path):
    company = load_company(path)
    assert path.stem.upper() == company.ticker
    facts = list(company.facts())
    assert facts, "a company file with no facts"
    for fact in facts:
        assert fact.source_url.startswith(("https://", "http://"))
        first, _ = period_bounds(fact.as_of)
        assert first <= company.as_of
    # every company has a balance sheet: items dated and sourced, or named missing
    assert company.balance_sheet is not None


def test_every_source_url_is_in_the_fact_sheet_list(shared_data: Path):
    facts = shared_data.parent / "research" / "facts.md"
    if not facts.is_file():
        pytest.skip("the fact sheet (../shared/research/facts.md) is not present")
    sheet = facts.read_text(encoding="utf-8")
    balance = (shared_data.parent / "research" / "balance_sheets.md").read_text(encoding="utf-8")
    for path in sorted(DATA.glob("*.yaml")):
        company = load_company(path)
        assert company.balance_sheet is not None
        items = set(map(id, company.balance_sheet.items()))
        for fact in company.facts():
            if fact.note.startswith("Own look-up"):
                continue  # a balance-sheet item looked up beyond the research notes
            where, text = (
                ("balance_sheets.md", balance) if id(fact) in items else ("facts.md", sheet)
            )
            for url in (fact.source_url, *fact.see_also_urls):
                assert url in text, f"{company.ticker}: {url} is not in {where}"


def test_headline_contracts_match_the_fact_sheet():
    corz = contract("CORZ", "coreweave-total-2024-10")
    assert (corz.it_mw, corz.total_value_usd, corz.term_years) == (500, 8.7e9, 12)
    assert corz.implied_usd_per_kw_month() == pytest.approx(121, abs=0.5)
    wulf = contract("WULF", "fluidstack-cb")
    assert (wulf.total_value_usd, wulf.term_years, wulf.backstop) == (3.7e9, 10, "Google")
    assert wulf.total_value_with_extensions_usd == 8.7e9
    hut = contract("HUT", "fluidstack-river-bend")
    assert (hut.total_value_usd, hut.term_years, hut.escalator_frac_per_year) == (7.0e9, 15, 0.03)
    assert (hut.it_mw, hut.total_value_with_extensions_usd) == (245, 17.7e9)
    cifr = contract("CIFR", "aws")
    assert (cifr.total_value_usd, cifr.term_years, cifr.basis) == (5.5e9, 15, "uncertain")
    iren = contract("IREN", "microsoft-childress")
    assert (iren.kind, iren.total_value_usd, iren.term_years) == ("gpu_cloud", 9.7e9, 5)
    assert contract("RIOT", "amd").implied_usd_per_kw_month() == pytest.approx(104, abs=0.5)
    assert contract("APLD", "coreweave-total").total_value_usd == 11e9


def test_flags_from_the_fact_sheet_are_kept():
    assert contract("GLXY", "coreweave-helios").basis == "uncertain"
    assert load_company("CIFR").hashrate[0].basis == "secondary"
    hut_sites = {s.name: s for s in load_company("HUT").sites}
    assert hut_sites["all sites including new sites (Aug-2025)"].basis == "derived"


def test_superseded_contracts_are_not_counted_twice():
    corz = load_company("CORZ")
    assert [c.id for c in corz.active_contracts()] == ["coreweave-2025-02"]
    assert corz.contracted_it_mw() == 590
    wulf = load_company("WULF")
    # the 200 MW lease is inside the 360 MW total; plus the 168 MW Abernathy JV (counted
    # whole: its MW are contracted, the company's 50.1 % share scales only its money)
    assert wulf.contracted_it_mw() == 360 + 168


def test_catalog_frame():
    frame = company_catalog()
    assert len(frame) == len(company_names())
    row = frame.set_index("ticker").loc["IREN"]
    assert (row["operating_mw"], row["reported_mw"], row["hashrate_eh_s"]) == (810, 2910, 50)
    assert math.isnan(frame.set_index("ticker").loc["MARA", "ai_it_mw"])


# --------------------------------------------------------------------------- look-up


@pytest.mark.parametrize("name", ["IREN", "iren", " $iren ", "NASDAQ:IREN", "IREN Limited"])
def test_forgiving_lookup(name: str):
    assert load_company(name).ticker == "IREN"


def test_lookup_by_unique_name_prefix():
    assert load_company("core scientific").ticker == "CORZ"
    assert load_company("TeraWulf").ticker == "WULF"


def test_unknown_ticker_lists_the_closest():
    with pytest.raises(UnknownNameError, match=r"unknown company 'IRNE'; closest: IREN") as info:
        load_company("IRNE")
    assert "CORZ" in info.value.valid


# --------------------------------------------------------------------------- missing inputs


def test_a_missing_balance_sheet_number_gives_a_clear_error():
    bitf = _with_balance_sheet("BITF", cash_usd=1e8)  # a user's file without a share count
    expected = (
        "BITF: shares_outstanding is required to compute equity value per share; add it to "
        "the company file under balance_sheet (as of a date, with its source)"
    )
    with pytest.raises(MissingInputError) as info:
        require(bitf, "shares_outstanding")
    assert str(info.value) == expected
    assert info.value.field == "shares_outstanding"
    with pytest.raises(UnknownNameError, match="closest: debt_usd"):
        require(bitf, "debt")


def _with_balance_sheet(ticker: str, **numbers: float) -> ListedCompanySpec:
    data = yaml.safe_load((DATA / f"{ticker.lower()}.yaml").read_text(encoding="utf-8"))
    data["balance_sheet"] = {
        "as_of": "2025-09-30",
        "source_url": "https://www.sec.gov/example-10-q",
        **numbers,
    }
    return parse_company(yaml.safe_dump(data), "user file")


def test_user_inputs_are_used_when_given():
    iren = _with_balance_sheet("IREN", shares_outstanding=3.0e8, btc_held=0.0)
    assert require(iren, "shares_outstanding") == 3.0e8
    assert require(iren, "btc_held") == 0.0  # an explicit zero is a number, not a gap
    with pytest.raises(MissingInputError, match="IREN: debt_usd is required"):
        require(iren, "debt_usd")


def test_user_file_by_path(tmp_path: Path):
    data = yaml.safe_load((DATA / "wulf.yaml").read_text(encoding="utf-8"))
    data["balance_sheet"] = {
        "as_of": dt.date(2025, 9, 30),
        "source_url": "https://www.sec.gov/example",
        "cash_usd": 1e8,
    }
    path = tmp_path / "my_wulf.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert require(load_company(path), "cash_usd") == 1e8
    assert require(load_company(str(path)), "cash_usd") == 1e8


# --------------------------------------------------------------------------- bad files


def test_bad_company_file_names_the_field_line_and_rule():
    text = (DATA / "hut.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "    it_mw: 245\n    gross_mw: 330\n", "    it_mw: -245\n    gross_mw: 330\n"
    )
    with pytest.raises(SpecError, match=r"ai_contracts\[0\]\.it_mw \(line \d+\): -245"):
        parse_company(text, "bad.yaml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ticker": "iren"}, "String should match pattern"),
        ({"as_of": "2020-01-01"}, "after the file's as_of 2020-01-01"),
        ({"shares_outstanding": 1}, "unknown field"),
    ],
)
def test_bad_company_values(change, message):
    data = yaml.safe_load((DATA / "iren.yaml").read_text(encoding="utf-8"))
    with pytest.raises(SpecError, match=message):
        parse_company(yaml.safe_dump({**data, **change}))


def test_bad_source_url_period_and_supersede():
    data = yaml.safe_load((DATA / "corz.yaml").read_text(encoding="utf-8"))
    data["sites"][0]["source_url"] = "facts.md [71]"
    data["hashrate"][0]["as_of"] = "Q3 2025"
    with pytest.raises(SpecError) as info:
        parse_company(yaml.safe_dump(data))
    text = str(info.value)
    assert "sites[0].source_url" in text
    assert "must be a URL" in text
    assert "hashrate[0].as_of" in text
    assert "YYYY-Qn" in text
    data = yaml.safe_load((DATA / "corz.yaml").read_text(encoding="utf-8"))
    data["ai_contracts"][0]["superseded_by"] = "nope"
    with pytest.raises(SpecError, match="superseded_by 'nope' is not the id of a contract"):
        parse_company(yaml.safe_dump(data))


@pytest.mark.parametrize(
    ("period", "first", "last"),
    [
        ("2025", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
        ("2025-Q3", dt.date(2025, 7, 1), dt.date(2025, 9, 30)),
        ("2025-H2", dt.date(2025, 7, 1), dt.date(2025, 12, 31)),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        ("2025-10-22", dt.date(2025, 10, 22), dt.date(2025, 10, 22)),
    ],
)
def test_period_bounds(period, first, last):
    assert period_bounds(period) == (first, last)


def test_missing_file_and_empty_file(tmp_path: Path):
    with pytest.raises(SpecError, match="file not found"):
        load_company(tmp_path / "none.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(SpecError, match="the file is empty"):
        load_company(empty)


# --------------------------------------------------------------------------- CLI


def test_cli_catalog_companies_table():
    res = invoke("catalog", "companies")
    assert res.exit_code == 0, res.output
    for ticker in ("CORZ", "IREN", "WULF", "HUT"):
        assert ticker in res.stdout
    assert "AI IT MW" in res.stdout


def test_cli_catalog_companies_json_has_every_fact_with_sources():
    res = invoke("catalog", "companies", "--json")
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    companies = {c["ticker"]: c for c in payload["companies"]}
    assert set(companies) == set(company_names())
    hut = companies["HUT"]
    lease = hut["ai_contracts"][0]
    assert (lease["total_value_usd"], lease["escalator_frac_per_year"]) == (7.0e9, 0.03)
    assert lease["source_url"].startswith("https://")
    assert lease["as_of"] == "2025-12-17"
    assert hut["balance_sheet"]["btc_held"]["btc"] == 13696
    assert hut["summary"]["ai_it_mw"] == 245


def test_cli_one_company():
    res = invoke("catalog", "companies", "wulf")
    assert res.exit_code == 0, res.output
    assert "fluidstack-cb" in res.stdout
    assert "Sources:" in res.stdout
    assert "https://blockspace.media/insight/terawulf" in res.stdout
    one = json.loads(invoke("catalog", "companies", "WULF", "--json").stdout)
    assert one["ticker"] == "WULF"


def test_cli_unknown_company_exits_2():
    res = invoke("catalog", "companies", "IRNE")
    assert res.exit_code == 2
    assert "closest: IREN" in res.output


def test_backstop_larger_than_the_contract_is_refused() -> None:
    text = (
        (DATA / "wulf.yaml")
        .read_text(encoding="utf-8")
        .replace("backstop_usd: 3.2e+9", "backstop_usd: 9.9e+9")
    )
    with pytest.raises(SpecError, match=r"backstop_usd: 9\.9e"):
        parse_company(text)


def test_tenant_credit_class_derived_or_given() -> None:
    cifr = {c.id: c.credit_class() for c in load_company("CIFR").active_contracts()}
    assert cifr == {"fluidstack-barber-lake": "backstopped", "fluidstack-addon": "backstopped",
                    "aws": "hyperscaler"}  # fmt: skip
    assert load_company("CORZ").active_contracts()[0].credit_class() == "neocloud"


def test_phases_beyond_the_contracts_mw_are_refused() -> None:
    text = (
        (DATA / "apld.yaml")
        .read_text(encoding="utf-8")
        .replace("{start: 2027, it_mw: 150}", "{start: 2027, it_mw: 450}")
    )
    with pytest.raises(SpecError, match="phases: 700 IT MW"):
        parse_company(text)


def test_cli_one_company_shows_its_balance_sheet_and_gaps():
    res = invoke("catalog", "companies", "CIFR")
    assert res.exit_code == 0, res.output
    assert "Balance sheet" in res.stdout
    assert "cipher-compute-2030" in res.stdout
    assert "missing: conv-2030 principal" in res.stdout


def test_cli_catalog_prints_the_consistency_warnings():
    res = invoke("catalog", "companies")
    assert res.exit_code == 0, res.output
    # MARA reports 60.4 EH/s, an 18.3 J/TH fleet and no operating MW:
    # 60.4 x 18.3 x 1.05 = 1 160.6 MW needed
    assert "MARA: 60.4 EH/s" in res.stdout
    assert "needs 1,161 MW" in res.stdout
    payload = json.loads(invoke("catalog", "companies", "--json").stdout)
    by_ticker = {c["ticker"]: c["consistency_warnings"] for c in payload["companies"]}
    # RIOT reports 36.6 EH/s (2025-H2) and a 20.5 J/TH fleet (2025-09): 36.6 x 20.5 x 1.05
    # = 788 MW > 700 MW operating x 1.1 slack = 770 MW, a true lag between its facts
    assert [w for w in by_ticker["RIOT"] if "needs 788 MW" in w]
    assert by_ticker["CLSK"] == []
    assert by_ticker["MARA"]


def test_bitfarms_hashrate_fits_its_mw_and_galaxy_says_why_it_has_none() -> None:
    from hashpivot.listed.checks import consistency_warnings

    bitf = load_company("BITF")
    hr = bitf.latest_hashrate()
    assert hr is not None
    assert (hr.hashrate_eh_s, hr.fleet_efficiency_j_per_th) == (17.7, 17.0)
    # 17.7 EH/s x 17 J/TH x 1.05 = 316 MW, within the 341 MW energised: no warning
    assert consistency_warnings(bitf) == []
    glxy = load_company("GLXY")
    assert glxy.latest_hashrate() is None
    wind_down = [f for f in glxy.other_facts if "wound down its bitcoin mining" in f.text]
    assert [f.as_of for f in wind_down] == ["2025-Q1"]
