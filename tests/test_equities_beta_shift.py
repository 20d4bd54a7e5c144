"""Beta event study (betas before vs after a first AI contract) and joined BTC histories."""

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from _synthetic_equities import write_synthetic_csvs
from hashpivot.cli import app
from hashpivot.equities import beta_shift as bs
from hashpivot.equities import data as ed
from hashpivot.equities.events import DealEvent, load_deal_events
from hashpivot.errors import HashpivotError, SpecError

runner = CliRunner()
EQUITIES_CSV = "equities_adj_close_daily_2018_2026.csv"
BTC_FILES = ("btc_network_daily.csv", "btc_price_daily_2025_2026.csv")
EVENT_DAY = 400  # position of the synthetic event in a 800-day panel
BEFORE, AFTER = (1.5, 0.2), (0.5, 0.8)  # (b_btc, b_ai) before and after the event


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "160", "NO_COLOR": "1"})


def panel_with_a_break(seed: int, n_days: int = 800) -> pd.DataFrame:
    """Returns whose BTC and AI loadings jump at EVENT_DAY; AI factor independent of BTC."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2022-01-03", periods=n_days)
    btc = rng.normal(0.0, 0.03, n_days)
    ai = rng.normal(0.0, 0.02, n_days)
    after = np.arange(n_days) >= EVENT_DAY
    b_btc = np.where(after, AFTER[0], BEFORE[0])
    b_ai = np.where(after, AFTER[1], BEFORE[1])
    stock = b_btc * btc + b_ai * ai + rng.normal(0.0, 0.02, n_days)
    return pd.DataFrame({"BTC": btc, "NVDA": ai, "STCK": stock}, index=days)


def event(ticker: str, date: str, kind: str = "colocation_lease", n: int = 0) -> DealEvent:
    return DealEvent(
        event_id=f"{ticker.lower()}-deal-{n}",
        ticker=ticker,
        partner="Tenant",
        kind=kind,  # type: ignore[arg-type]
        date=dt.date.fromisoformat(date),
        date_basis="test",
        headline="test deal",
        source_url="https://example.com/deal",
        as_of=dt.date(2026, 7, 1),
    )


# --------------------------------------------------------------------------- the estimator


def test_known_shift_recovered_within_three_standard_errors() -> None:
    panel = panel_with_a_break(1)
    row = bs.beta_shift(panel, "STCK", EVENT_DAY, window_days=250, gap_days=5)
    assert row["n_before"] == 250
    assert row["n_after"] == 250
    for f, truth in (("beta_btc", AFTER[0] - BEFORE[0]), ("beta_ai", AFTER[1] - BEFORE[1])):
        assert abs(row[f"{f}_shift"] - truth) < 3 * row[f"se_{f}_shift"]
    assert row["t_beta_btc_shift"] < -10  # a shift of -1.0 is unmistakable at 250 days
    # the windows leave out the event's ±5 days: before ends 6 trading days earlier
    assert row["end_before"] == str(panel.index[EVENT_DAY - 6].date())
    assert row["start_after"] == str(panel.index[EVENT_DAY + 6].date())


def test_shift_standard_error_matches_the_spread_over_repeated_samples() -> None:
    # independent reference: the standard deviation of the estimated shift over 150
    # simulated histories must agree with the mean reported standard error (±20 %)
    rows = [bs.beta_shift(panel_with_a_break(s), "STCK", EVENT_DAY) for s in range(150)]
    for f in ("beta_btc", "beta_ai"):
        spread = np.std([r[f"{f}_shift"] for r in rows], ddof=1)
        reported = np.mean([r[f"se_{f}_shift"] for r in rows])
        assert reported == pytest.approx(spread, rel=0.2)


def test_shift_standard_error_is_the_root_sum_of_squares() -> None:
    # 3-4-5 triangle
    assert bs.shift_standard_error(0.3, 0.4) == pytest.approx(0.5)


def test_first_ai_contract_skips_takeovers_and_later_deals() -> None:
    events = [
        event("AAA", "2025-03-01", n=1),
        event("AAA", "2024-01-10", kind="acquisition", n=2),
        event("AAA", "2024-06-01", kind="gpu_cloud", n=3),
        event("BBB", "2025-01-01", kind="acquisition", n=4),
    ]
    firsts = bs.first_ai_contracts(events)
    assert list(firsts) == ["AAA"]
    assert firsts["AAA"].date == dt.date(2024, 6, 1)


def test_packaged_deals_first_contracts() -> None:
    # ai_deals.yaml: Core Scientific - CoreWeave, 2024-06-03, is CORZ's first AI contract;
    # its 2025-07-07 takeover agreement is not a contract
    firsts = bs.first_ai_contracts(load_deal_events())
    assert firsts["CORZ"].date == dt.date(2024, 6, 3)
    assert all(e.kind in bs.CONTRACT_KINDS for e in firsts.values())


def test_study_skips_short_histories_with_a_reason() -> None:
    panel = panel_with_a_break(2)
    day = str(panel.index[EVENT_DAY].date())
    late = str(panel.index[-30].date())
    events = [event("STCK", day), event("NONE", day)]
    res = bs.beta_event_study(panel, events, window_days=250)
    assert list(res.shifts["ticker"]) == ["STCK"]
    assert res.skipped == {"NONE": "no price column"}
    assert res.pooled.set_index("beta").loc["beta_btc", "n_tickers"] == 1
    with pytest.raises(ed.InsufficientHistoryError, match="joint returns after the event"):
        bs.beta_event_study(panel, [event("STCK", late)])
    with pytest.raises(HashpivotError, match="gap_days -1"):
        bs.beta_event_study(panel, events, gap_days=-1)


# --------------------------------------------------------------------------- joined BTC files


def test_join_btc_histories_takes_the_union_and_checks_overlaps() -> None:
    a = pd.Series([100.0, 101.0, 102.0], index=pd.date_range("2024-12-30", periods=3))
    b = pd.Series([102.0, 103.0], index=pd.date_range("2025-01-01", periods=2))
    joined = ed.join_btc_histories([b, a])
    assert list(joined) == [100.0, 101.0, 102.0, 103.0]
    assert joined.name == "BTC"
    bad = pd.Series([110.0], index=pd.DatetimeIndex(["2025-01-01"]))
    with pytest.raises(SpecError, match=r"2025-01-01: 102\.00 in one file and 110\.00"):
        ed.join_btc_histories([a, bad])


def test_cli_betas_with_two_btc_files(tmp_path: Path) -> None:
    prices, btc = write_synthetic_csvs(tmp_path)
    full = pd.read_csv(btc)
    first, second = tmp_path / "btc_a.csv", tmp_path / "btc_b.csv"
    full.iloc[:900].to_csv(first, index=False)
    full.iloc[900:].rename(columns={"price_usd_cm": "price_usd"}).to_csv(second, index=False)
    both = invoke("betas", "--prices", str(prices), "--btc", f"{first},{second}", "--json")
    one = invoke("betas", "--prices", str(prices), "--btc", str(btc), "--json")
    assert both.exit_code == 0, both.output
    a, b = json.loads(both.stdout)["tickers"], json.loads(one.stdout)["tickers"]
    assert a["MINR"]["beta_btc"] == pytest.approx(b["MINR"]["beta_btc"], rel=1e-12)
    missing = invoke("betas", "--prices", str(prices), "--btc", f"{first},{tmp_path}/no.csv")
    assert missing.exit_code == 2
    assert "BTC file not found" in missing.output


def test_cli_beta_events_json_and_bad_ticker(tmp_path: Path) -> None:
    prices, btc = write_synthetic_csvs(tmp_path)
    events = tmp_path / "events.yaml"
    e = event("MINR", "2021-06-01").model_dump(mode="json")
    import yaml

    events.write_text(yaml.safe_dump({"events": [e]}))
    args = ["beta-events", "--prices", str(prices), "--btc", str(btc), "--events", str(events)]
    res = invoke(*args, "--json")
    assert res.exit_code == 0, res.output
    row = json.loads(res.stdout)["shifts"][0]
    # MINR's loadings never change (1.5 on BTC): the shift is zero within 3 standard errors
    assert abs(row["beta_btc_shift"]) < 3 * row["se_beta_btc_shift"]
    assert row["beta_btc_before"] == pytest.approx(1.5, abs=0.1)
    table = invoke(*args)
    assert table.exit_code == 0
    assert "MINR" in table.output
    bad = invoke(*args, "--tickers", "ZZZ")
    assert bad.exit_code == 2
    assert "no events for ZZZ" in bad.output


# --------------------------------------------------------------------------- real data


def _real_btc(shared: Path) -> str:
    return ",".join(str(shared / f) for f in BTC_FILES)


def test_real_data_betas_reach_2026_with_the_joined_btc_history(shared_data: Path) -> None:
    res = invoke(
        "betas", "--prices", str(shared_data / EQUITIES_CSV), "--btc", _real_btc(shared_data),
        "--tickers", "MARA,CORZ,GLXY", "--json",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    years = {r["year"] for r in out["tickers"]["MARA"]["per_year"]}
    assert {2025, 2026} <= years
    # GLXY lists in 2025: with BTC past 2024 it now has betas instead of a skip
    assert "GLXY" in out["tickers"]
    assert out["tickers"]["MARA"]["end_date"] == "2026-06-26"  # the BTC file's last day


def test_real_data_beta_events(shared_data: Path) -> None:
    panel = ed.load_return_panel(shared_data / EQUITIES_CSV, [shared_data / f for f in BTC_FILES])
    res = bs.beta_event_study(panel, load_deal_events())
    corz = res.shifts.set_index("ticker").loc["CORZ"]
    assert corz["date"] == "2024-06-03"
    assert corz["n_before"] == 84  # CORZ relisted 2024-01-24 after its Chapter 11
    assert corz["n_after"] == bs.WINDOW_DAYS
    assert np.isfinite(res.shifts.filter(like="se_").to_numpy(dtype=float)).all()
    assert "GLXY" in res.skipped  # listed 2025-05, 56 returns before its 2025-08-15 lease


def test_cli_beta_events_report(tmp_path: Path) -> None:
    import yaml

    prices, btc = write_synthetic_csvs(tmp_path)
    events = tmp_path / "events.yaml"
    e = event("MINR", "2021-06-01").model_dump(mode="json")
    events.write_text(yaml.safe_dump({"events": [e]}))
    out = tmp_path / "be.html"
    args = ["beta-events", "--prices", str(prices), "--btc", str(btc), "--events", str(events)]
    res = invoke(*args, "--report", str(out))
    assert res.exit_code == 0, res.output
    text = out.read_text()
    assert "Before vs after" in text
    assert "Rolling betas around the first contract" in text
    assert '"type":"line"' in text.replace(" ", "")  # the dashed line at the contract
