"""``hashpivot comps``: the listed miners side by side, valued on one basis.

Thin: parse, call :func:`hashpivot.listed.comps.comps`, render (a Rich table with each
column's basis in a footnote, or one JSON object ``{"rows": [...], "notes": [...]}``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from hashpivot.cli.common import JsonOpt, console, emit_json, errors_exit_2, fmt
from hashpivot.cli.xlsx import XlsxOpt
from hashpivot.errors import HashpivotError

MILLION = 1e6

_CAPACITY_COLUMNS = (
    ("ticker", "ticker", 1.0),
    ("operating_gross_mw", "operating MW", 1.0),
    ("contracted_it_mw", "contracted IT MW", 1.0),
    ("contracted_gross_mw", "contracted gross MW", 1.0),
    ("hashrate_eh_s", "EH/s", 1.0),
    ("backlog_usd", "backlog [M USD]", MILLION),
    ("backlog_remaining_years", "term left [yr]", 1.0),
)
_VALUE_COLUMNS = (
    ("ticker", "ticker", 1.0),
    ("enterprise_value_usd", "model EV [M USD]", MILLION),
    ("mining_usd", "mining [M USD]", MILLION),
    ("contracted_ai_usd", "contracted AI [M USD]", MILLION),
    ("gpu_cloud_usd", "GPU cloud [M USD]", MILLION),
    ("powered_land_usd", "land [M USD]", MILLION),
    ("capex_usd", "capex [M USD]", MILLION),
    ("tax_usd", "tax [M USD]", MILLION),
    ("equity_value_usd_per_share", "value [USD/share]", 1.0),
)
_MARKET_COLUMNS = (
    ("ticker", "ticker", 1.0),
    ("share_price_usd", "price [USD]", 1.0),
    ("market_cap_usd", "market cap [M USD]", MILLION),
    ("market_ev_usd", "market EV [M USD]", MILLION),
    ("market_ev_to_ebitda_year1", "EV/EBITDA y1", 1.0),
    ("market_ev_usd_per_operating_mw", "EV/op MW [M USD]", MILLION),
    ("market_ev_usd_per_contracted_it_mw", "EV/IT MW [M USD]", MILLION),
    ("market_ev_usd_per_eh_s", "EV/EH [M USD]", MILLION),
    ("backlog_to_market_ev", "backlog/EV", 1.0),
    ("price_to_model_value", "price/value", 1.0),
    ("model_ev_to_market_ev", "model EV/market EV", 1.0),
)


def _cell(value: Any, scale: float) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return fmt(float(value) / scale)


def _table(rows: list[dict[str, Any]], columns: Any, title: str) -> Table:
    out = Table(title=title, title_justify="left")
    for i, (_, header, _scale) in enumerate(columns):
        out.add_column(header, justify="left" if i == 0 else "right")
    for row in rows:
        out.add_row(*[_cell(row.get(key), scale) for key, _, scale in columns])
    return out


def _print(out: dict[str, Any]) -> None:
    rows = out["rows"]
    console.print(_table(rows, _CAPACITY_COLUMNS, f"Listed miners as of {out['as_of']}: "
                         f"capacity and AI backlog (sorted by {out['sorted_by']})"))  # fmt: skip
    console.print(_table(rows, _VALUE_COLUMNS, "Model enterprise value, its parts, and "
                         "equity value per diluted share"))  # fmt: skip
    if any("market_ev_usd" in r for r in rows):
        console.print(_table(rows, _MARKET_COLUMNS, "Market values and multiples "
                             "(close on or before the valuation date)"))  # fmt: skip
        median = out.get("median_model_ev_to_market_ev")
        console.print(f"median model EV / market EV: {_cell(median, 1.0)}", highlight=False)
    for row in rows:
        if row["missing"]:
            console.print(f"{row['ticker']}: missing {', '.join(row['missing'])}",
                          highlight=False)  # fmt: skip
    for k, line in enumerate(out["notes"], start=1):
        console.print(f"[{k}] {line}", highlight=False)


_TIMELINE_COLUMNS = (
    ("ticker", "ticker", 1.0),
    ("quarter", "quarter", 1.0),
    ("mining_gross_mw", "mining gross MW", 1.0),
    ("ai_it_mw_energised", "AI IT MW", 1.0),
    ("hashrate_eh_s", "EH/s reported", 1.0),
    ("hashrate_eh_s_implied", "EH/s on mining MW", 1.0),
    ("eh_s_retired", "EH/s retired", 1.0),
    ("ai_revenue_share_frac", "AI revenue share", 1.0),
    ("ai_bf16_pflops", "BF16 PFLOPS", 1.0),
)


def _print_timeline(out: dict[str, Any]) -> None:
    rows = [{**r, "quarter": r["quarter"] + (" *" if r["projected"] else "")} for r in out["rows"]]
    console.print(_table(rows, _TIMELINE_COLUMNS, f"The pace of the pivot (catalogue as of "
                         f"{out['as_of']}; * projected: the announced ramps)"))  # fmt: skip
    for k, line in enumerate(out["notes"], start=1):
        console.print(f"[{k}] {line}", highlight=False)


def _run_timeline(tickers: list[str], date: dt.date | None, gpu: str, report: Path | None,
                  as_json: bool) -> None:  # fmt: skip
    from hashpivot.listed.timeline import pivot_timeline
    from hashpivot.report.comps import write_timeline_report

    out = pivot_timeline(tickers, date, gpu_model=gpu).to_dict()
    if report is not None:
        write_timeline_report(out, report)
        out["report"] = str(report)
    if as_json:
        emit_json(out)
        return
    _print_timeline(out)
    if report is not None:
        console.print(f"report: {report}", highlight=False)


_BACKTEST_COLUMNS = (
    ("ticker", "ticker", 1.0),
    ("quarter", "quarter", 1.0),
    ("hashrate_eh_s", "EH/s reported", 1.0),
    ("btc_mined", "BTC reported", 1.0),
    ("btc_mined_model", "BTC model", 1.0),
    ("btc_mined_diff_pct", "BTC diff [%]", 1.0),
    ("self_mining_revenue_usd", "revenue reported [M USD]", MILLION),
    ("self_mining_revenue_usd_model", "revenue model [M USD]", MILLION),
    ("self_mining_revenue_diff_pct", "revenue diff [%]", 1.0),
)


def _print_backtest(out: dict[str, Any]) -> None:
    console.print(_table(out["rows"], _BACKTEST_COLUMNS, "Back-test: self-mining reported against "
                         f"the model on the realised network ({out['history_file']}, to "
                         f"{out['history_end']})"))  # fmt: skip
    median = out["median_abs_revenue_diff_pct"]
    target = out["revenue_target_median_abs_pct"]
    met = {True: "met", False: "NOT met", None: "no rows"}[out["revenue_target_met"]]
    console.print(f"median |revenue diff|: {_cell(median, 1.0)} % over {out['company_quarters']} "
                  f"company-quarters (target within {target:g} %: {met}); median |BTC diff|: "
                  f"{_cell(out['median_abs_btc_diff_pct'], 1.0)} %", highlight=False)  # fmt: skip
    for row in out["rows"]:
        for note in row["notes"]:
            console.print(f"{row['ticker']} {row['quarter']}: {note}", highlight=False)
        console.print(f"{row['ticker']} {row['quarter']}: hashrate basis: {row['hashrate_basis']}",
                      highlight=False)  # fmt: skip
    for k, line in enumerate(out["notes"], start=1):
        console.print(f"[{k}] {line}", highlight=False)


def _run_backtest(tickers: list[str], history: Path | None, as_json: bool) -> None:
    from hashpivot.listed.backtest import backtest

    if history is None:
        msg = ("--history: not given — --backtest needs the daily network history (columns "
               "date, hashrate_ths_bc, issuance_btc_cm, drv_fees_btc, price_usd_cm, e.g. "
               "btc_network_daily.csv)")  # fmt: skip
        raise HashpivotError(msg)
    out = backtest(history, tickers).to_dict()
    if as_json:
        emit_json(out)
        return
    _print_backtest(out)


def comps_command(
    tickers: Annotated[
        list[str] | None,
        typer.Argument(
            help="Catalogue tickers or names (see `hashpivot catalog companies`); "
            "default every packaged company.",
            show_default=False,
        ),
    ] = None,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="Valuation date of every row (YYYY-MM-DD); default the latest company "
            "file's as_of, never earlier than any file's.",
        ),
    ] = None,
    prices: Annotated[
        Path | None,
        typer.Option(
            help="Prices CSV (wide: date + one column per ticker, like "
            "equities_adj_close_daily_2018_2026.csv; or long: date, ticker, adj_close): "
            "each company's close on or before the valuation date gives market cap, "
            "market EV and the multiples.",
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            help="Write a self-contained HTML report here: the tables, a scatter of EV per "
            "MW against the AI share of MW, the footnotes."
        ),
    ] = None,
    xlsx: XlsxOpt = None,
    timeline: Annotated[
        bool,
        typer.Option(
            "--timeline",
            help="The pace of the pivot instead: per company and quarter, mining gross MW "
            "against AI IT MW energised, EH/s reported and retired, AI revenue share and AI "
            "compute energised in dense BF16 PFLOPS (with --report: its charts).",
        ),
    ] = False,
    gpu: Annotated[
        str,
        typer.Option(
            help="With --timeline: catalogue GPU assumed where a contract names none "
            "(see `hashpivot catalog gpus`)."
        ),
    ] = "GB200",
    backtest: Annotated[
        bool,
        typer.Option(
            "--backtest",
            help="The back-test instead: each reported 2024 company-quarter's self-mining "
            "BTC and revenue against the model on the realised network (needs --history).",
        ),
    ] = False,
    history: Annotated[
        Path | None,
        typer.Option(
            help="With --backtest: the daily network history CSV (date, hashrate_ths_bc, "
            "issuance_btc_cm, drv_fees_btc, price_usd_cm), e.g. btc_network_daily.csv.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The listed miners side by side: MW, EH/s, AI backlog, model EV and parts, multiples.

    One row per company, all valued on one date by the same segment model as `hashpivot
    value TICKER`: operating and contracted MW, EH/s, the contracted AI revenue backlog
    and its remaining term, the model EV and its parts, value per diluted share (or what
    is missing). With --prices: market cap, market EV, EV/EBITDA (model, year 1), EV per
    operating MW, per contracted IT MW, per EH/s, backlog/EV, price/model value and model
    EV / market EV. Each column's basis is a footnote. --report writes the tables and a
    scatter of EV per MW against the AI share of MW as one HTML file; --xlsx the shared
    valuation inputs, the rows and the notes as an Excel workbook. --timeline prints the
    pace of the pivot per company and quarter instead (no --prices or --xlsx).
    --backtest --history FILE sets what listed miners reported for 2024 quarters (self-mined
    BTC and revenue, with sources) against the model on the realised network.
    """
    from hashpivot.equities.data import read_prices_csv
    from hashpivot.io import check_writable
    from hashpivot.listed.comps import comps
    from hashpivot.report.comps import write_comps_report, write_comps_workbook

    with errors_exit_2():
        if backtest:
            given = [n for n, v in (("--prices", prices), ("--xlsx", xlsx), ("--report", report),
                                    ("--as-of", as_of)) if v is not None]  # fmt: skip
            if timeline:
                given.append("--timeline")
            if given:
                msg = (f"{', '.join(given)}: given with --backtest — must be left out (it reads "
                       "the reported quarters and the network history only)")  # fmt: skip
                raise HashpivotError(msg)
            _run_backtest(tickers or [], history, as_json)
            return
        if history is not None:
            raise HashpivotError(
                f"--history: '{history}' — used by --backtest only (add --backtest)"
            )
        if timeline:
            given = [n for n, v in (("--prices", prices), ("--xlsx", xlsx)) if v is not None]
            if given:
                msg = (f"{', '.join(given)}: given with --timeline — must be left out (the "
                       "timeline has no market values and no workbook)")  # fmt: skip
                raise HashpivotError(msg)
            if report is not None:
                check_writable(report)
            _run_timeline(tickers or [], None if as_of is None else as_of.date(), gpu, report,
                          as_json)  # fmt: skip
            return
        for output in (report, xlsx):
            if output is not None:
                check_writable(output)
        frame = None if prices is None else read_prices_csv(prices)
        date = None if as_of is None else as_of.date()
        out = comps(tickers or (), date, frame).to_dict()
        if prices is not None:
            out["prices_file"] = prices.name
        if report is not None:
            write_comps_report(out, report)
            out["report"] = str(report)
        if xlsx is not None:
            write_comps_workbook(out, xlsx)
            out["xlsx"] = str(xlsx)
        if as_json:
            emit_json(out)
            return
        _print(out)
        if report is not None:
            console.print(f"report: {report}", highlight=False)
        if xlsx is not None:
            console.print(f"workbook: {xlsx}", highlight=False)


def register(app: typer.Typer, catalog_app: typer.Typer) -> None:
    """Add ``comps``."""
    del catalog_app
    app.command("comps")(comps_command)
