"""The listed miners side by side (hashpivot.listed.comps): rows checked by hand."""

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from hashpivot.company.listed_value import Overrides
from hashpivot.company.valuation import value_listed_company
from hashpivot.errors import SpecError, UnknownNameError
from hashpivot.listed.catalog import company_names, load_company, parse_company
from hashpivot.listed.comps import (
    SharePrice,
    backlog,
    capacity,
    comps,
    comps_row,
    ebitda_year1_usd,
    ev_parts,
    market_values,
    read_share_price,
    sort_rows,
)
from hashpivot.market_state import latest_market_state
from hashpivot.spec import default_scenario

DATA = Path(__file__).resolve().parents[1] / "src" / "hashpivot" / "data" / "companies"
URL = "https://www.sec.gov/example-10-q"


def _item(**kw: Any) -> dict[str, Any]:
    return {"as_of": "2025-09-30", "source_url": URL, **kw}


# A toy company valued on 2026-01-15 (month 0 starts 2026-02-01): one lease energised in
# 2024-01 for 10 years, one signed for 2027-01 for 5 years, no hashrate.
TOY = {
    "ticker": "TOY",
    "name": "Toy Miner Inc.",
    "as_of": "2026-01-15",
    "sites": [_item(name="A", gross_mw=300, it_mw=200, status="operating"),
              _item(name="B", gross_mw=100, status="pipeline")],
    "ai_contracts": [
        _item(id="old", partner="Microsoft", it_mw=100, total_value_usd=1.2e9, term_years=10,
              escalator_frac_per_year=0.0, noi_margin_frac=0.8, signed="2023-10",
              energisation_start="2024-01"),
        _item(id="new", partner="Neo", it_mw=50, gross_mw=60, total_value_usd=0.5e9,
              term_years=5, escalator_frac_per_year=0.0, noi_margin_frac=0.8,
              signed="2025-06", energisation_start="2027-01"),
    ],
    "balance_sheet": {
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
    },
}  # fmt: skip


def _toy(**changes: Any) -> Any:
    return parse_company(yaml.safe_dump({**TOY, **changes}), "test file")


def _value(company: Any, price: float | None = None) -> Any:
    o = Overrides(share_price_usd=price)
    return value_listed_company(company, default_scenario(), None, o, latest_market_state())


def test_backlog_and_remaining_term_by_hand() -> None:
    amount, years, notes = backlog(_toy(), dt.date(2026, 1, 15))
    # "old": months 2024-01 .. 2033-12 (120); from 2026-02 on, 95 months are left:
    # 1.2e9 x 95 / 120 = 950M USD over 95 / 12 = 7.9167 years. "new" starts later: all of
    # its 500M USD over 5 years. Weighted: (950 x 7.9167 + 500 x 5) / 1450 = 6.9109 years
    assert amount == pytest.approx(1.45e9)
    assert years == pytest.approx((950 * 95 / 12 + 500 * 5) / 1450)
    assert notes == []


def test_a_joint_venture_counts_for_the_company_share() -> None:
    # "new" held 50.1 %: its 500M USD count 250.5M; "old" as above, 950M USD
    contracts = [TOY["ai_contracts"][0], {**TOY["ai_contracts"][1], "ownership_frac": 0.501}]
    amount, years, _ = backlog(_toy(ai_contracts=contracts), dt.date(2026, 1, 15))
    assert amount == pytest.approx(950e6 + 250.5e6)
    assert years == pytest.approx((950 * 95 / 12 + 250.5 * 5) / 1200.5)


def test_a_contract_without_value_is_named_not_counted() -> None:
    contracts = [*TOY["ai_contracts"], {**TOY["ai_contracts"][0], "id": "bare",
                                        "total_value_usd": None}]  # fmt: skip
    amount, _, notes = backlog(_toy(ai_contracts=contracts), dt.date(2026, 1, 15))
    assert amount == pytest.approx(1.45e9)
    assert notes == ["TOY bare: no value, term or IT MW; not in backlog"]


