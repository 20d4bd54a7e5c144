"""yfinance adapter with a fake module: the wide adjusted-close layout, bad answers."""

from __future__ import annotations

import sys
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from hashpivot.equities import data as equity_data
from hashpivot.errors import HashpivotError, SpecError
from hashpivot.sources import yfinance as yf_source
from hashpivot.sources.http import SourceFormatError

DAYS = pd.DatetimeIndex(["2026-12-01", "2026-12-02"], tz="America/New_York")


def fake(frame: pd.DataFrame | None) -> Any:
    calls: list[dict[str, Any]] = []

    def download(tickers: list[str], **kwargs: Any) -> pd.DataFrame | None:
        calls.append({"tickers": tickers, **kwargs})
        return frame

    return SimpleNamespace(download=download, calls=calls)


def multi(values: dict[str, list[float]]) -> pd.DataFrame:
    """A frame shaped as yfinance returns for several tickers: (field, ticker) columns."""
    cols = pd.MultiIndex.from_product([["Close", "Volume"], list(values)])
    data = np.column_stack([*values.values(), *[[1e6, 1e6] for _ in values]])
    return pd.DataFrame(data, index=DAYS, columns=cols)


def test_several_tickers_give_one_close_column_each() -> None:
    module = fake(multi({"MARA": [15.0, 16.0], "NVDA": [180.0, 182.5]}))
    out = yf_source.adj_close(["MARA", "NVDA"], "2026-12-01", "2026-12-03", module=module)
    assert list(out.columns) == ["MARA", "NVDA"]
    assert out.index.name == "date"
    assert out.index.tz is None
    assert [str(d.date()) for d in out.index] == ["2026-12-01", "2026-12-02"]
    assert out["NVDA"].tolist() == [180.0, 182.5]
    assert module.calls[0]["auto_adjust"] is True


def test_single_ticker_flat_frame() -> None:
    flat = pd.DataFrame({"Close": [90000.0, 91000.0], "Volume": [1.0, 2.0]}, index=DAYS)
    out = yf_source.adj_close(["BTC-USD"], "2026-12-01", module=fake(flat))
    assert out["BTC-USD"].tolist() == [90000.0, 91000.0]


def test_malformed_and_empty_answers() -> None:
    no_close = pd.DataFrame({"Open": [1.0, 2.0]}, index=DAYS)
    with pytest.raises(
        SourceFormatError, match=r"yfinance: unexpected answer .* field `Close` is missing"
    ):
        yf_source.adj_close(["MARA"], "2026-12-01", module=fake(no_close))
    with pytest.raises(HashpivotError, match=r"yfinance returned no prices for MARA"):
        yf_source.adj_close(["MARA"], "2026-12-01", module=fake(pd.DataFrame()))


def test_equities_wrapper_validates_prices(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = multi({"MARA": [15.0, -1.0]})
    monkeypatch.setattr(
        equity_data, "yfinance_adj_close", lambda *a: yf_source.adj_close(*a, module=fake(bad))
    )
    with pytest.raises(SpecError, match=r"MARA: -1 on 2026-12-02 .* prices must be finite and > 0"):
        equity_data.fetch_adj_close_yfinance(["MARA"], "2026-12-01")


def test_missing_package_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yfinance", None)
    with pytest.raises(HashpivotError, match=r"pip install yfinance.*--prices"):
        yf_source.adj_close(["MARA"], "2026-12-01")
