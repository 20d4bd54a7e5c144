"""The pace of the pivot (hashpivot.listed.timeline): hand calculations and invariants."""

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hashpivot.cli import app
from hashpivot.errors import UnknownNameError
from hashpivot.listed.catalog import company_names, load_company, parse_company
from hashpivot.listed.timeline import (
    company_timeline,
    displaces_mining,
    energised_frac,
    it_mw_per_gpu,
    pflops_energised,
    pivot_timeline,
    quarter_ends,
)

URL = "https://www.sec.gov/example-10-q"


def _item(**kw: Any) -> dict[str, Any]:
    return {"as_of": "2025-09-30", "source_url": URL, **kw}


# A toy miner: 300 MW gross operating; 20 EH/s reported for 2025-03, 12 EH/s for 2025-09;
# one lease of 100 IT MW (130 gross) at site A, 1.2B USD over 10 years, energised linearly
# from 2025-01-01 to 2025-12-31.
TOY = {
    "ticker": "TOY",
    "name": "Toy Miner Inc.",
    "as_of": "2026-01-15",
    "sites": [_item(name="A", gross_mw=300, status="operating")],
    "hashrate": [_item(hashrate_eh_s=20.0, kind="self_mining", as_of="2025-03"),
                 _item(hashrate_eh_s=12.0, kind="self_mining", as_of="2025-09")],
    "ai_contracts": [
        _item(id="lease", partner="Microsoft", site="A", it_mw=100, gross_mw=130,
              total_value_usd=1.2e9,
              term_years=10, signed="2024-10", energisation_start="2025-01",
              energisation_end="2025-12"),
    ],
}  # fmt: skip
HASHPRICE = 50.0
ENDS = [dt.date(2024, 12, 31), dt.date(2025, 3, 31), dt.date(2025, 9, 30), dt.date(2025, 12, 31)]


def _toy_rows() -> list[dict[str, Any]]:
    company = parse_company(yaml.safe_dump(TOY), "test file")
    return company_timeline(company, ENDS, dt.date(2026, 1, 15), "GB200", HASHPRICE)


def test_it_mw_and_pflops_of_a_gb200_rack_by_hand() -> None:
    # GB200 NVL72: about 120 kW for 72 GPUs (https://introl.com/blog/why-nvidia-gb300-nvl72-
    # blackwell-ultra-matters) -> 1.6667 kW per GPU; 72 x 2 500 dense BF16 TFLOPS = 180 PF
    # per rack (facts.md table), so 1 IT MW = 1000/120 racks x 180 PF = 1 500 PF.
    assert it_mw_per_gpu(1_200.0) == pytest.approx(120.0 / 72 / 1_000, rel=1e-9)
    assert float(pflops_energised(1.0, 1_200.0, 2_500.0)) == pytest.approx(1_500.0, rel=1e-9)
    # arrays broadcast: 0, 10 and 39 IT MW
    out = pflops_energised(np.array([0.0, 10.0, 39.0]), 1_200.0, 2_500.0)
    np.testing.assert_allclose(out, [0.0, 15_000.0, 58_500.0])


def test_energised_frac_ramp_and_step() -> None:
    # ramp over days 0..10: 0 before, half at day 5, all from day 10 on
    np.testing.assert_allclose(energised_frac(0, 10, [-1, 0, 5, 10, 20]), [0, 0, 0.5, 1, 1])
    # no ramp: all from the start day
    np.testing.assert_allclose(energised_frac(3, 3, [2, 3, 4]), [0, 1, 1])


def test_quarter_ends_cover_the_span() -> None:
    got = quarter_ends(dt.date(2024, 2, 10), dt.date(2024, 11, 1))
    assert got == [dt.date(2024, 3, 31), dt.date(2024, 6, 30), dt.date(2024, 9, 30),
                   dt.date(2024, 12, 31)]  # fmt: skip