def test_capacity_by_hand() -> None:
    cap = capacity(_toy())
    # operating: site A 300 gross / 200 IT; contracted gross: 100 IT x 1.3 + 60 = 190 MW
    assert cap["operating_gross_mw"] == 300.0
    assert cap["operating_it_mw"] == 200.0
    assert cap["contracted_it_mw"] == 150.0
    assert cap["contracted_gross_mw"] == pytest.approx(190.0)
    assert cap["reported_gross_mw"] == 400.0
    assert cap["ai_share_of_mw_frac"] == pytest.approx(190 / 400)
    assert cap["hashrate_eh_s"] is None


def test_ebitda_year1_of_a_delivered_lease_by_hand() -> None:
    company = _toy(ai_contracts=[TOY["ai_contracts"][0]])
    v = _value(company)
    # no hashrate; the lease is delivered and in its term all year, no escalator:
    # NOI = 1.2e9 / 10 yr x 0.8 margin = 96M USD
    got = ebitda_year1_usd(company, v, default_scenario(), latest_market_state())
    assert got == pytest.approx(96e6, rel=1e-9)


def test_market_cap_and_market_ev_by_hand() -> None:
    company = _toy()
    v = _value(company, price=10.0)
    out = market_values(v, SharePrice(10.0, dt.date(2026, 1, 15)))
    # at 10 USD: convertible a converts (+20M shares), b stays debt (300M), warrants add
    # 10M x (1 - 4/10) = 6M: 126M diluted shares -> market cap 1,260M USD.
    # Market EV = 1260 + (200 loan + 300 b) - 100 cash - 0 BTC = 1,660M USD
    assert out["market_cap_usd"] == pytest.approx(1.26e9)
    assert out["market_cap_shares_basis"] == "diluted"
    assert out["market_ev_usd"] == pytest.approx(1.66e9)
    assert out["model_ev_to_market_ev"] == pytest.approx(v.enterprise_value_usd / 1.66e9)
    assert out["market_missing"] == []


def test_market_ev_names_what_is_missing() -> None:
    bs = {k: v for k, v in TOY["balance_sheet"].items() if k != "cash_usd"}
    v = _value(_toy(balance_sheet=bs), price=10.0)
    out = market_values(v, SharePrice(10.0, dt.date(2026, 1, 15)))
    assert out["market_ev_usd"] is None
    assert out["model_ev_to_market_ev"] is None
    assert out["market_missing"] == ["cash_usd"]
    assert out["market_cap_shares_basis"] == "basic"  # no diluted count without the cash
    assert out["market_cap_usd"] == pytest.approx(1e9)


@pytest.mark.parametrize("ticker", company_names())
def test_parts_add_up_to_the_model_ev(ticker: str) -> None:
    v = _value(load_company(ticker))
    parts = ev_parts(v)
    assert sum(parts.values()) == pytest.approx(v.enterprise_value_usd, rel=1e-9, abs=1.0)
    # the valuation's own grouping: colocation = lease income + lease capex
    colo = v.parts_usd["colocation_usd"]
    assert parts["contracted_ai_usd"] + parts["capex_usd"] == pytest.approx(colo, abs=1.0)
    assert parts["capex_usd"] <= 0.0


def test_row_multiples_by_hand() -> None:
    company = _toy()
    v = _value(company, price=10.0)
    row = comps_row(company, v, 96e6, SharePrice(10.0, dt.date(2026, 1, 15)))
    ev = v.enterprise_value_usd
    assert row["model_ev_to_ebitda_year1"] == pytest.approx(ev / 96e6)
    assert row["model_ev_usd_per_operating_mw"] == pytest.approx(ev / 300)
    assert row["model_ev_usd_per_contracted_it_mw"] == pytest.approx(ev / 150)
    assert row["model_ev_usd_per_reported_mw"] == pytest.approx(ev / 400)
    assert row["model_ev_usd_per_reported_mw"] == pytest.approx(v.ev_per_mw_usd)
    assert row["model_ev_usd_per_eh_s"] is None  # no hashrate
    assert row["market_ev_to_ebitda_year1"] == pytest.approx(1.66e9 / 96e6)
    assert row["backlog_to_market_ev"] == pytest.approx(1.45e9 / 1.66e9)
    per_share = row["equity_value_usd_per_share"]
    assert row["price_to_model_value"] == (pytest.approx(10.0 / per_share)
                                           if per_share > 0 else None)  # fmt: skip
    assert row["missing"] == []


