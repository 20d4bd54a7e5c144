"""Rolling-origin evaluation of the network model against two naive baselines.

What it does
------------
1. Origins every quarter from 2019-01-01 to 2024-10-01 (24 origins); each forecasts the
   monthly mean hashrate 1-12 months ahead (fewer at the last origins: the history ends
   in 2024-12), given the realised monthly BTC price and fees that followed, from the
   state on the origin's first day.
2. The ``supply_curve`` model fitted only on data before the origin: for the origins
   of year ``Y``, the calibration of ``scripts/calibrate_network.py`` (frontier trend
   from the ASIC releases before the fit's end, history statistics, dynamic fit by
   differential evolution, band grid) on 2018-01 → ``Y−1``-12, one fit a year (6 fits),
   with the calibration's own settings (:data:`REFIT_OPTIONS`): each is the fit of
   ``calibrate_network.py --split-only --split-end Y−1-12-01``. They take 5-25 minutes
   each on a busy 2-core machine, so they are stored in ``docs/network_fits.json`` and
   reused; ``--refit END`` recomputes the fit to END (repeatable, merged into the file).
3. Baselines that see the 12 monthly means before the origin (no price path):
   ``flat`` (random walk) and ``trend`` (log-linear trend with its regression
   prediction interval), :mod:`hashpivot.network.evaluation`.
4. Scores by model and horizon: median and 90th-percentile absolute % error of the
   median, coverage of the 50 % and 90 % bands, median width of the 90 % band relative
   to the median, mean CRPS of log hashrate. The full-sample defaults are scored too,
   labelled in-sample (they were fitted on 2018-2024, the months they forecast).

Run from the repository root::

    .venv/bin/python scripts/evaluate_network.py [--data PATH] [--markdown] [--json]

Deterministic: seeds are the origin's index (``--paths`` paths a forecast).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from hashpivot.network.evaluation import (
    origins_every,
    rolling_origin_rows,
    summarise_scores,
)
from hashpivot.network.history import History, load_history
from hashpivot.network.spec import NetworkModelSpec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import calibrate_network as calibration  # noqa: E402

FIRST_ORIGIN = dt.date(2019, 1, 1)
LAST_ORIGIN = dt.date(2024, 10, 1)
ORIGIN_STEP_MONTHS = 3
HORIZON_MONTHS = 12
FITS_JSON = ROOT / "docs" / "network_fits.json"
"""Fitted specs by fit-window end (``YYYY-12-01``), written by ``--refit``."""
MODEL = "supply_curve"
DEFAULTS = "supply_curve defaults (in sample)"
REPORTED_HORIZONS = (1, 3, 6, 12)
REFIT_OPTIONS = ("--split-only", "--workers", "1")
"""Calibration settings of the yearly refits: the calibration's own (forecasts of up to
36 months in the fit, differential evolution 10 × 5 members for up to 40 generations,
bands on 300 paths), in one process (run several ends side by side; differential
evolution's deferred updating gives the same fit whatever the workers)."""


def origin_dates() -> list[dt.date]:
    """Quarterly origins from :data:`FIRST_ORIGIN` to :data:`LAST_ORIGIN`."""
    return origins_every(FIRST_ORIGIN, LAST_ORIGIN, ORIGIN_STEP_MONTHS)


def fit_end_for(origin: dt.date) -> dt.date:
    """Last month of the fit used at ``origin``: December of the year before."""
    return dt.date(origin.year - 1, 12, 1)


def refit(hist: History, data: Path, ends: list[dt.date]) -> dict[str, Any]:
    """Calibrate on 2018-01 → each end with the calibration script's default settings."""
    args = calibration.parse_args(list(REFIT_OPTIONS))
    out: dict[str, Any] = {}
    for end in ends:
        fit = calibration.fit_window(hist, data, calibration.FIT_START, end, args)
        out[str(end)] = calibration._spec_fields(fit["spec"])
        print(f"fit to {end}: {fit['seconds']:.0f} s", file=sys.stderr)
    return out


def load_fits(path: Path) -> dict[dt.date, NetworkModelSpec]:
    """Fitted specs by fit-window end from ``path`` (see :data:`FITS_JSON`)."""
    raw = json.loads(path.read_text())
    return {dt.date.fromisoformat(k): NetworkModelSpec(**v) for k, v in raw["fits"].items()}


def _always(spec: NetworkModelSpec) -> Callable[[dt.date], NetworkModelSpec]:
    """The same spec at every origin."""
    return lambda origin: spec


def forecast_rows(hist: History, fits: dict[dt.date, NetworkModelSpec], paths: int) -> pd.DataFrame:
    """Month rows of the refitted model, the defaults and the baselines at every origin."""
    defaults = NetworkModelSpec()
    models = {MODEL: lambda o: fits[fit_end_for(o)], DEFAULTS: _always(defaults)}
    return rolling_origin_rows(hist, origin_dates(), HORIZON_MONTHS, models, paths)


BAND_GRID = {
    "hashrate_noise_log_sd": (0.02, 0.04, 0.06, 0.08),
    "start_pipeline_log_sd": (0.0, 0.25, 0.5, 1.0),
    "build_shock_log_sd": (0.05, 0.1, 0.2, 0.3),
}
"""Shock sizes searched by ``--tune-bands`` (the autocorrelation of the build shock stays)."""
COVERAGE_90_RANGE = (0.85, 0.95)
"""Coverage of the 90 % band that ``--tune-bands`` accepts over the origins [-]."""


def tune_bands(hist: History, spec: NetworkModelSpec, paths: int) -> dict[str, Any]:
    """Shock sizes of ``spec`` with the least mean log CRPS and a 90 % band that holds.

    Among the candidates whose 90 % band covers :data:`COVERAGE_90_RANGE` of the months
    over every origin and horizon (else the one closest to 0.90). CRPS is a proper
    score: at equal calibration it prefers the sharper band (Gneiting
    and Raftery 2007). Candidates are scored on the same origins and seeds.
    """
    names = list(BAND_GRID)
    scored = []
    for values in itertools.product(*BAND_GRID.values()):
        cand = spec.model_copy(update=dict(zip(names, values, strict=True)))
        rows = rolling_origin_rows(
            hist, origin_dates(), HORIZON_MONTHS, {MODEL: _always(cand)}, paths, ()
        )
        s = summarise_scores(rows, ["model"]).loc[MODEL]
        scored.append({**dict(zip(names, values, strict=True)), **s.to_dict()})
    table = pd.DataFrame(scored)
    lo, hi = COVERAGE_90_RANGE
    ok = table[(table["coverage_90"] >= lo) & (table["coverage_90"] <= hi)]
    best = (
        ok.loc[ok["crps_log"].idxmin()]
        if len(ok)
        else table.loc[(table["coverage_90"] - 0.9).abs().idxmin()]
    )
    return {"best": best.to_dict(), "grid": scored}


def report(rows: pd.DataFrame) -> dict[str, Any]:
    """Scores by model and horizon, overall, and against the trend baseline."""
    by_h = summarise_scores(rows, ["model", "horizon"])
    overall = summarise_scores(rows, ["model"])
    trend = by_h.loc["trend", "median_ape"]
    gain = {
        m: {int(h): float(1.0 - by_h.loc[(m, h), "median_ape"] / trend[h]) for h in (3, 6, 12)}
        for m in (MODEL, DEFAULTS, "flat")
    }
    return {
        "origins": [str(o) for o in origin_dates()],
        "by_horizon": _records(by_h),
        "overall": _records(overall),
        "median_ape_gain_vs_trend": gain,
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {**dict(zip(frame.index.names, k if isinstance(k, tuple) else (k,), strict=True)), **v}
        for k, v in frame.to_dict(orient="index").items()
    ]


def markdown(rep: dict[str, Any]) -> str:
    """The tables of ``docs/network_calibration.md``."""
    cols = ("median_ape", "p90_ape", "coverage_50", "coverage_90", "median_width_90", "crps_log")
    head = "| model | horizon | months | " + " | ".join(cols) + " |"
    lines = [head, "|" + "---|" * (3 + len(cols))]
    for r in rep["by_horizon"]:
        if r["horizon"] in REPORTED_HORIZONS:
            vals = " | ".join(f"{r[c]:.3f}" for c in cols)
            lines.append(f"| {r['model']} | {r['horizon']} | {r['months']} | {vals} |")
    for r in rep["overall"]:
        vals = " | ".join(f"{r[c]:.3f}" for c in cols)
        lines.append(f"| {r['model']} | 1-12 | {r['months']} | {vals} |")
    lines.append("")
    for m, g in rep["median_ape_gain_vs_trend"].items():
        gains = ", ".join(f"h={h}: {v:+.2f}" for h, v in g.items())
        lines.append(f"- {m}: median APE vs trend {gains}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=calibration.DEFAULT_DATA)
    p.add_argument("--fits", type=Path, default=FITS_JSON, help="fitted specs (JSON)")
    p.add_argument(
        "--refit",
        type=dt.date.fromisoformat,
        action="append",
        default=[],
        metavar="END",
        help="recompute the fit to END (YYYY-12-01) into --fits, then evaluate",
    )
    p.add_argument("--refit-only", action="store_true", help="stop after --refit")
    p.add_argument(
        "--tune-bands",
        action="store_true",
        help="grid-search the defaults' shock sizes on the origins (BAND_GRID) and stop",
    )
    p.add_argument("--paths", type=int, default=1000, help="paths per model forecast")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Evaluate every model at every origin; print markdown tables or JSON."""
    args = parse_args(argv)
    hist = load_history(args.data)
    if args.refit:
        fits_raw = refit(hist, args.data, args.refit)
        old = json.loads(args.fits.read_text())["fits"] if args.fits.exists() else {}
        doc = {"fit_start": str(calibration.FIT_START), "options": list(REFIT_OPTIONS)}
        merged = dict(sorted({**old, **fits_raw}.items()))
        args.fits.write_text(json.dumps({**doc, "fits": merged}, indent=1) + "\n")
        if args.refit_only:
            return 0
    if args.tune_bands:
        sys.stdout.write(json.dumps(tune_bands(hist, NetworkModelSpec(), args.paths)) + "\n")
        return 0
    rep = report(forecast_rows(hist, load_fits(args.fits), args.paths))
    if args.json:
        sys.stdout.write(json.dumps(rep, default=float) + "\n")
    else:
        print(markdown(rep))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