def test_toy_company_by_hand() -> None:
    rows = _toy_rows()
    assert [r["quarter"] for r in rows] == ["2024-Q4", "2025-Q1", "2025-Q3", "2025-Q4"]
    before, q1, q3, q4 = rows
    # before the ramp: nothing energised, no hashrate reported yet
    assert before["ai_it_mw_energised"] == 0.0
    assert before["hashrate_eh_s"] is None
    assert before["ai_revenue_share_frac"] is None
    assert before["mining_gross_mw"] == 300.0
    # 2025-03-31: 89 days into a 364-day ramp (Jan 31 + Feb 28 + Mar 30)
    assert q1["ai_it_mw_energised"] == pytest.approx(100 * 89 / 364)
    assert q1["ai_gross_mw_energised"] == pytest.approx(130 * 89 / 364)
    assert q1["mining_gross_mw"] == pytest.approx(300 - 130 * 89 / 364)
    assert q1["hashrate_eh_s"] == 20.0
    assert q1["eh_s_retired"] == 0.0
    # 2025-09-30: 12 EH/s reported, 8 EH/s below the peak of 20
    assert q3["hashrate_eh_s"] == 12.0
    assert q3["eh_s_retired"] == 8.0
    # 2025-12-31: all 100 IT MW, mining 300 - 130 = 170 MW. The 12 EH/s were reported on
    # 2025-09-30, day 272 of the 364-day ramp, with 300 - 130 x 272/364 = 202.857 MW mining:
    # implied 12 x 170 / 202.857 = 10.0563 EH/s, 9.9437 below the peak of 20.
    # Rent 1.2e9 / 10 = 120M USD/yr; mining 10.0563 x 1000 PH/EH x 50 USD/PH/day x 365.25
    # = 183.653M USD/yr; AI share 120 / 303.653 = 0.39519
    assert q4["ai_it_mw_energised"] == pytest.approx(100.0)
    assert q4["mining_gross_mw"] == pytest.approx(170.0)
    assert q4["hashrate_eh_s"] == 12.0
    assert q4["hashrate_eh_s_implied"] == pytest.approx(12 * 170 / (300 - 130 * 272 / 364))
    assert q4["eh_s_retired"] == pytest.approx(9.9437, abs=1e-4)
    assert q4["ai_revenue_usd_per_year"] == pytest.approx(120e6)
    assert q4["ai_revenue_share_frac"] == pytest.approx(0.39519, abs=1e-5)
    # 100 IT MW of GB200 at 1 500 PF per IT MW (see above); FP8 dense is twice BF16
    assert q4["ai_bf16_pflops"] == pytest.approx(150_000.0)
    assert q4["ai_fp8_pflops"] == pytest.approx(300_000.0)
    assert not any(r["projected"] for r in rows)


def test_construction_delay_shifts_the_ramp() -> None:
    lease = {**TOY["ai_contracts"][0], "construction_delay_months": 3}  # type: ignore[index]
    company = parse_company(yaml.safe_dump({**TOY, "ai_contracts": [lease]}), "test file")
    rows = company_timeline(company, ENDS, dt.date(2026, 1, 15), "GB200", HASHPRICE)
    # ramp 2025-04-01 .. 2026-03-31 (364 days): nothing by 2025-03-31; by 2025-09-30 182
    # days in (Apr 30 + May 31 + Jun 30 + Jul 31 + Aug 31 + Sep 29), half of the ramp
    assert rows[1]["ai_it_mw_energised"] == 0.0
    assert rows[2]["ai_it_mw_energised"] == pytest.approx(100 * 182 / 364)


def test_ai_at_a_new_build_site_leaves_mining_alone() -> None:
    lease = {**TOY["ai_contracts"][0], "site": "B"}  # type: ignore[index]
    sites = [*TOY["sites"], _item(name="B", gross_mw=200, status="pipeline")]  # type: ignore[misc]
    company = parse_company(yaml.safe_dump({**TOY, "sites": sites, "ai_contracts": [lease]}),
                            "test file")  # fmt: skip
    assert not displaces_mining(company, "B")
    assert displaces_mining(company, "a ")  # the operating site, case and spaces aside
    assert not displaces_mining(company, "")  # unnamed, and no mixed-use portfolio
    last = company_timeline(company, ENDS, dt.date(2026, 1, 15), "GB200", HASHPRICE)[-1]
    assert last["mining_gross_mw"] == 300.0
    assert last["ai_gross_mw_energised"] == pytest.approx(130.0)
    mixed = {**TOY, "sites": [_item(name="all", scope="portfolio", use="mixed", gross_mw=300,
                                    status="operating")], "ai_contracts": [lease]}  # fmt: skip
    assert displaces_mining(parse_company(yaml.safe_dump(mixed), "test file"), "")


def test_an_older_gpu_gives_fewer_pflops() -> None:
    company = parse_company(yaml.safe_dump(TOY), "test file")
    h100 = company_timeline(company, ENDS, dt.date(2026, 1, 15), "H100 SXM", HASHPRICE)[-1]
    # H100 SXM: 700 W, 989.4 dense BF16 TFLOPS; 100 MW / (700 W x 1.3889) x 0.9894 PF
    assert h100["ai_bf16_pflops"] == pytest.approx(100e6 / (700 * 120 / 86.4) * 0.9894)


