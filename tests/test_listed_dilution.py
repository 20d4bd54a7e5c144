"""Diluted shares and equity per share of listed companies (hashpivot.listed.dilution)."""

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hashpivot.cli import app
from hashpivot.errors import SpecError
from hashpivot.listed.catalog import company_names, load_company, parse_company
from hashpivot.listed.dilution import (
    diluted_equity,
    if_converted_shares,
    treasury_stock_shares,
)

DATA = Path(__file__).resolve().parents[1] / "src" / "hashpivot" / "data" / "companies"
URL = "https://www.sec.gov/example-10-q"
runner = CliRunner()


def _item(**kw: Any) -> dict[str, Any]:
    return {"as_of": "2025-09-30", "source_url": URL, **kw}


def _company(balance_sheet: dict[str, Any], ticker: str = "wulf") -> Any:
    data = yaml.safe_load((DATA / f"{ticker}.yaml").read_text(encoding="utf-8"))
    data["balance_sheet"] = balance_sheet
    return parse_company(yaml.safe_dump(data), "test file")


TOY = {
    "shares_outstanding": _item(shares=100e6),
    "cash_usd": _item(usd=100e6),
    "btc_held": _item(btc=0),
    "convertibles": [
        _item(id="a", principal_usd=100e6, coupon_frac_per_year=0.0, maturity="2030",
              conversion_price_usd_per_share=5.0),
        _item(id="b", principal_usd=300e6, coupon_frac_per_year=0.01, maturity="2031",
              conversion_price_usd_per_share=20.0),
    ],
    "project_debt": [_item(id="loan", principal_usd=200e6)],
    "warrants": [_item(id="w", holder="partner", shares=10e6, strike_usd_per_share=4.0)],
}  # fmt: skip


# --------------------------------------------------------------------------- methods


def test_if_converted_and_treasury_stock_by_hand() -> None:
    # 100M USD at 5 USD/share converts at 9 USD into 100e6 / 5 = 20M shares; not at 5 or 4
    assert if_converted_shares(100e6, 5.0, 9.0) == pytest.approx(20e6)
    assert if_converted_shares(100e6, 5.0, 5.0) == 0.0
    assert if_converted_shares(100e6, 5.0, 4.0) == 0.0
    # 10M warrants at 4 USD, price 10: proceeds 40M buy back 4M shares -> 6M net
    assert treasury_stock_shares(10e6, 4.0, 10.0) == pytest.approx(6e6)
    assert treasury_stock_shares(10e6, 4.0, 3.0) == 0.0


def test_equity_per_diluted_share_at_a_given_price_by_hand() -> None:
    out = diluted_equity(_company(TOY), 1000e6, 90_000.0, share_price_usd=10.0)
    # at 10 USD: a converts (+20M shares, leaves debt), b stays debt (300M),
    # warrants add 10M x (1 - 4/10) = 6M. Equity = 1000 - 200 - 300 + 100 = 600M USD;
    # shares 100 + 20 + 6 = 126M -> 600 / 126 = 4.7619 USD/share
    assert out.equity_value_usd == pytest.approx(600e6)
    assert out.diluted_shares == pytest.approx(126e6)
    assert out.equity_value_usd_per_share == pytest.approx(600 / 126)
    assert out.debt_usd == pytest.approx(500e6)
    assert out.upside_frac() == pytest.approx(600 / 126 / 10 - 1)
    rows = {r["id"]: r["in_the_money"] for r in out.instruments}
    assert rows == {"a": True, "b": False, "w": True}


