"""``hashpivot betas``, ``hashpivot events`` and ``hashpivot catalog deals``.

Thin commands: parse, call :mod:`hashpivot.equities.betas` and
:mod:`hashpivot.equities.events`, render (Rich tables, ``--json``, ``--report FILE.html``).
hashpivot ships no price data, so ``--prices`` names a CSV of adjusted closes.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from hashpivot.cli.common import JsonOpt, console, emit_json, errors_exit_2, table
from hashpivot.equities.beta_shift import GAP_DAYS, WINDOW_DAYS, BetaShiftResult, beta_event_study
from hashpivot.equities.betas import DEFAULT_WINDOW_DAYS, FactorModelResult, fit_factor_model
from hashpivot.equities.data import BTC, load_return_panel
from hashpivot.equities.events import (
    DEFAULT_MARKET,
    MIN_ESTIMATION_DAYS,
    DealEvent,
    EventStudyResult,
    deal_events_frame,
    event_study,
    load_deal_events,
)
from hashpivot.errors import HashpivotError


class ReturnKind(StrEnum):
    """Return definition."""

    simple = "simple"
    log = "log"


PricesOpt = Annotated[
    Path | None,
    typer.Option(
        "--prices",
        help="CSV of adjusted closes, wide (date + one column per ticker, NaN before a "
        "listing) or long (date, ticker, adj_close). Required: hashpivot ships no price "
        "data; e.g. equities_adj_close_daily_2018_2026.csv from the project's shared data.",
        show_default=False,
    ),
]
BtcOpt = Annotated[
    str | None,
    typer.Option(
        "--btc",
        metavar="FILE[,FILE]_OR_COLUMN",
        help="BTC prices: a CSV with a date and a price column (e.g. btc_network_daily.csv, "
        "column price_usd_cm), several such CSVs separated by commas and joined by date "
        "(e.g. btc_network_daily.csv,btc_price_daily_2025_2026.csv), or the name of a BTC "
        "column of --prices.",
        show_default=False,
    ),
]
BtcColumnOpt = Annotated[
    str | None,
    typer.Option(
        "--btc-column",
        help="Price column inside the --btc file, or, without --btc, the BTC column of "
        "--prices (default: a column named BTC or BTC-USD).",
        show_default=False,
    ),
]
TickersOpt = Annotated[
    str | None,
    typer.Option(
        "--tickers",
        metavar="A,B",
        help="Comma-separated tickers; default all.",
        show_default=False,
    ),
]
ReturnsOpt = Annotated[ReturnKind, typer.Option("--returns", help="Simple or log daily returns.")]
ReportOpt = Annotated[
    Path | None,
    typer.Option(
        "--report",
        metavar="FILE.html",
        help="Also write a self-contained HTML report (plotly, works offline).",
        show_default=False,
    ),
]


def _prices_path(prices: Path | None) -> Path:
    if prices is None:
        msg = (
            "--prices FILE is required: a CSV of adjusted closes (wide: date + one column "
            "per ticker; or long: date, ticker, adj_close). hashpivot ships no price data."
        )
        raise HashpivotError(msg)
    return prices


def _split(tickers: str | None) -> list[str] | None:
    if tickers is None:
        return None
    names = [t.strip() for t in tickers.split(",") if t.strip()]
    if not names:
        raise HashpivotError(f"--tickers: {tickers!r} — give comma-separated tickers")
    return names


# --------------------------------------------------------------------------- betas


def _compact(frame: pd.DataFrame, names: dict[str, str], digits: int = 2) -> pd.DataFrame:
    """Rounded numbers and short headers, so a table fits an 80-column terminal."""
    out = frame[list(names)].copy()
    num = out.select_dtypes("number").columns
    out[num] = out[num].round(digits)
    return out.rename(columns=names)


def _beta_cols(with_market: bool) -> dict[str, str]:
    cols = {"beta_btc": "β_btc", "t_btc": "t_btc", "beta_ai": "β_ai", "t_ai": "t_ai"}
    if with_market:
        cols |= {"beta_market": "β_mkt", "t_market": "t_mkt"}
    return cols | {"r2": "R²", "label": "label"}


def _print_betas(result: FactorModelResult) -> None:
    s = result.settings
    market = f" + {s['market_factor']}" if s.get("market_factor") else ""
    full = result.full.reset_index()
    full["from"] = full["start_date"].str.slice(0, 7)
    full["to"] = full["end_date"].str.slice(0, 7)
    cols = _beta_cols(bool(s.get("market_factor")))
    names = {"ticker": "ticker", "from": "from", "to": "to", "n_obs": "n", **cols}
    title = f"Full-period betas on BTC{market} + {s['ai_factor']}⊥ (HAC t-statistics)"
    console.print(table(_compact(full, names), title))
    names = {"ticker": "ticker", "year": "year", "n_obs": "n", **cols}
    console.print(table(_compact(result.per_year, names), "Per-year betas and labels"))
    for line in result.notes.get("", []):
        console.print(f"note: {line}", highlight=False)
    for ticker, why in result.skipped.items():
        console.print(f"skipped {ticker}: {why}", highlight=False)


def betas(
    prices: PricesOpt = None,
    btc: BtcOpt = None,
    btc_column: BtcColumnOpt = None,
    ai_factor: Annotated[
        str,
        typer.Option(
            "--ai-factor",
            "--ai-column",
            help="AI factor column of --prices (NVDA or SMH), orthogonalised against BTC.",
        ),
    ] = "NVDA",
    market: Annotated[
        str | None,
        typer.Option(
            "--market", help="Optional market factor column (SPY or QQQ).", show_default=False
        ),
    ] = None,
    tickers: TickersOpt = None,
    window: Annotated[
        int, typer.Option("--window", min=20, max=2520, help="Rolling window. \\[trading days]")
    ] = DEFAULT_WINDOW_DAYS,
    returns: ReturnsOpt = ReturnKind.simple,
    as_json: JsonOpt = False,
    report: ReportOpt = None,
) -> None:
    """Betas of each stock on BTC and an AI factor: full period, per year, rolling; labels."""
    with errors_exit_2():
        panel = load_return_panel(_prices_path(prices), btc, btc_column, returns.value)
        result = fit_factor_model(panel, ai_factor, market, _split(tickers), window)
        if report is not None:
            from hashpivot.report.equities import write_betas_report

            write_betas_report(report, result)
        _show(result, _print_betas, as_json, report, returns.value, prices)


def _show(
    result: Any,
    printer: Callable[[Any], None],
    as_json: bool,
    report: Path | None,
    return_kind: str,
    prices: Path | None,
) -> None:
    """Print a result as JSON or as tables, and say where its report went.

    The JSON's settings gain the return kind and the price file.
    """
    if as_json:
        payload = result.to_dict()
        payload["settings"] |= {"return_kind": return_kind, "prices": str(prices)}
        emit_json(payload)
        return
    printer(result)
    if report is not None:
        console.print(f"wrote {report}", highlight=False)


# --------------------------------------------------------------------------- events


def _select_events(tickers: list[str] | None, events_file: Path | None) -> list[DealEvent]:
    events = list(load_deal_events(events_file))
    if tickers is None:
        return events
    chosen = [e for e in events if e.ticker in tickers]
    if not chosen:
        have = sorted({e.ticker for e in events})
        msg = f"--tickers: no events for {', '.join(tickers)}; tickers with events: {have}"
        raise HashpivotError(msg)
    return chosen


def _print_events(result: EventStudyResult) -> None:
    s = result.settings
    title = (
        f"Cumulative abnormal returns, fractions (market model on {', '.join(s['factors'])}, "
        f"estimation {s['estimation_window_days']} trading days)"
    )
    names = {"ticker": "ticker", "date": "date", "n_estimation_days": "n"}
    for w in [c.removeprefix("car_") for c in result.events.columns if c.startswith("car_")]:
        head = w.replace("m", "-").replace("p", "+").replace("_", ",")
        names |= {f"car_{w}": f"CAR[{head}]", f"t_stat_{w}": f"t[{head}]"}
    console.print(table(_compact(result.events, names, 3), title))
    shifted = result.events[result.events["date_shifted"]]
    for row in shifted.itertuples():
        console.print(
            f"note: {row.event_id} dated {row.date} is measured from the next "
            f"trading day, {row.event_day}",
            highlight=False,
        )
    pooled = {c: c for c in ("group", "window", "n_events", "caar", "t_stat", "t_stat_bmp")}
    console.print(table(_compact(result.pooled, pooled, 3), "Pooled over events"))
    for x in result.skipped:
        console.print(f"skipped {x['event_id']}: {x['reason']}", highlight=False)


def events(
    prices: PricesOpt = None,
    events_file: Annotated[
        Path | None,
        typer.Option(
            "--events",
            help="YAML of announcements; default the packaged ai_deals.yaml.",
            show_default=False,
        ),
    ] = None,
    market: Annotated[
        str, typer.Option("--market", help="Market index column of the market model.")
    ] = DEFAULT_MARKET,
    btc: BtcOpt = None,
    btc_column: BtcColumnOpt = None,
    tickers: TickersOpt = None,
    estimation_start: Annotated[
        int, typer.Option(max=-2, help="First estimation day before the event. \\[trading days]")
    ] = -250,
    estimation_end: Annotated[
        int, typer.Option(max=-2, help="Last estimation day before the event. \\[trading days]")
    ] = -30,
    min_estimation_days: Annotated[
        int, typer.Option(min=10, help="Fewest estimation returns. \\[trading days]")
    ] = MIN_ESTIMATION_DAYS,
    returns: ReturnsOpt = ReturnKind.simple,
    as_json: JsonOpt = False,
    report: ReportOpt = None,
) -> None:
    """Event study of AI/HPC deal announcements: CAR [-1,+1] and [-1,+5], per event and pooled.

    With --btc (or --btc-column) BTC joins the market as a second factor.
    """
    with errors_exit_2():
        chosen = _select_events(_split(tickers), events_file)
        with_btc = btc is not None or btc_column is not None
        panel = load_return_panel(_prices_path(prices), btc, btc_column, returns.value, with_btc)
        extra = (BTC,) if with_btc else ()
        window = (estimation_start, estimation_end)
        result = event_study(
            panel, chosen, market, extra, window, min_estimation_days=min_estimation_days
        )
        if report is not None:
            from hashpivot.report.equities import write_events_report

            write_events_report(report, result)
        _show(result, _print_events, as_json, report, returns.value, prices)


# --------------------------------------------------------------------------- beta shifts


def _print_beta_shifts(result: BetaShiftResult) -> None:
    s = result.settings
    names = {"ticker": "ticker", "date": "deal"}
    names |= {"beta_btc_before": "btc-", "beta_btc_after": "btc+", "t_beta_btc_shift": "t"}
    names |= {"beta_ai_before": "ai-", "beta_ai_after": "ai+", "t_beta_ai_shift": "t "}
    title = (
        f"Betas on BTC + {s['ai_factor']}⊥ in the {s['window_days']} trading days before and "
        f"after each first AI contract (±{s['gap_days']} days left out); t of the shift "
        "after − before, HAC errors; standard errors in --json"
    )
    console.print(table(_compact(result.shifts, names), title))
    pooled = {c: c for c in ("beta", "n_tickers", "mean_shift", "se_mean_shift", "t_stat")}
    console.print(table(_compact(result.pooled, pooled, 3), "Mean shift over tickers"))
    for ticker, why in result.skipped.items():
        console.print(f"skipped {ticker}: {why}", highlight=False)


def beta_events(
    prices: PricesOpt = None,
    btc: BtcOpt = None,
    btc_column: BtcColumnOpt = None,
    ai_factor: Annotated[
        str,
        typer.Option("--ai-factor", help="AI factor column of --prices, orthogonalised on BTC."),
    ] = "NVDA",
    events_file: Annotated[
        Path | None,
        typer.Option(
            "--events",
            help="YAML of announcements; default the packaged ai_deals.yaml.",
            show_default=False,
        ),
    ] = None,
    tickers: TickersOpt = None,
    window: Annotated[
        int,
        typer.Option("--window", min=20, max=2520, help="Days in each window. \\[trading days]"),
    ] = WINDOW_DAYS,
    gap: Annotated[
        int,
        typer.Option(
            "--gap", min=0, max=60, help="Days left out beside the event. \\[trading days]"
        ),
    ] = GAP_DAYS,
    returns: ReturnsOpt = ReturnKind.simple,
    as_json: JsonOpt = False,
    report: ReportOpt = None,
) -> None:
    """BTC and AI beta before vs after each miner's first AI contract, with standard errors."""
    with errors_exit_2():
        chosen = _select_events(_split(tickers), events_file)
        panel = load_return_panel(_prices_path(prices), btc, btc_column, returns.value)
        result = beta_event_study(panel, chosen, ai_factor, window, gap, min(window, 60))
        if report is not None:
            from hashpivot.report.equities import write_beta_events_report

            names = list(result.shifts["ticker"])
            rolling = fit_factor_model(panel, ai_factor, tickers=names).rolling
            write_beta_events_report(report, result, rolling)
        _show(result, _print_beta_shifts, as_json, report, returns.value, prices)


