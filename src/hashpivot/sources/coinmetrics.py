"""Daily Bitcoin history from the Coin Metrics community API (v4, no key needed).

:func:`daily_history` reads ``PriceUSD``, ``IssTotNtv``, ``FeeTotNtv``, ``HashRate`` and
``BlkCnt`` for BTC, one row per UTC day, following ``next_page_url`` until the window
is read, and writes them in the column layout of ``btc_network_daily.csv`` that
``hashpivot estimate``, ``equities`` and ``dispatch --hashprice-file`` already read
(``price_usd_cm``, ``drv_fees_btc``, ``drv_hashprice_usd_per_phs_day``, ...).
:func:`daily_btc_price` reads ``PriceUSD`` alone, as ``date, price_usd`` (the layout of
``btc_price_daily_2025_2026.csv``). The base URL is ``--base-url``, else
``$HASHPIVOT_COINMETRICS_URL``, else ``https://community-api.coinmetrics.io/v4``.

Community data is CC BY-NC 4.0: attribute Coin Metrics, non-commercial use.

References
----------
.. [1] Coin Metrics API v4, ``/timeseries/asset-metrics``:
   https://docs.coinmetrics.io/api/v4/#tag/Timeseries/operation/getTimeseriesAssetMetrics
.. [2] Metric definitions: PriceUSD https://docs.coinmetrics.io/asset-metrics/market/priceusd ,
   IssTotNtv, FeeTotNtv, HashRate (TH/s, mean over the day), BlkCnt:
   https://docs.coinmetrics.io/asset-metrics

"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from hashpivot.errors import HashpivotError
from hashpivot.sources import _fields
from hashpivot.sources.http import HttpClient, SourceFormatError, resolve_base_url

SOURCE = "Coin Metrics"
DEFAULT_BASE_URL = "https://community-api.coinmetrics.io/v4"
ENV_VAR = "HASHPIVOT_COINMETRICS_URL"
PATH = "/timeseries/asset-metrics"
PAGE_SIZE = 10_000
"""Rows per page (the API's largest page, [1])."""
MAX_PAGES = 100
"""Pages followed at most (1e6 rows, far above the ~6 000 days of BTC history)."""

METRICS = {
    "PriceUSD": "price_usd_cm",
    "IssTotNtv": "issuance_btc_cm",
    "FeeTotNtv": "fees_btc_cm",
    "HashRate": "hashrate_ths_cm",
    "BlkCnt": "blocks_cm",
}
"""Coin Metrics metric → column of the cached history (units: USD/BTC, BTC/day, BTC/day,
TH/s, blocks/day)."""


def client(base_url: str | None = None) -> HttpClient:
    """An HTTP client for the Coin Metrics community API at ``base_url``."""
    return HttpClient(SOURCE, resolve_base_url(base_url, ENV_VAR, DEFAULT_BASE_URL))


def _params(metrics: list[str], start: dt.date, end: dt.date) -> dict[str, str]:
    return {
        "assets": "btc",
        "metrics": ",".join(metrics),
        "frequency": "1d",
        "start_time": start.isoformat(),
        "end_time": end.isoformat(),
        "page_size": str(PAGE_SIZE),
    }


def _page_rows(body: Any, url: str) -> list[Any]:
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise SourceFormatError(SOURCE, url, "field `data` (the list of rows) is missing")
    rows: list[Any] = body["data"]
    return rows


def _pages(http: HttpClient, params: dict[str, str]) -> list[Any]:
    url = http.url(PATH)
    body = http.get_json(PATH, params)
    rows: list[Any] = []
    for _ in range(MAX_PAGES):
        rows.extend(_page_rows(body, url))
        next_url = str(body.get("next_page_url") or "")
        if not next_url:
            if not rows:
                start, end = params["start_time"], params["end_time"]
                msg = f"{SOURCE}: no data from {start} to {end} at {url}"
                raise HashpivotError(msg)
            return rows
        if not next_url.startswith(http.base_url):
            problem = f"`next_page_url` {next_url[:80]!r} leaves {http.base_url}"
            raise SourceFormatError(SOURCE, url, problem)
        body = http.get_json(next_url[len(http.base_url) :])
    raise SourceFormatError(SOURCE, url, f"more than {MAX_PAGES} pages")


def _frame(rows: list[dict[str, Any]], metrics: list[str], url: str) -> pd.DataFrame:
    out: dict[str, Any] = {"date": []}
    for m in metrics:
        out[METRICS[m]] = []
    for row in rows:
        if not isinstance(row, dict) or "time" not in row:
            raise SourceFormatError(SOURCE, url, "field `time` is missing in a row")
        out["date"].append(str(row["time"])[:10])
        for m in metrics:
            value = row.get(m)
            out[METRICS[m]].append(np.nan if value is None else _fields.number(row, m, SOURCE, url))
    frame = pd.DataFrame(out)
    bad = pd.to_datetime(frame["date"], errors="coerce", format="%Y-%m-%d").isna()
    if bad.any():
        shown = frame.loc[bad, "date"].iloc[0]
        raise SourceFormatError(SOURCE, url, f"field `time`: {shown!r} is not a date")
    return frame.drop_duplicates("date", keep="last").sort_values("date").reset_index(drop=True)


def _require_some(frame: pd.DataFrame, column: str, metric: str, url: str) -> None:
    if frame[column].isna().all():
        raise SourceFormatError(SOURCE, url, f"field `{metric}` is missing in every row")


def daily_history(http: HttpClient, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Daily BTC price, issuance, fees, hashrate, blocks and the derived hashprice.

    Returns
    -------
    pandas.DataFrame
        ``date`` plus :data:`METRICS` columns, ``drv_fees_btc`` (= ``fees_btc_cm``),
        ``drv_revenue_btc`` (issuance + fees) [BTC/day], ``drv_revenue_usd`` [USD/day] and
        ``drv_hashprice_usd_per_phs_day`` = revenue USD / (hashrate TH/s / 1000)
        [USD/PH/day], as in ``btc_network_daily.csv`` (shared data SOURCES.md §1).

    """
    metrics = list(METRICS)
    frame = _frame(_pages(http, _params(metrics, start, end)), metrics, http.url(PATH))
    for metric in ("PriceUSD", "HashRate"):
        _require_some(frame, METRICS[metric], metric, http.url(PATH))
    frame["drv_fees_btc"] = frame["fees_btc_cm"]
    frame["drv_revenue_btc"] = frame["issuance_btc_cm"] + frame["fees_btc_cm"]
    frame["drv_revenue_usd"] = frame["drv_revenue_btc"] * frame["price_usd_cm"]
    frame["drv_hashprice_usd_per_phs_day"] = frame["drv_revenue_usd"] / (
        frame["hashrate_ths_cm"] / 1000.0
    )
    return frame


def daily_btc_price(http: HttpClient, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Daily BTC closes (``PriceUSD``) as ``date, price_usd`` [USD/BTC]."""
    frame = _frame(_pages(http, _params(["PriceUSD"], start, end)), ["PriceUSD"], http.url(PATH))
    _require_some(frame, "price_usd_cm", "PriceUSD", http.url(PATH))
    frame = frame.dropna(subset=["price_usd_cm"])
    if (frame["price_usd_cm"] <= 0).any():
        raise SourceFormatError(SOURCE, http.url(PATH), "field `PriceUSD` — must be > 0")
    return frame.rename(columns={"price_usd_cm": "price_usd"})
