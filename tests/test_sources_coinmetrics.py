"""Coin Metrics community API adapter against recorded pages, and bad answers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import respx

from hashpivot.equities.data import read_btc_price_csv
from hashpivot.errors import HashpivotError
from hashpivot.markets.history import load_daily_history
from hashpivot.sources import coinmetrics
from hashpivot.sources.http import HttpClient, HttpSettings, SourceFormatError

DATA = Path(__file__).parent / "data" / "sources" / "coinmetrics"
BASE = "http://127.0.0.1:8998/v4"
URL = f"{BASE}/timeseries/asset-metrics"
START, END = dt.date(2026, 12, 1), dt.date(2026, 12, 3)


def page(n: int) -> Any:
    return json.loads((DATA / f"asset_metrics_page{n}.json").read_text(encoding="utf-8"))


def client() -> HttpClient:
    return HttpClient(coinmetrics.SOURCE, BASE, HttpSettings(min_interval_s=0.0, backoff_s=0.0))


def serve(router: respx.MockRouter, first: Any, second: Any | None = None) -> respx.Route:
    route = router.route(method="GET", host="127.0.0.1", path="/v4/timeseries/asset-metrics")
    pages = [first] if second is None else [first, second]
    return route.mock(side_effect=[respx.MockResponse(200, json=p) for p in pages])


def test_history_follows_pages_and_derives_hashprice() -> None:
    with respx.mock() as router:
        route = serve(router, page(1), page(2))
        frame = coinmetrics.daily_history(client(), START, END)
    first_params = route.calls[0].request.url.params
    assert first_params["metrics"] == "PriceUSD,IssTotNtv,FeeTotNtv,HashRate,BlkCnt"
    assert first_params["start_time"] == "2026-12-01"
    assert route.calls[1].request.url.params["next_page_token"] == "abc"
    assert frame["date"].tolist() == ["2026-12-01", "2026-12-02", "2026-12-03"]
    # By hand: (450 + 4.5) BTC × 88 000.5 USD / (1.05e9 TH/s / 1000) = 38.091645 USD/PH/day;
    # (468.75 + 5) × 90 000 / 1.1e6 = 38.761364; (437.5 + 3.5) × 91 000 / 1e6 = 40.131.
    assert frame["drv_hashprice_usd_per_phs_day"].tolist() == pytest.approx(
        [38.091645, 38.761364, 40.131], abs=1e-6
    )
    assert frame["drv_fees_btc"].tolist() == [4.5, 5.0, 3.5]
    assert frame["blocks_cm"].tolist() == [144, 150, 140]


def test_history_layout_is_read_by_the_existing_loaders(tmp_path: Path) -> None:
    with respx.mock() as router:
        serve(router, page(1), page(2))
        frame = coinmetrics.daily_history(client(), START, END)
    path = tmp_path / "btc_history.csv"
    frame.to_csv(path, index=False)
    price = read_btc_price_csv(path)  # finds price_usd_cm by itself
    assert price.tolist() == [88000.5, 90000.0, 91000.0]
    columns = ["price_usd_cm", "drv_fees_btc", "hashrate_ths_cm"]
    history = load_daily_history(path, columns, min_days=3)
    assert len(history) == 3


def test_price_only_layout() -> None:
    with respx.mock() as router:
        serve(router, page(2))
        frame = coinmetrics.daily_btc_price(client(), START, END)
    assert list(frame.columns) == ["date", "price_usd"]
    assert frame["price_usd"].tolist() == [91000.0]


def _with_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"data": rows}


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({"rows": []}, r"field `data` \(the list of rows\) is missing"),
        (_with_rows([{"asset": "btc", "PriceUSD": "1"}]), r"field `time` is missing in a row"),
        (
            _with_rows([{"asset": "btc", "time": "2026-12-01T00:00:00Z", "IssTotNtv": "1"}]),
            r"field `PriceUSD` is missing in every row",
        ),
        (
            _with_rows([{"time": "2026-12-01T00:00:00Z", "PriceUSD": "x", "HashRate": "1"}]),
            r"field `PriceUSD`: 'x' is not a number",
        ),
        (
            _with_rows([{"time": "yesterday", "PriceUSD": "1", "HashRate": "1"}]),
            r"field `time`: 'yesterday' is not a date",
        ),
        (
            {"data": [], "next_page_url": "https://elsewhere.example/v4/x"},
            r"`next_page_url` 'https://elsewhere.example/v4/x' leaves",
        ),
    ],
)
def test_malformed_answer_names_source_url_and_field(body: Any, match: str) -> None:
    with respx.mock() as router:
        serve(router, body)
        with pytest.raises(
            SourceFormatError, match=rf"Coin Metrics: unexpected answer from {URL}: {match}"
        ):
            coinmetrics.daily_history(client(), START, END)


def test_empty_window_says_so() -> None:
    with respx.mock() as router:
        serve(router, {"data": []})
        with pytest.raises(HashpivotError, match=r"no data from 2026-12-01 to 2026-12-03 at"):
            coinmetrics.daily_btc_price(client(), START, END)


def test_non_positive_price_is_refused() -> None:
    body = _with_rows([{"time": "2026-12-01T00:00:00Z", "PriceUSD": "0"}])
    with respx.mock() as router:
        serve(router, body)
        with pytest.raises(SourceFormatError, match=r"field `PriceUSD` — must be > 0"):
            coinmetrics.daily_btc_price(client(), START, END)