def test_price_file_without_the_column_or_date_says_which() -> None:
    prices = pd.DataFrame({"TOY": [5.0]}, index=pd.DatetimeIndex(["2026-01-10"]))
    assert read_share_price(prices, "TOY", dt.date(2026, 1, 15)) == SharePrice(
        5.0, dt.date(2026, 1, 10)
    )
    none = read_share_price(prices, "TOY", dt.date(2026, 1, 5))
    assert none is not None
    assert none.price_usd is None
    assert none.problem == "price file: TOY has no price on or before 2026-01-05"
    other = read_share_price(prices, "ABC", dt.date(2026, 1, 15))
    assert other is not None
    assert "no column 'ABC'" in str(other.problem)
    assert read_share_price(None, "TOY", dt.date(2026, 1, 15)) is None


def test_comps_keeps_a_row_without_a_price_and_notes_it() -> None:
    prices = pd.DataFrame({"IREN": [40.0]}, index=pd.DatetimeIndex(["2026-02-19"]))
    out = comps(["IREN", "CIFR"], prices=prices)
    rows = {r["ticker"]: r for r in out.rows}
    assert rows["IREN"]["share_price_usd"] == 40.0
    assert rows["CIFR"]["market_ev_usd"] is None
    assert "share_price_usd" in rows["CIFR"]["missing"]
    assert any(n.startswith("CIFR: price file: no column 'CIFR'") for n in out.notes)
    assert [r["ticker"] for r in out.rows] == ["IREN", "CIFR"]  # unknown ratio last


def test_unknown_ticker_names_the_closest() -> None:
    with pytest.raises(UnknownNameError, match="closest: IREN"):
        comps(["IRN"])


def test_valuation_date_before_a_file_is_refused() -> None:
    with pytest.raises(SpecError, match="as_of: 2025-01-01 — must not be before"):
        comps(["IREN"], as_of=dt.date(2025, 1, 1))


def test_every_packaged_company_has_a_value_per_share_or_names_what_is_missing() -> None:
    out = comps()
    assert len(out.rows) == len(company_names()) >= 10
    for row in out.rows:
        assert (row["equity_value_usd_per_share"] is None) == bool(row["missing"])
    evs = [r["enterprise_value_usd"] for r in out.rows]
    assert evs == sorted(evs, reverse=True)


_ratio = st.none() | st.floats(min_value=-1e3, max_value=1e3, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(_ratio, min_size=1, max_size=12))
def test_sorting_puts_known_ratios_first_in_descending_order(ratios: list[Any]) -> None:
    rows = [{"ticker": f"T{k:02d}", "market_ev_usd": 1.0, "model_ev_to_market_ev": r}
            for k, r in enumerate(ratios)]  # fmt: skip
    out = sort_rows(rows)
    got = [r["model_ev_to_market_ev"] for r in out]
    n_known = sum(r is not None for r in ratios)
    assert got[:n_known] == sorted((r for r in ratios if r is not None), reverse=True)
    assert all(r is None for r in got[n_known:])
    assert sorted(r["ticker"] for r in out) == [r["ticker"] for r in rows]


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=0, max_value=200),
    st.integers(min_value=1, max_value=120),
    st.floats(min_value=1.0, max_value=30.0),
)
def test_backlog_runs_off_with_the_valuation_date(start: int, later: int, term: float) -> None:
    # a contract energised `start` months after 2026-01: its backlog never grows as the
    # valuation date moves on, never exceeds its value, and its term left never its term
    year, month = divmod(start, 12)
    contract = {**TOY["ai_contracts"][0], "term_years": term,
                "energisation_start": f"{2026 + year}-{month + 1:02d}"}  # fmt: skip
    company = _toy(ai_contracts=[contract])
    first = dt.date(2026, 1, 15)
    y2, m2 = divmod(later, 12)
    then = dt.date(2026 + y2, 1 + m2, 15)
    now_usd, now_years, _ = backlog(company, first)
    then_usd, _, _ = backlog(company, then)
    assert 0.0 <= then_usd <= now_usd <= 1.2e9 * (1 + 1e-12)
    assert now_years is None or now_years <= round(term * 12) / 12 + 1e-9