def test_unknown_gpu_names_the_closest() -> None:
    with pytest.raises(UnknownNameError, match="unknown GPU model 'Z900'; closest: H200"):
        pivot_timeline(["CIFR"], gpu_model="Z900")


@settings(max_examples=40, deadline=None)
@given(
    start=st.integers(0, 1_000),
    length=st.integers(0, 1_000),
    days=st.lists(st.integers(-500, 3_000), min_size=2, max_size=20),
)
def test_energised_share_is_a_fraction_that_never_falls(
    start: int, length: int, days: list[int]
) -> None:
    frac = energised_frac(start, start + length, sorted(days))
    assert np.all((frac >= 0.0) & (frac <= 1.0))
    assert np.all(np.diff(frac) >= 0.0)


@pytest.mark.parametrize("ticker", company_names())
def test_catalogue_timeline_ends_with_every_contract_energised(ticker: str) -> None:
    company = load_company(ticker)
    rows = pivot_timeline([ticker], hashprice_usd_per_ph_day=HASHPRICE).rows
    assert rows, ticker
    last = rows[-1]
    phased = sum(
        sum(p.it_mw for p in c.phases) if c.phases else c.it_mw
        for c in company.active_contracts()
        if c.it_mw is not None
    )
    assert last["ai_it_mw_energised"] == pytest.approx(phased)
    # mining MW never above the operating MW and never grows back: conversions only take
    mining = [r["mining_gross_mw"] for r in rows if r["mining_gross_mw"] is not None]
    assert all(0.0 <= m <= company.operating_mw() for m in mining)
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(mining))


# --------------------------------------------------------------------------- CLI


def test_cli_timeline_json_table_and_report(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["comps", "--timeline", "CIFR", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert {r["ticker"] for r in out["rows"]} == {"CIFR"}
    assert out["gpu_model"] == "GB200"
    # CIFR's contracts energise 168 + 39 + 300 IT MW in all by 2026-Q4
    assert out["rows"][-1]["ai_it_mw_energised"] == pytest.approx(507.0)
    report = tmp_path / "pivot.html"
    result = runner.invoke(app, ["comps", "--timeline", "CIFR", "WULF", "--report",
                                 str(report)], terminal_width=200)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "The pace of the pivot" in result.output
    assert "BF16 PFLOPS" in result.output
    html = report.read_text(encoding="utf-8")
    assert "AI IT MW energised" in html
    assert "dense BF16 PFLOPS" in html
    assert "WULF" in html


def test_cli_timeline_refuses_prices_and_unknown_gpu(tmp_path: Path) -> None:
    runner = CliRunner()
    prices = tmp_path / "p.csv"
    prices.write_text("date,CIFR\n2026-02-20,10\n", encoding="utf-8")
    result = runner.invoke(app, ["comps", "--timeline", "--prices", str(prices)])
    assert result.exit_code == 2
    assert "--prices: given with --timeline" in result.output
    result = runner.invoke(app, ["comps", "--timeline", "CIFR", "--gpu", "Z900"])
    assert result.exit_code == 2
    assert "unknown GPU model 'Z900'" in result.output


def test_default_hashprice_is_the_market_states_at_the_timeline_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HASHPIVOT_DATA_DIR", str(tmp_path))  # no fetched state
    tl = pivot_timeline(["CIFR"])
    hp = next(i for i in tl.inputs if i["name"] == "hashprice_usd_per_ph_day")
    # the catalogue's date is 2026-02-20; hashprice that day: 8.64e19 / (144.4e12 · 2^32)
    # × (3.125 + 0.0169) BTC × 67 977.31 USD/BTC = 29.75 USD/PH/day by hand, near the
    # "below 30" reported after the retarget (https://yifi.io/blog/mining/bitcoin-mining-difficulty)
    assert tl.as_of == dt.date(2026, 2, 20)
    assert hp["value"] == pytest.approx(29.75, abs=0.01)
    assert "as of 2026-02-20" in hp["source"]
    given = pivot_timeline(["CIFR"], hashprice_usd_per_ph_day=HASHPRICE)
    assert next(i for i in given.inputs if i["name"] == "hashprice_usd_per_ph_day")["source"] == (
        "given"
    )