# --------------------------------------------------------------------------- model vs market


def _print_hedge(ticker: str, model: dict[str, Any], market: dict[str, Any]) -> None:
    rows = [
        ("model: E[EV] (USD M)", f"{model['ev_mean_usd'] / 1e6:,.0f}"),
        ("model: EV change for +10 % BTC (USD M)",
         f"{model['npv_delta_usd_per_10pct_btc'] / 1e6:,.1f} ± "
         f"{model['npv_delta_usd_per_10pct_btc_se'] / 1e6:,.1f}"),
        ("model: equity elasticity to BTC", f"{model['equity_btc_elasticity']:.2f}"),
        ("model: R² of EV on BTC", f"{model['btc_r2_frac']:.2f}"),
    ]  # fmt: skip
    if "skipped" in market:
        rows.append(("market: betas", market["skipped"]))
    else:
        rows += [
            (f"market: β_btc {market['full_period']}",
             f"{market['beta_btc']:.2f} ± {market['se_btc']:.2f}"),
            (f"market: β_ai⊥ {market['full_period']}",
             f"{market['beta_ai']:.2f} ± {market['se_ai']:.2f}"),
        ]  # fmt: skip
        if "last_year" in market:
            rows.append((f"market: β_btc {market['last_year']}",
                         f"{market['last_year_beta_btc']:.2f} ± "
                         f"{market['last_year_se_btc']:.2f}"))  # fmt: skip
    frame = pd.DataFrame(rows, columns=["measure", "value"])
    console.print(table(frame, f"{ticker}: the model's BTC exposure next to the market's betas"))
    console.print(
        "note: the model's elasticity is equity value's change per 1 % BTC from its cash "
        "flows; the market's β is daily stock returns on BTC returns: compare orders of "
        "magnitude, not decimals",
        highlight=False,
    )