def test_fixed_point_price_when_no_price_is_given_by_hand() -> None:
    bs = {
        "shares_outstanding": _item(shares=100e6), "cash_usd": _item(usd=0),
        "btc_held": _item(btc=0),
        "convertibles": [_item(id="c", principal_usd=100e6, coupon_frac_per_year=0.0,
                               maturity="2030", conversion_price_usd_per_share=10.0)],
        "warrants": [_item(id="w", holder="x", shares=10e6, strike_usd_per_share=5.0)],
    }  # fmt: skip
    out = diluted_equity(_company(bs), 2000e6, 90_000.0)
    # converted: equity 2000M, shares 110M + 10M x (1 - 5/S); S = 2000 / (120 - 50/S)
    # -> 120 S - 50 = 2000 -> S = 2050 / 120 = 17.083 USD/share (> 10: c converts)
    assert out.equity_value_usd_per_share == pytest.approx(2050 / 120, rel=1e-9)
    assert out.share_price_usd == pytest.approx(2050 / 120, rel=1e-9)
    assert out.upside_frac() is None


@settings(max_examples=60, deadline=None)
@given(
    ev=st.floats(1e8, 1e10),
    price=st.floats(0.5, 200.0),
    strike=st.floats(0.5, 200.0),
)
def test_dilution_never_raises_value_per_share_above_the_undiluted(
    ev: float, price: float, strike: float
) -> None:
    # invariants at any price: diluted shares >= basic shares, and value per share never
    # exceeds EV / basic shares (a note either stays debt or converts into extra shares;
    # warrants only add shares)
    bs = {
        "shares_outstanding": _item(shares=1e8), "cash_usd": _item(usd=0),
        "btc_held": _item(btc=0),
        "convertibles": [_item(id="c", principal_usd=5e8, coupon_frac_per_year=0.0,
                               maturity="2030", conversion_price_usd_per_share=strike)],
        "warrants": [_item(id="w", holder="x", shares=2e7, strike_usd_per_share=strike)],
    }  # fmt: skip
    out = diluted_equity(_company(bs), ev, 90_000.0, share_price_usd=price)
    assert out.diluted_shares is not None
    assert out.diluted_shares >= 1e8
    assert out.equity_value_usd_per_share is not None
    assert out.equity_value_usd_per_share <= ev / 1e8 + 1e-9


# --------------------------------------------------------------------------- gaps and bad input


def test_missing_items_are_named_never_zero() -> None:
    # toy balance sheets, so that the test does not follow the catalogue's look-ups
    no_cash = {k: v for k, v in TOY.items() if k != "cash_usd"}
    no_cash["missing"] = [{"item": "cash_usd", "reason": "no source found"}]
    out = diluted_equity(_company(no_cash), 1e9, 90_000.0)
    assert out.missing == ("cash_usd",)
    assert out.equity_value_usd is None
    assert out.equity_value_usd_per_share is None
    assert "WULF: cash_usd is required" in out.message()
    gaps = {k: v for k, v in TOY.items() if k not in ("shares_outstanding", "btc_held")}
    gaps["missing"] = [{"item": "partner warrants", "reason": "share count not given"}]
    two = diluted_equity(_company(gaps), 1e9, 90_000.0)
    assert two.missing == ("shares_outstanding", "btc_held")
    assert two.equity_value_usd_per_share is None
    assert any("partner warrants" in n for n in two.notes)


def test_a_conversion_price_of_zero_or_less_is_a_spec_error_naming_the_field() -> None:
    bad = dict(TOY)
    bad["convertibles"] = [dict(TOY["convertibles"][0], conversion_price_usd_per_share=0)]
    with pytest.raises(SpecError, match=r"convertibles\[0\]\.conversion_price_usd_per_share"):
        _company(bad)
    bad["convertibles"] = [dict(TOY["convertibles"][0], conversion_price_usd_per_share=-3)]
    with pytest.raises(SpecError, match="must be > 0"):
        _company(bad)


def test_items_older_than_a_year_before_the_valuation_date_are_flagged_stale() -> None:
    out = diluted_equity(_company(TOY), 1e9, 9e4, 10.0, as_of=dt.date(2026, 10, 1))
    # 2025-09-30 is 366 days before 2026-10-01
    assert "shares_outstanding (as of 2025-09-30)" in out.stale
    assert diluted_equity(_company(TOY), 1e9, 9e4, 10.0, as_of=dt.date(2026, 9, 30)).stale == ()


