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
subsidy (methods.md §3: fees were about 1 % of the reward in 2025) [BTC/block]."""

PricePathOpt = Annotated[
    Path,
    typer.Option(
        "--price-path",
        help="CSV with columns date,price_usd (daily rows are averaged to months; monthly "
        "rows may carry any day of the month); optional column fees_btc_per_block.",
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
    float,
    typer.Option(
        "--start-hashrate-eh-s",
        help="Network hashrate on the start date (a 7-day mean is best). [EH/s]",
        show_default=False,
    ),
]
DifficultyOpt = Annotated[
    float,
    typer.Option(
        "--start-difficulty", help="Difficulty on the start date. [-]", show_default=False
    ),
]
MonthsOpt = Annotated[int, typer.Option("--months", help="Months to simulate.", show_default=False)]
PathsOpt = Annotated[int, typer.Option("--paths", help="Monte Carlo paths.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed (same seed, same output).")]
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
    price_path: PricePathOpt,
    start_date: StartDateOpt,
    start_hashrate_eh_s: HashrateOpt,
    start_difficulty: DifficultyOpt,
    months: MonthsOpt,
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
    history: start from the state on a date and give the prices that followed.
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
        )
        if as_json:
            emit_json(payload)
        else:
            _print(payload)


def _check_args(
    start_date: str, hashrate: float, difficulty: float, months: int, paths: int, height: int | None
) -> dt.date:
    problems = []
    try:
        date = dt.date.fromisoformat(start_date)
    except ValueError:
        problems.append(f"--start-date: {start_date!r} (must be YYYY-MM-DD)")
        date = dt.date(2000, 1, 1)
    checks = [
        ("--start-hashrate-eh-s", hashrate, np.isfinite(hashrate) and hashrate > 0, "> 0"),
        ("--start-difficulty", difficulty, np.isfinite(difficulty) and difficulty > 0, "> 0"),
        ("--months", months, 1 <= months <= 600, "between 1 and 600"),
        ("--paths", paths, 1 <= paths <= 1_000_000, "between 1 and 1000000"),
        ("--start-height", height, height is None or height >= 0, ">= 0"),
    ]
    problems += [f"{name}: {value} (must be {rule})" for name, value, ok, rule in checks if not ok]
    if problems:
        raise SpecError(problems)
    return date


def run_network(
    price_path: Path,
    start_date: str,
    start_hashrate_eh_s: float,
    start_difficulty: float,
    months: int,
    paths: int = 1000,
    seed: int = 0,
    start_height: int | None = None,
    fees_btc_per_block: float | None = None,
    model: str = "supply_curve",
) -> dict[str, Any]:
    """Read the price path, simulate, and return the JSON payload of the command."""
    date = _check_args(
        start_date, start_hashrate_eh_s, start_difficulty, months, paths, start_height
    )
    network.network_model(model)
    month0 = date.replace(day=1)
    if month0 != date:
        err_console.print(f"note: the simulation starts on {month0} (first of the start month)")
    monthly = monthly_path(read_price_path(price_path), month0, months, str(price_path))
    price = monthly["price_usd"].to_numpy()
    fees: Any = fees_btc_per_block
    fees_source = "option"
    if fees is None and FEES_COLUMN in monthly and monthly[FEES_COLUMN].notna().all():
        fees, fees_source = monthly[FEES_COLUMN].to_numpy(), "price file"
    elif fees is None:
        fees, fees_source = DEFAULT_FEES_BTC_PER_BLOCK, "default"
    height = float(start_height) if start_height is not None else estimate_height(date)
    spec = NetworkModelSpec.model_validate({"model": model})
    net = network.simulate_network(
        spec,
        price,
        fees,
        month0,
        start_hashrate_eh_s,
        start_difficulty,
        height,
        seed=seed,
        paths=paths,
    )
    return {
        "model": model,
        "start_date": str(month0),
        "horizon_months": months,
        "paths": paths,
        "seed": seed,
        "start_hashrate_eh_s": start_hashrate_eh_s,
        "start_difficulty": start_difficulty,
        "start_height": height,
        "start_height_estimated": start_height is None,
        "fees_btc_per_block": fees_source if fees_source == "price file" else float(fees),
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