def hedge(
    ticker: Annotated[str, typer.Argument(help="Catalogue ticker, e.g. CORZ, WULF, CIFR.")],
    prices: PricesOpt = None,
    btc: BtcOpt = None,
    btc_column: BtcColumnOpt = None,
    ai_factor: Annotated[
        str, typer.Option("--ai-factor", help="AI factor column of --prices.")
    ] = "NVDA",
    paths: Annotated[int, typer.Option(min=1000, max=100_000, help="Monte Carlo paths.")] = 2_000,
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """The model's BTC exposure of a listed company next to the market's betas for it.

    The company's scenario is the one ``hashpivot init --from TICKER`` writes, at the
    latest market state.
    """
    from hashpivot.equities.model_hedge import market_betas, model_exposure
    from hashpivot.listed.catalog import load_company
    from hashpivot.listed.scenario import scenario_text_from_company
    from hashpivot.market_state import latest_market_state
    from hashpivot.spec import parse_scenario

    with errors_exit_2():
        panel = load_return_panel(_prices_path(prices), btc, btc_column, "simple")
        company = load_company(ticker)
        text = scenario_text_from_company(company, latest_market_state())
        scenario = parse_scenario(text, f"scenario of {company.ticker}")
        model = model_exposure(scenario, paths, seed)
        market = market_betas(panel, company.ticker, ai_factor)
        if as_json:
            settings = {"ai_factor": ai_factor, "return_kind": "simple", "paths": paths}
            emit_json({"ticker": company.ticker, "model": model, "market": market,
                       "settings": settings})  # fmt: skip
            return
        _print_hedge(company.ticker, model, market)


def deals(as_json: JsonOpt = False) -> None:
    """List the packaged AI/HPC deal announcements used by ``hashpivot events``."""
    frame = deal_events_frame(load_deal_events())
    if as_json:
        frame["date"] = frame["date"].astype(str)
        frame["as_of"] = frame["as_of"].astype(str)
        emit_json({"events": frame.to_dict(orient="records")})
        return
    kinds = {"colocation_lease": "lease", "gpu_cloud": "GPU cloud", "acquisition": "M&A"}
    view = pd.DataFrame(
        {
            "date": frame["date"].astype(str),
            "ticker": frame["ticker"],
            "partner": frame["partner"].str.slice(0, 20),
            "kind": frame["kind"].map(kinds),
            "IT MW": frame["it_mw"],
            "USD bn": (frame["contract_value_usd"] / 1e9).round(2),
        }
    )
    console.print(table(view, "AI/HPC deal announcements (ids and sources: --json)"))


def register(app: typer.Typer, catalog_app: typer.Typer) -> None:
    """Add ``betas``, ``events``, ``beta-events`` to the app and ``deals`` to ``catalog``."""
    app.command("betas")(betas)
    app.command("events")(events)
    app.command("beta-events")(beta_events)
    app.command("hedge")(hedge)
    catalog_app.command("deals")(deals)
