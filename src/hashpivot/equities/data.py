"""Equity price data: read adjusted closes and BTC prices, align calendars, compute returns.

- **Prices.** Adjusted closes from a CSV (wide: ``date`` plus one column per ticker, NaN
  before a listing; or long: ``date, ticker, adj_close``), a BTC price series from any CSV
  with a date and a price, or the optional yfinance adapter (:mod:`hashpivot.sources.yfinance`).
  Bad data is refused with a :class:`~hashpivot.errors.SpecError` whose lines name the
  ticker, the dates, the values and the rule: non-positive or non-numeric prices,
  duplicated dates, unparseable dates.
- **Calendar.** BTC trades every day, stocks on exchange trading days. Each trading day
  takes the BTC close of that calendar day (the last one at most ``max_stale_days``
  earlier when a day is missing), so a Monday return spans the weekend for both the stock
  and BTC. Coin Metrics ``PriceUSD`` is fixed at 00:00 UTC of the next day [1]_, 3-4 hours
  after the 16:00 New York close; that offset is left as it is.
- **Returns.** Simple ``p_t/p_{t-1} - 1`` or log ``ln(p_t/p_{t-1})`` between consecutive
  trading days; a missing price gives NaN returns, never a bridged gap.

The factor model lives in :mod:`hashpivot.equities.betas`, event studies in
:mod:`hashpivot.equities.events`.

References
----------
.. [1] Coin Metrics community data, ``PriceUSD`` definition:
   https://docs.coinmetrics.io/asset-metrics/market/priceusd

"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hashpivot.errors import HashpivotError, SpecError, UnknownNameError
from hashpivot.sources.yfinance import adj_close as yfinance_adj_close

BTC = "BTC"
"""Column name of the BTC price and return series in an aligned panel."""
RETURN_KINDS = ("simple", "log")
"""Valid return definitions: simple ``p_t/p_{t-1} - 1`` or log ``ln(p_t/p_{t-1})``."""
MAX_STALE_DAYS = 3
"""Oldest BTC close carried onto a trading day: 3 calendar days (assumption)."""

_BTC_FILE_COLUMNS = ("price_usd_cm", "price_usd", "adj_close", "close", "price", "btc")
_BTC_PANEL_COLUMNS = ("BTC", "BTC-USD", "BTCUSD", "BTC_USD")
_LONG_PRICE_COLUMNS = ("adj_close", "adjclose", "adj close", "close", "price")
_MAX_LISTED = 5


class InsufficientHistoryError(HashpivotError, ValueError):
    """A ticker or an event with too few returns for the estimate asked of it."""


# --------------------------------------------------------------------------- reading data


def _read_csv(path: str | Path) -> tuple[pd.DataFrame, str]:
    p = Path(path)
    try:
        frame = pd.read_csv(p)
    except FileNotFoundError:
        raise SpecError([f"file not found: {p}"], str(p)) from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise SpecError([f"cannot read {p}: {exc}"], str(p)) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SpecError([f"not a readable CSV: {exc}"], str(p)) from None
    return frame, str(p)


def _day(value: Any) -> str:
    return str(pd.Timestamp(value).date())


def _column(frame: pd.DataFrame, names: Sequence[str]) -> str | None:
    """The first column whose lower-cased name is in ``names`` (in ``names`` order)."""
    lower = {str(c).strip().lower(): str(c) for c in frame.columns}
    return next((lower[n.lower()] for n in names if n.lower() in lower), None)


def _date_index(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    date_col = _column(frame, ("date", "datetime", "timestamp"))
    if date_col is None:
        cols = ", ".join(map(str, frame.columns[:8]))
        raise SpecError([f"no `date` column (columns: {cols})"], source)
    dates = pd.to_datetime(frame[date_col], errors="coerce", utc=True)
    bad = frame.loc[dates.isna(), date_col]
    if len(bad):
        shown = ", ".join(repr(v) for v in bad.head(_MAX_LISTED))
        raise SpecError([f"date: {shown} — not a date (write YYYY-MM-DD)"], source)
    out = frame.drop(columns=[date_col])
    out.index = pd.DatetimeIndex(dates.dt.tz_localize(None).dt.normalize(), name="date")
    return out


def _long_to_wide(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    ticker_col = _column(frame, ("ticker", "symbol"))
    price_col = _column(frame, _LONG_PRICE_COLUMNS)
    if ticker_col is None or price_col is None:
        msg = f"a long file needs `ticker` and one of {', '.join(_LONG_PRICE_COLUMNS)}"
        raise SpecError([msg], source)
    keys = pd.DataFrame({"date": frame.index, "ticker": frame[ticker_col].astype(str).values})
    dup = keys[keys.duplicated(keep=False)].drop_duplicates()
    if len(dup):
        pairs = zip(dup["date"].head(_MAX_LISTED), dup["ticker"].head(_MAX_LISTED), strict=True)
        shown = ", ".join(f"{t} {_day(d)}" for d, t in pairs)
        msg = f"(date, ticker): {shown} — duplicated (each ticker once per date)"
        raise SpecError([msg], source)
    long = pd.DataFrame(
        {"ticker": keys["ticker"].values, "price": frame[price_col].values}, index=frame.index
    )
    return long.pivot(columns="ticker", values="price").rename_axis(columns=None)


def _price_problems(frame: pd.DataFrame) -> list[str]:
    problems: list[str] = []
    dup = frame.index[frame.index.duplicated()].unique()
    if len(dup):
        shown = ", ".join(_day(d) for d in dup[:_MAX_LISTED])
        problems.append(f"date: {shown} — duplicated (each date once)")
    for col in frame.columns:
        raw = frame[col]
        values = pd.to_numeric(raw, errors="coerce")
        text = raw[values.isna() & raw.notna()]
        if len(text):
            shown = ", ".join(f"{v!r} on {_day(d)}" for d, v in text.head(3).items())
            problems.append(f"{col}: {shown} — not a number")
        bad = values[(values <= 0) | np.isinf(values)]
        if len(bad):
            shown = ", ".join(f"{v:g} on {_day(d)}" for d, v in bad.head(3).items())
            more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
            problems.append(f"{col}: {shown}{more} — prices must be finite and > 0 [USD]")
    return problems


def validate_prices(frame: pd.DataFrame, source: str = "<frame>") -> pd.DataFrame:
    """Check a wide frame of prices and return it as sorted float64 columns.

    Parameters
    ----------
    frame
        Prices indexed by date, one column per ticker; NaN where a ticker has no price
        (before a listing). [USD]
    source
        Where the prices came from, for the error message.

    Returns
    -------
    pandas.DataFrame
        The prices, float64, index ``date`` sorted ascending. [USD]

    Raises
    ------
    SpecError
        On duplicated dates, non-numeric cells, or prices that are not finite and > 0;
        one line per problem naming the ticker, the dates and the rule.

    """
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise SpecError(["index — must be dates"], source)
    problems = _price_problems(frame)
    if problems:
        raise SpecError(problems, source)
    out: pd.DataFrame = frame.apply(pd.to_numeric, errors="coerce").astype(np.float64)
    out = out.sort_index()
    out.index.name = "date"
    out.columns = [str(c).strip() for c in out.columns]
    return out


def read_prices_csv(path: str | Path) -> pd.DataFrame:
    """Read adjusted closes from a wide or long CSV.

    Parameters
    ----------
    path
        CSV file. Wide: a ``date`` column plus one column per ticker (NaN before a
        listing), like ``equities_adj_close_daily_2018_2026.csv``. Long: columns ``date``,
        ``ticker`` and ``adj_close`` (or ``close``/``price``).

    Returns
    -------
    pandas.DataFrame
        Prices indexed by date (ascending), one float column per ticker. [USD]

    Raises
    ------
    SpecError
        When the file is missing or unreadable, has no date column, an unparseable date,
        a duplicated date (or date-ticker pair), or a price that is not > 0.

    """
    raw, source = _read_csv(path)
    frame = _date_index(raw, source)
    if _column(frame, ("ticker", "symbol")) is not None:
        frame = _long_to_wide(frame, source)
    if frame.shape[1] == 0:
        raise SpecError(["no price columns besides `date`"], source)
    return validate_prices(frame, source)


def read_btc_price_csv(path: str | Path, column: str | None = None) -> pd.Series:
    """Read a daily BTC price series from any CSV with a date and a price column.

    Parameters
    ----------
    path
        CSV file, e.g. ``btc_network_daily.csv`` (column ``price_usd_cm``).
    column
        Price column; by default the first of ``price_usd_cm``, ``price_usd``,
        ``adj_close``, ``close``, ``price``, ``btc`` present, else the only other column.

    Returns
    -------
    pandas.Series
        BTC price named ``BTC``, indexed by calendar day, rows without a price dropped.
        [USD/BTC]

    Raises
    ------
    SpecError
        On the rules of :func:`validate_prices`, an unknown column, or no prices at all.

    """
    raw, source = _read_csv(path)
    frame = _date_index(raw, source)
    if column is not None:
        if column not in frame.columns:
            valid = [str(c) for c in frame.columns]
            close = difflib.get_close_matches(column, valid, n=3)
            raise UnknownNameError(f"BTC price column in {source}", column, valid, close)
        chosen: str | None = column
    else:
        chosen = _column(frame, _BTC_FILE_COLUMNS)
        if chosen is None and frame.shape[1] == 1:
            chosen = str(frame.columns[0])
    if chosen is None:
        msg = f"no BTC price column found; name it with --btc-column (one of {list(frame.columns)})"
        raise SpecError([msg], source)
    prices = validate_prices(frame[[chosen]], source)[chosen].dropna()
    if prices.empty:
        raise SpecError([f"{chosen}: no prices in the file"], source)
    return prices.rename(BTC)


JOIN_TOLERANCE_FRAC = 0.01
"""Largest relative gap between two BTC files on a day both cover: 1 % (assumption; the
shared files are one Coin Metrics series, so they agree to the cent where they overlap)."""


def join_btc_histories(
    parts: Sequence[pd.Series], tolerance_frac: float = JOIN_TOLERANCE_FRAC
) -> pd.Series:
    """Join BTC price histories, e.g. a file cut at 2024-12-31 and its continuation.

    Parameters
    ----------
    parts
        Daily BTC price series (see :func:`read_btc_price_csv`), any order. [USD/BTC]
    tolerance_frac
        Days present in two series must agree within this relative gap. [fraction]

    Returns
    -------
    pandas.Series
        One series named ``BTC`` over the union of the days, sorted. [USD/BTC]

    Raises
    ------
    SpecError
        When two series disagree on a shared day by more than ``tolerance_frac``: the
        message names the day, both prices and the rule.

    """
    joined = pd.Series(dtype=np.float64)
    for part in sorted(parts, key=lambda s: s.index.min()):
        shared = joined.index.intersection(part.index)
        gap = (part[shared] / joined[shared] - 1.0).abs()
        if len(gap) and float(gap.max()) > tolerance_frac:
            i = int(np.argmax(gap.to_numpy()))
            day = gap.index[i]
            msg = (
                f"BTC price on {_day(day)}: {joined[shared].iloc[i]:.2f} in one file and "
                f"{part[shared].iloc[i]:.2f} in another — joined histories must agree within "
                f"{tolerance_frac:.0%} on shared days"
            )
            raise SpecError([msg], "BTC files")
        joined = pd.concat([joined, part[part.index.difference(shared)]]).sort_index()
    return joined.rename(BTC)


def read_btc_history(paths: Sequence[str | Path], column: str | None = None) -> pd.Series:
    """Read one or several BTC price CSVs and join them (:func:`join_btc_histories`).

    Parameters
    ----------
    paths
        CSV files, e.g. ``btc_network_daily.csv`` (to 2024-12-31) and
        ``btc_price_daily_2025_2026.csv`` (from 2025-01-01).
    column
        Price column, the same in every file; default detected per file
        (see :func:`read_btc_price_csv`).

    Returns
    -------
    pandas.Series
        BTC price by calendar day, named ``BTC``. [USD/BTC]

    """
    return join_btc_histories([read_btc_price_csv(p, column) for p in paths])


def fetch_adj_close_yfinance(
    tickers: Sequence[str], start: str, end: str | None = None
) -> pd.DataFrame:
    """Adjusted closes from Yahoo Finance, validated by :func:`validate_prices` [USD].

    A thin wrapper of :func:`hashpivot.sources.yfinance.adj_close` (the adapter, with
    the optional ``yfinance`` package); see there for the parameters and errors.
    """
    return validate_prices(yfinance_adj_close(tickers, start, end), "yfinance")


# --------------------------------------------------------------------------- calendar, returns


def align_btc_to_trading_days(
    btc_usd: pd.Series, trading_days: pd.DatetimeIndex, max_stale_days: int = MAX_STALE_DAYS
) -> pd.Series:
    """BTC close on each stock trading day.

    Parameters
    ----------
    btc_usd
        BTC price by calendar day (every day, weekends included). [USD/BTC]
    trading_days
        Exchange trading days to align to.
    max_stale_days
        When a day has no BTC price, carry the last earlier close at most this many
        calendar days; NaN beyond, and NaN after the series' last day (a series that
        ends is never extended). [days]

    Returns
    -------
    pandas.Series
        BTC price on each trading day, named ``BTC``. [USD/BTC]

    """
    s = btc_usd.dropna().sort_index()
    s = s[~s.index.duplicated(keep="last")]
    tol = pd.Timedelta(days=max_stale_days)
    out = s.reindex(trading_days, method="ffill", tolerance=tol).rename(BTC)
    if len(s):
        out[trading_days > s.index[-1]] = np.nan  # never extend a series past its end
    return out


def returns_frac(prices: pd.DataFrame, kind: str = "simple") -> pd.DataFrame:
    """Daily returns of every column between consecutive rows.

    Parameters
    ----------
    prices
        Prices on a common calendar (one row per trading day). [USD]
    kind
        ``"simple"``: ``p_t/p_{t-1} - 1``; ``"log"``: ``ln(p_t/p_{t-1})``.

    Returns
    -------
    pandas.DataFrame
        Returns, the first row dropped; NaN where either price is missing (no gap is
        bridged). [fraction per trading day]

    Raises
    ------
    UnknownNameError
        For a ``kind`` other than ``simple`` or ``log``.

    """
    if kind not in RETURN_KINDS:
        close = difflib.get_close_matches(kind, RETURN_KINDS, n=1)
        raise UnknownNameError("return kind", kind, list(RETURN_KINDS), close)
    ratio = prices / prices.shift(1)
    if kind == "log":
        ratio = pd.DataFrame(np.log(ratio.to_numpy()), index=ratio.index, columns=ratio.columns)
        return ratio.iloc[1:]
    return (ratio - 1.0).iloc[1:]


def build_return_panel(
    prices: pd.DataFrame,
    btc_usd: pd.Series | None = None,
    kind: str = "simple",
    max_stale_days: int = MAX_STALE_DAYS,
) -> pd.DataFrame:
    """Returns of every ticker and of BTC on the stock trading calendar.

    Parameters
    ----------
    prices
        Wide adjusted closes (see :func:`read_prices_csv`). [USD]
    btc_usd
        Daily BTC price; when given it becomes column ``BTC`` of the panel. [USD/BTC]
    kind
        ``"simple"`` or ``"log"`` returns.
    max_stale_days
        See :func:`align_btc_to_trading_days`. [days]

    Returns
    -------
    pandas.DataFrame
        Returns indexed by trading day (a day on which at least one ticker has a price).
        [fraction per trading day]

    """
    trading = prices.loc[prices.notna().any(axis=1)]
    if btc_usd is not None:
        if BTC in trading.columns:
            msg = f"the prices already hold a column {BTC!r}; use it, or drop it to pass a BTC file"
            raise HashpivotError(msg)
        days = pd.DatetimeIndex(trading.index)
        trading = trading.assign(**{BTC: align_btc_to_trading_days(btc_usd, days, max_stale_days)})
    return returns_frac(trading, kind)


def load_return_panel(
    prices_path: str | Path,
    btc: str | Path | Sequence[str | Path] | None = None,
    btc_column: str | None = None,
    kind: str = "simple",
    btc_required: bool = True,
) -> pd.DataFrame:
    """Read prices (and BTC) and build the aligned return panel, BTC as column ``BTC``.

    Parameters
    ----------
    prices_path
        Adjusted closes, wide or long CSV.
    btc
        A CSV of BTC prices, several (a sequence or comma-separated paths, joined by
        :func:`join_btc_histories`), or the name of a BTC column of the prices file.
    btc_column
        The price column inside the BTC file, or, without ``btc``, the BTC column of the
        prices file. Without either, a column named ``BTC``/``BTC-USD`` is used if present.
    kind
        ``"simple"`` or ``"log"`` returns.
    btc_required
        Raise when no BTC series is found (betas need it; event studies do not).

    Returns
    -------
    pandas.DataFrame
        Return panel on the trading calendar. [fraction per trading day]

    """
    prices = read_prices_csv(prices_path)
    btc_usd = None
    column = btc_column
    files = _btc_files(btc)
    if files:
        btc_usd = read_btc_history(files, btc_column)
        column = None
    elif btc is not None:
        if str(btc).lower().endswith(".csv") or "/" in str(btc):
            raise SpecError([f"BTC file not found: {btc}"], str(btc))
        column = str(btc)
    if btc_usd is None:
        column = column or _column(prices, _BTC_PANEL_COLUMNS)
        if column is not None:
            require_columns(prices, [column], "BTC column")
            btc_usd = prices[column].dropna()
            prices = prices.drop(columns=[column])
    if btc_usd is None and btc_required:
        msg = (
            "no BTC price series: pass --btc FILE (a CSV with a date and a price column, "
            "e.g. btc_network_daily.csv) or --btc-column NAME of the prices file"
        )
        raise HashpivotError(msg)
    return build_return_panel(prices, btc_usd, kind)


def _btc_files(btc: str | Path | Sequence[str | Path] | None) -> list[Path]:
    """The BTC files named by ``btc``: one path, a sequence, or comma-separated paths.

    Returns an empty list when ``btc`` is not a file name (a column of the prices file).
    """
    if btc is None:
        return []
    names = [str(b) for b in btc] if isinstance(btc, list | tuple) else str(btc).split(",")
    paths = [Path(n.strip()) for n in names if n.strip()]
    if len(paths) == 1 and not paths[0].is_file():
        return []
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise SpecError([f"BTC file not found: {', '.join(missing)}"], str(btc))
    return paths


def require_columns(frame: pd.DataFrame, names: Sequence[str], kind: str) -> None:
    """Raise :class:`UnknownNameError` (with the closest names) for a missing column."""
    valid = [str(c) for c in frame.columns]
    for name in names:
        if name not in valid:
            close = difflib.get_close_matches(name, valid, n=3)
            raise UnknownNameError(kind, name, valid, close)