def test_bad_share_price_is_refused() -> None:
    with pytest.raises(SpecError, match="share price: -1"):
        diluted_equity(_company(TOY), 1e9, 9e4, share_price_usd=-1.0)


# --------------------------------------------------------------------------- catalogue and CLI


def _value_json(*args: str) -> dict[str, Any]:
    res = runner.invoke(app, ["value", *args, "--json"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    return dict(json.loads(res.stdout))


def test_every_catalogue_company_gets_a_per_share_value_or_names_what_is_missing() -> None:
    valued = []
    for ticker in company_names():
        out = diluted_equity(load_company(ticker), 1e9, 90_000.0)
        if out.equity_value_usd_per_share is None:
            assert out.missing, ticker
        else:
            valued.append(ticker)
    assert {"RIOT", "CLSK", "CORZ", "WULF", "APLD", "CIFR", "IREN"} <= set(valued)


def test_cli_value_shows_dilution_and_upside() -> None:
    out = _value_json("CIFR", "--price", "15")
    d = out["dilution"]
    assert d["share_price_source"] == "given"
    assert d["share_price_usd"] == 15
    # 393.28M basic + Google's 24,178,576 warrants (strike not found: counted in full);
    # the 2031 notes convert at 16.03 USD, above 15: no shares
    assert d["diluted_shares"] == pytest.approx(393.28e6 + 24_178_576)
    assert out["upside_frac"] == pytest.approx(out["equity_value_usd_per_share"] / 15 - 1)
    res = runner.invoke(app, ["value", "CIFR", "--price", "15"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "Diluted shares" in res.stdout
    assert "upside to 15" in res.stdout
    missing = _value_json("HUT")
    assert missing["equity_value_usd_per_share"] is None
    assert missing["missing"] == ["cash_usd", "other_debt_usd"]


def test_share_price_on_takes_the_last_close_on_or_before_the_day() -> None:
    import pandas as pd

    from hashpivot.listed.dilution import share_price_on

    prices = pd.DataFrame(
        {"CIFR": [9.0, 10.0, 12.0]},
        index=pd.to_datetime(["2026-02-18", "2026-02-19", "2026-02-23"]),
    )
    # valuation 2026-02-20 (a Friday without a row): the 2026-02-19 close
    assert share_price_on(prices, "CIFR", dt.date(2026, 2, 20)) == (10.0, dt.date(2026, 2, 19))
    with pytest.raises(SpecError, match="no column 'WULF'"):
        share_price_on(prices, "WULF", dt.date(2026, 2, 20))
    with pytest.raises(SpecError, match="no price on or before 2026-01-01"):
        share_price_on(prices, "CIFR", dt.date(2026, 1, 1))


def test_cli_value_with_a_price_file(tmp_path: Path) -> None:
    csv = tmp_path / "prices.csv"
    csv.write_text("date,CIFR,WULF\n2026-02-19,10.0,7.0\n2026-02-23,12.0,8.0\n", encoding="utf-8")
    out = _value_json("CIFR", "--price-file", str(csv))
    assert out["share_price_usd"] == 10.0
    assert out["share_price_as_of"] == "2026-02-19"
    assert out["upside_frac"] == pytest.approx(out["equity_value_usd_per_share"] / 10.0 - 1)
    both = runner.invoke(app, ["value", "CIFR", "--price-file", str(csv), "--price", "3"])
    assert both.exit_code == 2
    assert "give one of --price or --price-file" in both.output


def test_a_price_for_a_scenario_is_refused() -> None:
    res = runner.invoke(app, ["value", "--price", "10"])
    assert res.exit_code == 2
    assert "--price applies to a listed company" in res.output
