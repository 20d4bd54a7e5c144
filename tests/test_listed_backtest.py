"""The back-test of the self-mining model against what listed miners reported (2024 quarters)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hashpivot.errors import HashpivotError, SpecError
from hashpivot.listed.backtest import (
    backtest,
    daily_hashrate_eh_s,
    load_reported,
    parse_reported,
    quarter_days,
    read_network_history,
)

NETWORK_FILE = "btc_network_daily.csv"


def _history(tmp_path: Path, start: str, end: str, *, ths: float, btc: float, usd: float) -> Path:
    """A flat daily history in the columns of btc_network_daily.csv."""
    days = pd.date_range(start, end, freq="D")
    frame = pd.DataFrame(
        {
            "date": days.strftime("%Y-%m-%d"),
            "hashrate_ths_bc": ths,
            "issuance_btc_cm": btc - 20.0,  # subsidy; 20 BTC of fees below, summing to btc
            "drv_fees_btc": 20.0,
            "price_usd_cm": usd,
        }
    )
    path = tmp_path / "net.csv"
    frame.to_csv(path, index=False)
    return path


def _reported(hashrate: dict[str, float], fee: float | None = None) -> dict[str, object]:
    figures = [
        {"metric": "hashrate_eh_s", "period": p, "value": v, "source_url": "https://example.org/r",
         "published": "2024-04-02", "secondary": False}
        for p, v in hashrate.items()
    ]  # fmt: skip
    figures += [
        {"metric": "btc_mined", "period": "2024-Q1", "value": 1500.0, "source_url": "https://e.org",
         "published": "2024-04-02", "secondary": False},
        {"metric": "self_mining_revenue_usd", "period": "2024-Q1", "value": 80e6,
         "source_url": "https://e.org", "published": "2024-05-01", "secondary": True},
    ]  # fmt: skip
    return {
        "companies": {"TOY": {"pool_fee_frac": fee}},
        "quarters": [
            {"ticker": "TOY", "quarter": "2024-Q1", "hashrate_basis": "average", "figures": figures}
        ],
    }


def test_a_hand_computed_quarter(tmp_path: Path) -> None:
    # 2024-Q1 has 31 + 29 + 31 = 91 days. Network 500 EH/s = 5e8 TH/s, 900 BTC a day
    # (880 issued + 20 fees) at 50 000 USD. A flat 10 EH/s is 10e6 / 5e8 = 2 % of it:
    #   BTC = 0.02 × 900 × 91 = 1 638;  USD = 1 638 × 50 000 = 81 900 000.
    # With a 2 % pool fee: 1 638 × 0.98 = 1 605.24 BTC and 80 262 000 USD.
    history = _history(tmp_path, "2024-01-01", "2024-03-31", ths=5e8, btc=900.0, usd=50_000.0)
    (row,) = backtest(history, reported=parse_reported(_reported({"2024-Q1": 10.0}))).rows
    assert row.days == 91
    assert row.btc_mined_model == pytest.approx(1638.0)
    assert row.self_mining_revenue_usd_model == pytest.approx(81_900_000.0)
    # reported 80 M USD: (81.9 - 80) / 80 = +2.375 %; BTC (1638 - 1500) / 1500 = +9.2 %
    assert row.self_mining_revenue_diff_pct == pytest.approx(2.375)
    assert row.btc_mined_diff_pct == pytest.approx(9.2)
    assert any("no pool fee deducted" in n for n in row.notes)
    assert any("secondary source" in n and "self_mining_revenue_usd" in n for n in row.notes)
    (fee_row,) = backtest(history, reported=parse_reported(_reported({"2024-Q1": 10.0}, 0.02))).rows
    assert fee_row.btc_mined_model == pytest.approx(1605.24)
    assert fee_row.self_mining_revenue_usd_model == pytest.approx(80_262_000.0)


def test_monthly_hashrates_hold_for_their_own_days(tmp_path: Path) -> None:
    # Jan 10, Feb 20, Mar 10 EH/s on the same network: 0.02 × 900 × 31 + 0.04 × 900 × 29
    # + 0.02 × 900 × 31 = 558 + 1 044 + 558 = 2 160 BTC; the quarter's hashrate is the
    # day-weighted mean (10 × 62 + 20 × 29) / 91 = 13.187 EH/s.
    history = _history(tmp_path, "2024-01-01", "2024-03-31", ths=5e8, btc=900.0, usd=50_000.0)
    months = {"2024-01": 10.0, "2024-02": 20.0, "2024-03": 10.0}
    (row,) = backtest(history, reported=parse_reported(_reported(months))).rows
    assert row.btc_mined_model == pytest.approx(2160.0)
    assert row.hashrate_eh_s == pytest.approx((10 * 62 + 20 * 29) / 91)


def test_a_quarter_the_history_does_not_cover_says_so(tmp_path: Path) -> None:
    history = _history(tmp_path, "2024-01-01", "2024-02-29", ths=5e8, btc=900.0, usd=50_000.0)
    result = backtest(history, reported=parse_reported(_reported({"2024-Q1": 10.0})))
    (row,) = result.rows
    assert row.self_mining_revenue_usd_model is None
    assert row.self_mining_revenue_diff_pct is None
    assert any("not covered" in n and "31 of the quarter's 91 days" in n for n in row.notes)
    assert result.to_dict()["company_quarters"] == 0
    assert result.median_abs_revenue_diff_pct is None


def test_quarter_days_and_bad_quarter() -> None:
    assert len(quarter_days("2024-Q4")) == 92
    assert str(quarter_days("2023-Q1")[-1].date()) == "2023-03-31"
    with pytest.raises(SpecError, match="'2024-Q5' — must be YYYY-Qn"):
        quarter_days("2024-Q5")


def test_bad_reported_figures_name_the_field() -> None:
    data = _reported({"2024-Q1": 10.0})
    data["quarters"][0]["figures"][0]["metric"] = "hashrate"  # type: ignore[index]
    with pytest.raises(SpecError, match=r"quarters\[0\].figures\[0\].metric: 'hashrate'"):
        parse_reported(data)
    data = _reported({"2024-01": 10.0})  # February and March missing
    (q,) = parse_reported(data)
    with pytest.raises(SpecError, match="hashrate_eh_s has no figure for 2024-02, 2024-03"):
        daily_hashrate_eh_s(q.quarter, q.by_metric("hashrate_eh_s"))


def test_history_file_problems_name_the_option(tmp_path: Path) -> None:
    with pytest.raises(HashpivotError, match=r"--history: .* no such file"):
        read_network_history(tmp_path / "absent.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("date,price_usd_cm\n2024-01-01,42000\n", encoding="utf-8")
    with pytest.raises(
        HashpivotError, match=r"--history: 'bad\.csv' has no column hashrate_ths_bc"
    ):
        read_network_history(bad)


def test_unknown_ticker_names_those_it_has(tmp_path: Path) -> None:
    history = _history(tmp_path, "2024-01-01", "2024-03-31", ths=5e8, btc=900.0, usd=50_000.0)
    with pytest.raises(HashpivotError, match="tickers: MARA — the back-test has reported"):
        backtest(history, ["MARA"])


def test_packaged_figures_each_carry_a_source() -> None:
    quarters = load_reported()
    assert len(quarters) >= 10
    for q in quarters:
        assert q.hashrate_basis
        for f in q.figures:
            assert f.source_url.startswith(("https://", "http://")), (q.ticker, q.quarter, f)
            assert f.published.startswith(("2024", "2025"))
        # every metric resolves to one quarterly figure (raises when a month is missing)
        assert q.total("btc_mined") > 0
        assert q.total("self_mining_revenue_usd") > 0


# Reported against model on btc_network_daily.csv as of this commit [%]: a model change
# that moves any of them by more than half a point fails here (the issue asks for a test
# that holds the differences). Reasons for the large CORZ rows are in the file's notes.
HELD_REVENUE_DIFF_PCT = {
    ("IREN", "2024-Q1"): 1.0,
    ("IREN", "2024-Q2"): -0.3,
    ("IREN", "2024-Q3"): -0.5,
    ("IREN", "2024-Q4"): 0.8,
    ("RIOT", "2024-Q2"): 4.2,
    ("RIOT", "2024-Q3"): 1.3,
    ("CORZ", "2024-Q1"): 6.2,
    ("CORZ", "2024-Q3"): 24.4,
    ("CORZ", "2024-Q4"): 18.9,
    ("WULF", "2024-Q3"): 23.0,
}


def test_backtest_on_the_shared_network_history(shared_data: Path) -> None:
    result = backtest(shared_data / NETWORK_FILE)
    out = result.to_dict()
    assert out["history_end"] == "2024-12-31"
    assert out["company_quarters"] >= 10
    held = {(r.ticker, r.quarter): r.self_mining_revenue_diff_pct for r in result.rows}
    assert held.keys() == HELD_REVENUE_DIFF_PCT.keys()
    for key, pct in HELD_REVENUE_DIFF_PCT.items():
        assert held[key] == pytest.approx(pct, abs=0.5), key
    assert out["median_abs_revenue_diff_pct"] <= 10.0
    assert out["revenue_target_met"] is True
    for row in out["rows"]:
        assert row["sources"]
        if abs(row["self_mining_revenue_diff_pct"]) > 10:
            assert any(n.startswith("large difference") for n in row["notes"])
