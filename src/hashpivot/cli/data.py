"""``hashpivot data fetch`` and ``data status``: live data into the local cache.

``fetch SOURCE`` reads one source (``bitcoin``: the network now, from mempool.space;
``coinmetrics``: daily history; ``btc-price``: daily closes; ``ercot``: hourly prices
and load through gridstatus; ``equities``: adjusted closes through yfinance), checks the
answer, then merges it into the cache (and, for ``bitcoin``, writes the cached market
state that ``init --as-of latest`` and ``hashprice --latest`` use). A source that
cannot be reached or answers in an unexpected format exits 2 naming it and the URL,
and the cache is left as it was. ``status`` lists what is cached and from when.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from hashpivot.cli.common import JsonOpt, console, emit_json, errors_exit_2
from hashpivot.equities.data import fetch_adj_close_yfinance
from hashpivot.errors import HashpivotError, UnknownNameError
from hashpivot.io import write_atomic_with
from hashpivot.market_state import CACHE_STATE_FILE, latest_market_state, state_summary
from hashpivot.sources import SOURCE_NAMES, coinmetrics, gridstatus, mempool
from hashpivot.sources.cache import CacheEntry, DataCache

data_app = typer.Typer(
    help="Fetch live data into the local cache, and show what is cached.", no_args_is_help=True
)

HISTORY_START = dt.date(2010, 7, 18)
"""First day of Coin Metrics ``PriceUSD`` (BTC's first exchange price, Mt. Gox listing,
https://docs.coinmetrics.io/asset-metrics/market/priceusd)."""
DEFAULT_WINDOW_DAYS = 7
"""Days fetched before ``--end`` when ``--start`` is not given and nothing is cached for an
hourly source or equities (assumption: a week, small enough for a polite first fetch)."""
DEFAULT_TICKERS = ("MARA", "RIOT", "CLSK", "IREN", "CORZ", "CIFR", "WULF", "HUT", "NVDA", "SMH")
"""Default equities: the miners of the shared equity file plus the AI factor (NVDA, SMH)."""


def register(app: typer.Typer, catalog_app: typer.Typer) -> None:
    """Add the ``data`` group to the main app."""
    del catalog_app
    app.add_typer(data_app, name="data")


@dataclass(frozen=True)
class FetchRequest:
    """What ``data fetch`` was asked for, dates resolved."""

    start: dt.date | None
    end: dt.date
    base_url: str | None
    tickers: tuple[str, ...]
    locations: tuple[str, ...]
    provider: str = "coinmetrics"


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        msg = f"{option} {text!r} — must be a date YYYY-MM-DD"
        raise HashpivotError(msg) from None


def _source_name(name: str) -> str:
    if name not in SOURCE_NAMES:
        close = difflib.get_close_matches(name, SOURCE_NAMES, n=2)
        raise UnknownNameError("data source", name, list(SOURCE_NAMES), close)
    return name


def _last_cached_day(cache: DataCache, name: str) -> dt.date | None:
    entry = cache.manifest().get(name)
    return dt.date.fromisoformat(entry.last[:10]) if entry else None


def _start(req: FetchRequest, cache: DataCache, name: str, first: dt.date) -> dt.date:
    """``--start``, else the last cached day (re-read: it may have been partial), else ``first``."""
    return req.start or _last_cached_day(cache, name) or first


Fetched = list[tuple[str, pd.DataFrame, list[str], str, str]]
"""(data set, frame, key columns, source, source URL) per data set a fetch returns."""


def _fetch_bitcoin(req: FetchRequest, cache: DataCache) -> Fetched:
    if req.start is not None:
        msg = "--start/--end do not apply to bitcoin: it reads the network as it is now"
        raise HashpivotError(msg)
    http = mempool.client(req.base_url)
    row = mempool.network_snapshot(http)
    return [("bitcoin_network", row, ["time_utc"], mempool.SOURCE, http.base_url)]


def _fetch_coinmetrics(req: FetchRequest, cache: DataCache) -> Fetched:
    http = coinmetrics.client(req.base_url)
    start = _start(req, cache, "btc_history", HISTORY_START)
    frame = coinmetrics.daily_history(http, start, req.end)
    return [("btc_history", frame, ["date"], coinmetrics.SOURCE, http.url(coinmetrics.PATH))]


def _fetch_btc_price(req: FetchRequest, cache: DataCache) -> Fetched:
    start = _start(req, cache, "btc_price_daily", HISTORY_START)
    if req.provider == "yfinance":
        end = (req.end + dt.timedelta(days=1)).isoformat()  # yfinance's end is exclusive
        closes = fetch_adj_close_yfinance(["BTC-USD"], start.isoformat(), end)
        days = pd.DatetimeIndex(closes.index).strftime("%Y-%m-%d")
        frame = pd.DataFrame({"date": days, "price_usd": closes["BTC-USD"].to_numpy()}).dropna()
        return [("btc_price_daily", frame, ["date"], "yfinance", "https://finance.yahoo.com")]
    http = coinmetrics.client(req.base_url)
    frame = coinmetrics.daily_btc_price(http, start, req.end)
    return [("btc_price_daily", frame, ["date"], coinmetrics.SOURCE, http.url(coinmetrics.PATH))]


def _window_start(req: FetchRequest, cache: DataCache, name: str) -> dt.date:
    return _start(req, cache, name, req.end - dt.timedelta(days=DEFAULT_WINDOW_DAYS))


def _fetch_ercot(req: FetchRequest, cache: DataCache) -> Fetched:
    start = _window_start(req, cache, "ercot_prices_hourly")
    prices = gridstatus.ercot_hourly_prices(start, req.end, req.locations)
    load = gridstatus.ercot_hourly_load(start, req.end)
    return [
        ("ercot_prices_hourly", prices, gridstatus.KEY, gridstatus.SOURCE, gridstatus.URL),
        ("ercot_load_hourly", load, gridstatus.KEY, gridstatus.SOURCE, gridstatus.URL),
    ]


def _fetch_equities(req: FetchRequest, cache: DataCache) -> Fetched:
    start = _window_start(req, cache, "equities_adj_close")
    end = (req.end + dt.timedelta(days=1)).isoformat()  # yfinance's end is exclusive
    frame = fetch_adj_close_yfinance(list(req.tickers), start.isoformat(), end)
    frame = frame.reset_index().assign(date=lambda f: f["date"].dt.strftime("%Y-%m-%d"))
    return [("equities_adj_close", frame, ["date"], "yfinance", "https://finance.yahoo.com")]


FETCHERS: dict[str, Callable[[FetchRequest, DataCache], Fetched]] = {
    "bitcoin": _fetch_bitcoin,
    "coinmetrics": _fetch_coinmetrics,
    "btc-price": _fetch_btc_price,
    "ercot": _fetch_ercot,
    "equities": _fetch_equities,
}


def _write_output(path: Path, frame: pd.DataFrame) -> None:
    write_atomic_with(path, lambda tmp: frame.to_csv(tmp, index=False))


def _store(cache: DataCache, fetched: Fetched) -> list[CacheEntry]:
    entries = [cache.update(n, f, k, s, u) for n, f, k, s, u in fetched]
    if fetched and fetched[0][0] == "bitcoin_network":
        previous = latest_market_state(cache.root)
        cache.write_state(mempool.market_state_from_snapshot(fetched[0][1].iloc[0], previous))
    return entries


PROVIDERS = ("coinmetrics", "yfinance")
"""Providers of ``data fetch btc-price``."""


def _check_provider(name: str, provider: str, base_url: str | None) -> None:
    if provider not in PROVIDERS:
        close = difflib.get_close_matches(provider, PROVIDERS, n=1)
        raise UnknownNameError("BTC price provider", provider, list(PROVIDERS), close)
    if provider != "coinmetrics" and name != "btc-price":
        msg = f"--provider applies to btc-price only, not to {name}"
        raise HashpivotError(msg)
    if provider == "yfinance" and base_url is not None:
        msg = "--base-url does not apply to --provider yfinance (the package picks its URLs)"
        raise HashpivotError(msg)


def _csv_list(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


CacheDirOpt = Annotated[
    Path | None,
    typer.Option(
        help="Data cache directory; default $HASHPIVOT_DATA_DIR, else the user data directory."
    ),
]


@data_app.command("fetch")
def fetch(
    source: Annotated[str, typer.Argument(help=f"Data source: {', '.join(SOURCE_NAMES)}.")],
    start: Annotated[
        str | None,
        typer.Option(help="First day YYYY-MM-DD; default: the last cached day, else a default."),
    ] = None,
    end: Annotated[str | None, typer.Option(help="Last day YYYY-MM-DD; default: today.")] = None,
    output: Annotated[
        Path | None,
        typer.Option(help="Also write what was fetched (ercot: the prices) to this CSV file."),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            help="Root URL of the API (self-hosted or mirror); default $HASHPIVOT_MEMPOOL_URL "
            "(bitcoin) or $HASHPIVOT_COINMETRICS_URL (coinmetrics, btc-price), else the public one."
        ),
    ] = None,
    tickers: Annotated[
        str, typer.Option(help="equities: comma-separated Yahoo tickers.")
    ] = ",".join(DEFAULT_TICKERS),
    locations: Annotated[
        str, typer.Option(help="ercot: comma-separated settlement points.")
    ] = "LZ_WEST,HB_HUBAVG",
    provider: Annotated[
        str, typer.Option(help="btc-price: coinmetrics (default) or yfinance (BTC-USD).")
    ] = "coinmetrics",
    cache_dir: CacheDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fetch SOURCE into the local cache (checked first: a failure leaves the cache as it was)."""
    with errors_exit_2():
        name = _source_name(source)
        first, last = _date(start, "--start"), _date(end, "--end")
        last = last or dt.datetime.now(dt.UTC).date()
        if first is not None and last < first:
            msg = f"--end {last} is before --start {first}"
            raise HashpivotError(msg)
        if base_url is not None and name not in {"bitcoin", "coinmetrics", "btc-price"}:
            msg = f"--base-url does not apply to {name} (its package picks its own URLs)"
            raise HashpivotError(msg)
        _check_provider(name, provider, base_url)
        req = FetchRequest(
            first, last, base_url, _csv_list(tickers), _csv_list(locations), provider
        )
        cache = DataCache(cache_dir)
        fetched = FETCHERS[name](req, cache)
        entries = _store(cache, fetched)
        if output is not None:
            _write_output(output, fetched[0][1])
        _report_fetch(name, entries, cache, output, fetched[0][1], as_json)


def _retarget_line(row: pd.Series) -> str:
    change = float(row["difficulty_change_frac_est"])
    return (
        f"next retarget at height {int(row['next_retarget_height']):,}, estimated "
        f"{change:+.2%} around {str(row['estimated_retarget_utc'])[:16]} UTC"
    )


def _report_fetch(
    name: str,
    entries: list[CacheEntry],
    cache: DataCache,
    output: Path | None,
    frame: pd.DataFrame,
    as_json: bool,
) -> None:
    state = latest_market_state(cache.root) if name == "bitcoin" else None
    if as_json:
        payload: dict[str, Any] = {"source": name, "cache_dir": str(cache.root)}
        payload["datasets"] = [asdict(e) for e in entries]
        payload["output"] = str(output) if output else None
        if state is not None:
            payload["network"] = frame.iloc[0].to_dict()
            payload["market_state"] = state_summary(state)
        emit_json(payload)
        return
    for e in entries:
        console.print(
            f"{e.name}: {e.rows} rows, {e.first} to {e.last}, from {e.source_url}", highlight=False
        )
    if state is not None:
        console.print(_retarget_line(frame.iloc[0]), highlight=False)
        console.print(f"market state: {state.describe()}", highlight=False)
    if output is not None:
        console.print(f"wrote {output}", highlight=False)


@data_app.command("status")
def status(cache_dir: CacheDirOpt = None, as_json: JsonOpt = False) -> None:
    """What is cached, from which source, retrieved when; and the market state in use."""
    with errors_exit_2():
        cache = DataCache(cache_dir)
        entries = cache.manifest()
        state = latest_market_state(cache.root)
        if as_json:
            emit_json(
                {
                    "cache_dir": str(cache.root),
                    "datasets": [asdict(e) for e in entries.values()],
                    "market_state": state_summary(state),
                    "cached_state": (cache.root / CACHE_STATE_FILE).is_file(),
                }
            )
            return
        out = Table(title=f"data cache: {cache.root}", title_justify="left")
        for col in ("data set", "rows", "first", "last", "retrieved (UTC)", "source"):
            out.add_column(col)
        for e in entries.values():
            out.add_row(e.name, str(e.rows), e.first, e.last, e.retrieved_utc, e.source_url)
        console.print(out if entries else f"data cache {cache.root}: nothing cached yet")
        console.print(f"market state in use: {state.describe()}", highlight=False)
