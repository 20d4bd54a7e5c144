"""Adjusted closes from Yahoo Finance through the optional ``yfinance`` package.

:func:`adj_close` returns the wide layout (``date`` index, one column per ticker) that
``hashpivot betas``, ``events`` and ``comps`` read;
:func:`hashpivot.equities.data.fetch_adj_close_yfinance` validates it for the equity
analytics. Never needed by the tests or by file inputs (tests pass a fake module).

References
----------
.. [1] yfinance ``download(tickers, start, end, auto_adjust=True)``: one ``Close``
   column per ticker, split- and dividend-adjusted when ``auto_adjust`` is true,
   https://github.com/ranaroussi/yfinance

"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any

import pandas as pd

from hashpivot.errors import HashpivotError
from hashpivot.sources._optional import optional_module
from hashpivot.sources.http import SourceFormatError

SOURCE = "yfinance"
URL = "https://finance.yahoo.com"


def adj_close(
    tickers: Sequence[str],
    start: str,
    end: str | None = None,
    module: ModuleType | Any | None = None,
) -> pd.DataFrame:
    """Download adjusted closes of ``tickers`` from ``start`` (``end`` exclusive).

    Parameters
    ----------
    tickers
        Yahoo tickers, e.g. ``["MARA", "NVDA", "BTC-USD"]``.
    start, end
        First and last day, ``YYYY-MM-DD`` (``end`` exclusive, as yfinance has it).
    module
        The yfinance module (tests pass a fake); default: import the installed one.

    Returns
    -------
    pandas.DataFrame
        Adjusted closes indexed by ``date`` (naive, normalised), one column per ticker. [USD]

    Raises
    ------
    HashpivotError
        When yfinance is not installed or returns no data; a :class:`SourceFormatError`
        when the answer has no ``Close`` prices.

    """
    yf = module or optional_module("yfinance", "or pass a CSV of adjusted closes with --prices")
    data = yf.download(list(tickers), start=start, end=end, auto_adjust=True, progress=False)
    if data is None or len(data) == 0:
        msg = f"yfinance returned no prices for {', '.join(tickers)} from {start}"
        raise HashpivotError(msg)
    if isinstance(data.columns, pd.MultiIndex):
        if "Close" not in data.columns.get_level_values(0):
            raise SourceFormatError(SOURCE, URL, "field `Close` is missing")
        closes = data["Close"]
    elif "Close" in data.columns:
        closes = data[["Close"]].rename(columns={"Close": tickers[0]})
    else:
        raise SourceFormatError(SOURCE, URL, "field `Close` is missing")
    closes = pd.DataFrame(closes).rename_axis(columns=None)
    index = pd.DatetimeIndex(pd.to_datetime(closes.index))
    if index.tz is not None:
        index = index.tz_localize(None)
    closes.index = pd.DatetimeIndex(index.normalize(), name="date")
    return closes
