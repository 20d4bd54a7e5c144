"""``hashpivot estimate``: market-model parameters from a history file, with standard errors.

The estimators live in :mod:`hashpivot.markets.estimate` (each with its reference); this
module reads the options, runs the chosen fits and prints them: a table per model, the
notes, and the scenario YAML the estimates describe (``market_model:`` fields, ready to
paste), or one JSON object with ``--json``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
import typer
import yaml

from hashpivot.cli.common import JsonOpt, console, emit_json, errors_exit_2, table
from hashpivot.errors import SpecError

if TYPE_CHECKING:  # the estimators load scipy.optimize: imported when a fit runs
    from hashpivot.markets.estimate import ModelFit

FREQUENCIES = ("daily", "weekly", "monthly")
"""Return frequencies the regime model accepts (``estimate.STEP_YEARS``)."""

MODELS = ("gbm", "jump", "regime", "fees")
"""What ``--model`` accepts besides ``all``: the BTC price estimators and the fee baseline."""

REGIME_HINT = (
    " (the data may not support {k} regimes: try 2, another --frequency or a longer window)"
)
"""Added to a failed regime fit: the usual cause is a state the data do not have."""

HistoryArg = Annotated[
    Path,
    typer.Argument(
        help="Daily history CSV: a date column and a BTC price column (and, for fees, "
        "fees and blocks per day), e.g. btc_network_daily.csv.",
        show_default=False,
    ),
]
ModelOpt = Annotated[str, typer.Option("--model", help=f"What to fit: {', '.join(MODELS)} or all.")]
StartOpt = Annotated[
    str | None,
    typer.Option("--start-date", help="First day used, YYYY-MM-DD (default: the file's first)."),
]
EndOpt = Annotated[
    str | None,
    typer.Option("--end-date", help="Last day used, YYYY-MM-DD (default: the file's last)."),
]
PriceColumnOpt = Annotated[
    str, typer.Option("--price-column", help="Column of daily BTC prices. [USD/BTC]")
]
DateColumnOpt = Annotated[str, typer.Option("--date-column", help="Column of dates.")]
RegimesOpt = Annotated[int, typer.Option("--regimes", help="States of the regime model: 2 or 3.")]
FrequencyOpt = Annotated[
    str,
    typer.Option(
        "--frequency", help="Returns the regime model is fitted on: daily, weekly, monthly."
    ),
]
JumpCapOpt = Annotated[
    float,
    typer.Option(
        "--max-jump-intensity-per-year",
        help="Cap on the jump rate of the jump model; daily BTC returns push the free fit "
        "to many small jumps (fat tails), a low cap fits rare large ones. [1/yr]",
    ),
]
FeesColumnOpt = Annotated[
    str, typer.Option("--fees-column", help="Column of total fees per day (fees fit). [BTC/day]")
]
BlocksColumnOpt = Annotated[
    str, typer.Option("--blocks-column", help="Column of blocks per day (fees fit). [blocks/day]")
]


def register(app: typer.Typer, catalog_app: typer.Typer) -> None:
    """Add ``estimate`` to the main app."""
    del catalog_app
    app.command("estimate")(estimate_command)


def estimate_command(
    history: HistoryArg,
    model: ModelOpt = "all",
    start_date: StartOpt = None,
    end_date: EndOpt = None,
    price_column: PriceColumnOpt = "price_usd_cm",
    date_column: DateColumnOpt = "date",
    regimes: RegimesOpt = 2,
    frequency: FrequencyOpt = "monthly",
    max_jump_intensity_per_year: JumpCapOpt = 365.0,
    fees_column: FeesColumnOpt = "drv_fees_btc",
    blocks_column: BlocksColumnOpt = "drv_blocks_est",
    as_json: JsonOpt = False,
) -> None:
    """Estimate the market models from history: GBM, jumps, regimes, fee baseline.

    Prints each parameter's estimate and standard error in the units of the scenario's
    fields, and the market_model YAML they describe. Daily returns are calendar days
    (BTC trades every day); drift is the expected growth, E[S_t] = S_0·exp(μt).
    """
    with errors_exit_2():
        options = EstimateOptions.checked(
            model, start_date, end_date, regimes, frequency, max_jump_intensity_per_year
        )
        payload = run_estimate(
            history,
            options,
            price_column=price_column,
            date_column=date_column,
            fees_column=fees_column,
            blocks_column=blocks_column,
        )
        if as_json:
            emit_json(payload)
        else:
            _print(payload)


@dataclass(frozen=True)
class EstimateOptions:
    """The checked options of one ``estimate`` run."""

    models: tuple[str, ...]
    start: dt.date | None
    end: dt.date | None
    regimes: int
    frequency: str
    max_jump_intensity_per_year: float

    @classmethod
    def checked(
        cls,
        model: str,
        start_date: str | None,
        end_date: str | None,
        regimes: int,
        frequency: str,
        max_jump_intensity_per_year: float,
    ) -> EstimateOptions:
        """Validate every option at once; a :class:`SpecError` lists each bad one."""
        problems: list[str] = []
        if model != "all" and model not in MODELS:
            problems.append(f"--model: {model!r} (must be one of {', '.join(MODELS)}, all)")
        start = _date("--start-date", start_date, problems)
        end = _date("--end-date", end_date, problems)
        if start is not None and end is not None and end <= start:
            problems.append(f"--end-date: {end} (must be after --start-date {start})")
        if regimes not in (2, 3):
            problems.append(f"--regimes: {regimes} (must be 2 or 3)")
        if frequency not in FREQUENCIES:
            problems.append(f"--frequency: {frequency!r} (must be one of {', '.join(FREQUENCIES)})")
        if not 1.0 <= max_jump_intensity_per_year <= 365.0:
            problems.append(
                f"--max-jump-intensity-per-year: {max_jump_intensity_per_year} "
                "(must be between 1 and 365)"
            )
        if problems:
            raise SpecError(problems)
        models = MODELS if model == "all" else (model,)
        return cls(models, start, end, regimes, frequency, max_jump_intensity_per_year)


def _date(name: str, text: str | None, problems: list[str]) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append(f"{name}: {text!r} (must be YYYY-MM-DD)")
        return None


def run_estimate(
    history: Path,
    options: EstimateOptions,
    *,
    price_column: str = "price_usd_cm",
    date_column: str = "date",
    fees_column: str = "drv_fees_btc",
    blocks_column: str = "drv_blocks_est",
) -> dict[str, Any]:
    """Run the chosen fits and return the JSON payload of the command."""
    from hashpivot.markets import estimate

    columns = {"date_column": date_column, "fees_column": fees_column}
    columns["blocks_column"] = blocks_column
    prices = None
    if any(m != "fees" for m in options.models):
        prices = estimate.load_btc_prices(
            history,
            date_column=date_column,
            price_column=price_column,
            start_date=options.start,
            end_date=options.end,
        )
    fits = {name: _fit_one(name, history, prices, options, columns) for name in options.models}
    return {
        "history": str(history),
        "fits": {name: {**fit.to_dict(), "spec": _spec_dict(fit)} for name, fit in fits.items()},
        "scenario_yaml": scenario_yaml(fits),
    }


def _fit_one(
    name: str,
    history: Path,
    prices: pd.Series | None,
    options: EstimateOptions,
    columns: dict[str, str],
) -> ModelFit:
    """One fit; a data problem (too few returns, no mean reversion) exits 2 naming it."""
    from hashpivot.markets import estimate

    try:
        if name == "fees":
            return estimate.fit_fees_baseline(
                history, start_date=options.start, end_date=options.end, **columns
            )
        assert prices is not None
        if name == "jump":
            return estimate.fit_jump(
                prices, max_intensity_per_year=options.max_jump_intensity_per_year
            )
        if name == "regime":
            return estimate.fit_regime(
                prices,
                k_regimes=options.regimes,
                frequency=options.frequency,  # type: ignore[arg-type]  # checked
            )
        return estimate.fit_gbm(prices)
    except SpecError:
        raise
    except ValueError as exc:  # numpy's LinAlgError included
        too_short = str(exc).startswith("only ")
        hint = REGIME_HINT.format(k=options.regimes) if name == "regime" and not too_short else ""
        raise SpecError([f"{name} fit: {exc}{hint}"]) from None


def _spec_dict(fit: ModelFit) -> dict[str, Any]:
    return fit.to_spec().model_dump(mode="json")


def scenario_yaml(fits: dict[str, ModelFit]) -> str:
    """The ``market_model`` YAML the fits describe, values to 4 significant figures.

    A scenario holds one BTC price model: the first price fit is the live block and the
    others follow as commented-out alternatives. The fees block takes the fitted
    baseline (level: the last 12 months' median) and the default spikes.
    """
    price_fits = [name for name in fits if name != "fees"]
    live: dict[str, Any] = {}
    if price_fits:
        live["btc_price"] = _rounded(_spec_dict(fits[price_fits[0]]))
    if "fees" in fits:
        live["fees"] = _rounded(_spec_dict(fits["fees"]))
    text = f"# fitted: {', '.join(fits)}\n" + _dump({"market_model": live})
    for name in price_fits[1:]:
        alt = _dump({"market_model": {"btc_price": _rounded(_spec_dict(fits[name]))}})
        text += f"# alternative: the {name} fit\n"
        text += "".join(f"# {line}\n" for line in alt.splitlines())
    return text


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def _rounded(value: Any) -> Any:
    """Floats to 4 significant figures, recursively (the JSON keeps full precision).

    Transition matrices stay as fitted: rounded rows would no longer sum to 1.
    """
    if isinstance(value, float):
        return float(f"{value:.4g}")
    if isinstance(value, dict):  # a transition matrix keeps rows that sum to 1
        return {
            k: v if k == "transition_matrix_per_month" else _rounded(v)
            for k, v in value.items()
            if v is not None
        }
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def _print(payload: dict[str, Any]) -> None:
    for name, fit in payload["fits"].items():
        frame = pd.DataFrame(
            {
                "parameter": list(fit["parameters"]),
                "estimate": [p["estimate"] for p in fit["parameters"].values()],
                "std. error": [
                    float("nan") if p["std_error"] is None else p["std_error"]
                    for p in fit["parameters"].values()
                ],
                "unit": [p["unit"] for p in fit["parameters"].values()],
            }
        )
        title = (
            f"{name}: {fit['frequency']} data {fit['first_date']} to {fit['last_date']}, "
            f"{fit['n_obs']} observations"
        )
        if fit["log_likelihood"] is not None:
            title += f", log-likelihood {fit['log_likelihood']:.2f}"
        console.print(table(frame, title))
        for note in fit["notes"]:
            console.print(f"note: {note}")
    console.print("Scenario YAML (its fields replace those of the scenario's market_model):")
    console.print(payload["scenario_yaml"], markup=False, highlight=False, soft_wrap=True)
