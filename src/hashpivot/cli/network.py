"""``hashpivot network``: network hashrate and difficulty under a given BTC price path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer

from hashpivot.cli.common import JsonOpt, console, emit_json, err_console, errors_exit_2, table
from hashpivot.errors import SpecError
from hashpivot.network import models as network
from hashpivot.network.chain import estimate_height
from hashpivot.network.history import History, load_history
from hashpivot.network.io import (
    FEES_COLUMN,
    halving_records,
    month_records,
    monthly_path,
    read_price_path,
)
from hashpivot.network.spec import NETWORK_MODEL_NAMES, NetworkModelSpec

DEFAULT_FEES_BTC_PER_BLOCK = 0.05
"""Fees per block when the price file has no fees column: about 1.5 % of the 3.125 BTC
subsidy (fees were about 1 % of the reward in 2025: 0.96 % in June,
https://backend.theminermag.com/?p=9665 ) [BTC/block]."""

PricePathOpt = Annotated[
    Path | None,
    typer.Option(
        "--price-path",
        help="CSV with columns date,price_usd (daily rows are averaged to months; monthly "
        "rows may carry any day of the month); optional column fees_btc_per_block. "
        "Default with --history: the history's monthly prices and fees.",
        show_default=False,
    ),
]
HistoryOpt = Annotated[
    Path | None,
    typer.Option(
        "--history",
        help="Daily network history in the columns of btc_network_daily.csv (date, "
        "price_usd_cm, hashrate_ths_bc, difficulty_bc, drv_blocks_est, drv_fees_btc): "
        "start from its state on the first of the start month (that day's hashrate and "
        "difficulty; the height from its block counts pinned to the halvings), any month "
        "it covers or the first day after it ends (from its last day). Options given "
        "explicitly win.",
        show_default=False,
    ),
]
StartDateOpt = Annotated[
    str,
    typer.Option(
        "--start-date",
        help="Date of the starting state, YYYY-MM-DD; the simulation runs by calendar "
        "month from the first of its month.",
        show_default=False,
    ),
]
HashrateOpt = Annotated[
    float | None,
    typer.Option(
        "--start-hashrate-eh-s",
        help="Network hashrate on the start date (a 7-day mean is best); needed "
        "without --history. [EH/s]",
        show_default=False,
    ),
]
DifficultyOpt = Annotated[
    float | None,
    typer.Option(
        "--start-difficulty",
        help="Difficulty on the start date; needed without --history. [-]",
        show_default=False,
    ),
]
MonthsOpt = Annotated[int, typer.Option("--months", help="Months to simulate.", show_default=False)]
PathsOpt = Annotated[int, typer.Option("--paths", help="Monte Carlo paths.")]
SeedOpt = Annotated[
    int, typer.Option("--seed", min=0, max=2**63 - 1, help="Random seed (same seed, same output).")
]
HeightOpt = Annotated[
    int | None,
    typer.Option(
        "--start-height",
        help="Block height on the start date; default: estimated from the date by linear "
        "interpolation between halving dates (after 2024-04-20 at 145.8 blocks a day), "
        "good to a few thousand blocks.",
        show_default=False,
    ),
]
FeesOpt = Annotated[
    float | None,
    typer.Option(
        "--fees-btc-per-block",
        help="Fees per block on every path [BTC/block]; default: the price file's "
        f"{FEES_COLUMN} column, else {DEFAULT_FEES_BTC_PER_BLOCK}.",
        show_default=False,
    ),
]
ModelOpt = Annotated[
    str, typer.Option("--model", help=f"Network model: {', '.join(NETWORK_MODEL_NAMES)}.")
]


def register(app: typer.Typer, catalog_app: typer.Typer) -> None:
    """Add ``network`` to the main app."""
    del catalog_app
    app.command("network")(network_command)


def network_command(
    start_date: StartDateOpt,
    months: MonthsOpt,
    price_path: PricePathOpt = None,
    start_hashrate_eh_s: HashrateOpt = None,
    start_difficulty: DifficultyOpt = None,
    history: HistoryOpt = None,
    paths: PathsOpt = 1000,
    seed: SeedOpt = 0,
    start_height: HeightOpt = None,
    fees_btc_per_block: FeesOpt = None,
    model: ModelOpt = "supply_curve",
    as_json: JsonOpt = False,
) -> None:
    """Simulate network hashrate, difficulty and hashprice under a given BTC price path.

    Prints, per month, the 5th/50th/95th percentiles over paths of hashrate, difficulty
    and hashprice, and the halving dates. This is how to test the network model against
    history: start from the state on a date and give the prices that followed
    (``--history`` takes both from a daily network file).
    """
    with errors_exit_2():
        payload = run_network(
            price_path,
            start_date,
            start_hashrate_eh_s,
            start_difficulty,
            months,
            paths,
            seed,
            start_height,
            fees_btc_per_block,
            model,
            history,
        )
        if as_json:
            emit_json(payload)
        else:
            _print(payload)


def _check_args(
    start_date: str,
    hashrate: float | None,
    difficulty: float | None,
    months: int,
    paths: int,
    height: int | None,
) -> dt.date:
    problems = []
    try:
        date = dt.date.fromisoformat(start_date)
    except ValueError:
        problems.append(f"--start-date: {start_date!r} (must be YYYY-MM-DD)")
        date = dt.date(2000, 1, 1)
    checks = [
        ("--start-hashrate-eh-s", hashrate, hashrate is None or _positive(hashrate), "> 0"),
        ("--start-difficulty", difficulty, difficulty is None or _positive(difficulty), "> 0"),
        ("--months", months, 1 <= months <= 600, "between 1 and 600"),
        ("--paths", paths, 1 <= paths <= 1_000_000, "between 1 and 1000000"),
        ("--start-height", height, height is None or height >= 0, ">= 0"),
    ]
    problems += [f"{name}: {value} (must be {rule})" for name, value, ok, rule in checks if not ok]
    if problems:
        raise SpecError(problems)
    return date


def _positive(x: float) -> bool:
    return bool(np.isfinite(x) and x > 0)


def _history_state(hist: History, month0: dt.date, source: str) -> pd.Series:
    """The history's state on the first of the start month (or the day after it ends)."""
    row = pd.Timestamp(month0)
    after = hist.end_state
    if after is not None and row == after.name:
        return after
    if row not in hist.monthly.index:
        first, last = hist.monthly.index[0], hist.monthly.index[-1]
        msg = f"--start-date: {month0:%Y-%m} (the history covers {first:%Y-%m} → {last:%Y-%m})"
        raise SpecError([msg], source=source)
    return pd.Series(hist.monthly.loc[row])


def _history_prices(hist: History, month0: dt.date, months: int, source: str) -> pd.DataFrame:
    """Monthly price and fees of the history over the horizon (it must cover it)."""
    want = pd.date_range(pd.Timestamp(month0), periods=months, freq="MS")
    missing = want.difference(pd.DatetimeIndex(hist.monthly.index))
    if len(missing):
        msg = (
            f"--months: {months} (the history has no month {missing[0]:%Y-%m}; give "
            "--price-path or fewer months)"
        )
        raise SpecError([msg], source=source)
    return hist.monthly.loc[want, ["price_usd", "fees_btc_per_block"]].rename(
        columns={"fees_btc_per_block": FEES_COLUMN}
    )


def _start_state(
    history: Path | None,
    month0: dt.date,
    hashrate: float | None,
    difficulty: float | None,
    height: int | None,
) -> tuple[float, float, float, History | None]:
    """Hashrate, difficulty and height at the start: the options, else the history's."""
    if history is None:
        if hashrate is None or difficulty is None:
            given = (("--start-hashrate-eh-s", hashrate), ("--start-difficulty", difficulty))
            missing = [name for name, v in given if v is None]
            raise SpecError([f"{m}: missing (needed unless --history is given)" for m in missing])
        h = float(height) if height is not None else estimate_height(month0)
        return hashrate, difficulty, h, None
    hist = load_history(history)
    row = _history_state(hist, month0, str(history))
    return (
        float(row["start_hashrate_eh_s"]) if hashrate is None else hashrate,
        float(row["start_difficulty"]) if difficulty is None else difficulty,
        float(row["start_height"]) if height is None else float(height),
        hist,
    )


def run_network(
    price_path: Path | None,
    start_date: str,
    start_hashrate_eh_s: float | None,
    start_difficulty: float | None,
    months: int,
    paths: int = 1000,
    seed: int = 0,
    start_height: int | None = None,
    fees_btc_per_block: float | None = None,
    model: str = "supply_curve",
    history: Path | None = None,
) -> dict[str, Any]:
    """Read the price path (or the history), simulate, and return the command's JSON payload."""
    date = _check_args(
        start_date, start_hashrate_eh_s, start_difficulty, months, paths, start_height
    )
    network.network_model(model)
    month0 = date.replace(day=1)
    if month0 != date:
        err_console.print(f"note: the simulation starts on {month0} (first of the start month)")
    h0, d0, height, hist = _start_state(
        history, month0, start_hashrate_eh_s, start_difficulty, start_height
    )
    if price_path is not None:
        monthly = monthly_path(read_price_path(price_path), month0, months, str(price_path))
        priced_by = "price file"
    elif hist is not None:
        monthly = _history_prices(hist, month0, months, str(history))
        priced_by = "history file"
    else:
        raise SpecError(["--price-path: missing (needed unless --history is given)"])
    price = monthly["price_usd"].to_numpy()
    fees: Any = fees_btc_per_block
    fees_source = "option"
    if fees is None and FEES_COLUMN in monthly and monthly[FEES_COLUMN].notna().all():
        fees, fees_source = monthly[FEES_COLUMN].to_numpy(), priced_by
    elif fees is None:
        fees, fees_source = DEFAULT_FEES_BTC_PER_BLOCK, "default"
    spec = NetworkModelSpec.model_validate({"model": model})
    net = network.simulate_network(
        spec, price, fees, month0, h0, d0, height, seed=seed, paths=paths
    )
    return {
        "model": model,
        "start_date": str(month0),
        "horizon_months": months,
        "paths": paths,
        "seed": seed,
        "start_hashrate_eh_s": h0,
        "start_difficulty": d0,
        "start_height": height,
        "start_height_estimated": start_height is None and hist is None,
        "start_state_source": "options" if hist is None else "history file",
        "fees_btc_per_block": fees_source if fees_source.endswith("file") else float(fees),
        "months": month_records(net, np.broadcast_to(price, (paths, months))),
        "halvings": halving_records(net, month0),
    }


def _print(payload: dict[str, Any]) -> None:
    rows = payload["months"]
    frame = pd.DataFrame(
        {
            "month": [r["month"] for r in rows],
            "BTC USD": [r["price_usd"] for r in rows],
            "EH/s p5": [r["hashrate_eh_s"]["p5"] for r in rows],
            "EH/s p50": [r["hashrate_eh_s"]["p50"] for r in rows],
            "EH/s p95": [r["hashrate_eh_s"]["p95"] for r in rows],
            "difficulty p50 (T)": [r["difficulty"]["p50"] / 1e12 for r in rows],
            "hashprice p50 USD/PH/day": [r["hashprice_usd_per_ph_day"]["p50"] for r in rows],
        }
    )
    title = (
        f"Network ({payload['model']}), {payload['paths']} paths, seed {payload['seed']}, "
        f"from {payload['start_date']}"
    )
    console.print(table(frame, title))
    for h in payload["halvings"]:
        d = h["date"]
        console.print(
            f"halving at {h['height']:,}: reached on {h['share_of_paths']:.0%} of paths; "
            f"date p5 {d['p5']}, p50 {d['p50']}, p95 {d['p95']}"
        )
    if payload["start_height_estimated"]:
        console.print(f"start height estimated from the date: {payload['start_height']:,.0f}")
