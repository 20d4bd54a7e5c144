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
   differential evolution with the build lag and margin window held at 12 months,
   in-sample band grid) on 2018-01 → ``Y−1``-12, one fit a year (6 fits), with the
   calibration's own settings (:data:`REFIT_OPTIONS`): each is the fit of
   ``calibrate_network.py --split-only --split-end Y−1-12-01``. They take 6-20 minutes
   each on a busy 2-core machine, so they are stored in ``docs/network_fits.json`` and
   reused; ``--refit END`` recomputes the fit to END (repeatable, merged into the file;
   ``--refit 2024-12-01`` is the full-sample fit, the defaults). Compared with the same
   refits with the bands tuned on earlier out-of-sample errors (``--tune-bands``) and
   with the previous procedure's refits (build lag and margin window fitted).
3. Baselines that see the 12 monthly means before the origin (no price path):
   ``flat`` (random walk) and ``trend`` (log-linear trend with its regression
   prediction interval), :mod:`hashpivot.network.evaluation`.
4. Scores by model and horizon: median and 90th-percentile absolute % error of the
   median, coverage of the 50 % and 90 % bands, median width of the 90 % band relative
   to the median, mean CRPS of log hashrate. The full-sample defaults are scored too,
   labelled in-sample (they were fitted on 2018-2024, the months they forecast).

Run from the repository root::

    .venv/bin/python scripts/evaluate_network.py [--data PATH] [--json] [--tune-bands]

Deterministic: seeds are the origin's index (``--paths`` paths a forecast).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from hashpivot.network.evaluation import (
    origins_every,
    pick_calibrated,
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
"""Fitted specs by fit-window end (``YYYY-12-01``), written by ``--refit``: ``fits`` (the
yearly refits), ``full_sample`` (the fit to 2024-12, the defaults of
:class:`~hashpivot.network.spec.NetworkModelSpec`), ``bands`` and ``defaults_bands``
(shock sizes tuned on out-of-sample errors, ``--tune-bands``), ``previous`` (the yearly
refits of the previous procedure, build lag and margin window fitted)."""
MODEL = "supply_curve"
TUNED = "supply_curve, bands from earlier errors"
"""The yearly refits with the shock sizes tuned on the out-of-sample errors realised
before each refit is used (:func:`tune_refit_bands`)."""
PREVIOUS = "supply_curve, lag and window fitted"
"""The yearly refits of the previous procedure (build lag and margin window fitted too),
kept in ``docs/network_fits.json`` under ``previous`` for comparison."""
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


def refit(
    hist: History, data: Path, ends: list[dt.date], options: tuple[str, ...] = REFIT_OPTIONS
) -> dict[str, Any]:
    """Calibrate on 2018-01 → each end with the calibration script's ``options``."""
    args = calibration.parse_args(list(options))
    out: dict[str, Any] = {}
    for end in ends:
        fit = calibration.fit_window(hist, data, calibration.FIT_START, end, args)
        out[str(end)] = calibration._spec_fields(fit["spec"])
        print(f"fit to {end}: {fit['seconds']:.0f} s", file=sys.stderr)
    return out


def load_fits(path: Path, key: str = "fits") -> dict[dt.date, NetworkModelSpec]:
    """Fitted specs by fit-window end from ``path`` (see :data:`FITS_JSON`).

    ``key``: ``"fits"`` (the refits as calibrated, shock sizes from their in-sample grid),
    ``"bands"`` (the same with the shock sizes tuned on earlier out-of-sample errors,
    written by ``--tune-bands``, where a fit has them) or ``"previous"`` (the fits of the
    previous procedure). Empty if the file lacks them.
    """
    return fits_from(json.loads(path.read_text()), key)


def fits_from(raw: dict[str, Any], key: str = "fits") -> dict[dt.date, NetworkModelSpec]:
    """Fitted specs of a :data:`FITS_JSON` document (see :func:`load_fits`)."""
    part = raw.get("previous", {}) if key == "previous" else raw
    bands = raw.get("bands", {}) if key == "bands" else {}
    if key == "bands" and not bands:
        return {}
    return {
        dt.date.fromisoformat(k): NetworkModelSpec(**{**v, **_shocks(bands.get(k, {}))})
        for k, v in part.get("fits", {}).items()
    }


def _shocks(tuned: dict[str, Any]) -> dict[str, float]:
    """The shock sizes of a band tuning's record."""
    return {k: float(v) for k, v in tuned.items() if k in BAND_GRID}


def _always(spec: NetworkModelSpec) -> Callable[[dt.date], NetworkModelSpec]:
    """The same spec at every origin."""
    return lambda origin: spec


def forecast_rows(
    hist: History,
    fits: dict[dt.date, NetworkModelSpec],
    paths: int,
    previous: dict[dt.date, NetworkModelSpec] | None = None,
    tuned: dict[dt.date, NetworkModelSpec] | None = None,
) -> pd.DataFrame:
    """Month rows of the refitted model(s), the defaults and the baselines at every origin."""
    models = {MODEL: lambda o: fits[fit_end_for(o)]}
    if tuned:
        models[TUNED] = lambda o: tuned[fit_end_for(o)]
    if previous:
        models[PREVIOUS] = lambda o: previous[fit_end_for(o)]
    models[DEFAULTS] = _always(NetworkModelSpec())
    return rolling_origin_rows(hist, origin_dates(), HORIZON_MONTHS, models, paths)


BAND_GRID = {
    "hashrate_noise_log_sd": (0.02, 0.04, 0.06, 0.08),
    "start_pipeline_log_sd": (0.0, 0.25, 0.5, 1.0),
    "build_shock_log_sd": (0.05, 0.1, 0.2, 0.3, 0.5),
}
"""Shock sizes searched for the bands (the autocorrelation of the build shock stays); the
caps of the calibration's grid (``calibrate_network.NOISE_GRID``)."""
COVERAGE_90_RANGE = (0.85, 0.95)
"""Coverage of the 90 % band that the band tuning accepts [-]."""
MIN_BAND_MONTHS = 24
"""Fewest realised out-of-sample months the bands of a refit are tuned on; with fewer
(the 2019 origins: no refit before them) the refit keeps the shock sizes of its
in-sample grid [months]."""
BAND_PATHS = 300
"""Paths per forecast in the band tuning."""


def candidate_rows(
    hist: History,
    spec_at: Callable[[dt.date], NetworkModelSpec],
    paths: int = BAND_PATHS,
) -> list[tuple[dict[str, float], pd.DataFrame]]:
    """Month rows of every origin's forecast with each :data:`BAND_GRID` candidate.

    Each origin's forecast is by the spec fitted before it (``spec_at``) with the
    candidate's shock sizes; same origins and seeds for every candidate. Rows carry the
    forecast ``month``.
    """
    names = list(BAND_GRID)
    out = []
    for values in itertools.product(*BAND_GRID.values()):
        upd = dict(zip(names, values, strict=True))
        models = {MODEL: lambda o, u=upd: spec_at(o).model_copy(update=u)}
        rows = rolling_origin_rows(hist, origin_dates(), HORIZON_MONTHS, models, paths, ())
        rows["month"] = [
            (pd.Timestamp(o) + pd.DateOffset(months=int(h) - 1)).date()
            for o, h in zip(rows["origin"], rows["horizon"], strict=True)
        ]
        out.append((upd, rows))
    return out


def tune_bands(
    candidates: list[tuple[dict[str, float], pd.DataFrame]], before: dt.date
) -> dict[str, Any]:
    """Shock sizes with the least mean log CRPS and a 90 % band that holds.

    Empirical prediction intervals from past out-of-sample errors (W. H. Williams and
    M. L. Goodman (1971), A simple method for the construction of empirical confidence
    limits for economic forecasts, J. Am. Stat. Assoc. 66(336):752-754): the candidates'
    forecasts (:func:`candidate_rows`) are scored on the months before ``before`` only
    (what was realised by then). Among the candidates whose 90 % band covers
    :data:`COVERAGE_90_RANGE` of those months, the least CRPS (a proper score: at equal
    calibration it prefers the sharper band, Gneiting and Raftery 2007); else the one
    closest to 0.90.
    """
    scored = []
    for upd, rows in candidates:
        s = summarise_scores(rows[rows["month"] < before], ["model"]).loc[MODEL]
        scored.append({**upd, **s.to_dict()})
    best = pick_calibrated(pd.DataFrame(scored), COVERAGE_90_RANGE)
    return {"best": best.to_dict(), "grid": scored}


def tune_refit_bands(
    fits: dict[dt.date, NetworkModelSpec],
    candidates: list[tuple[dict[str, float], pd.DataFrame]],
) -> dict[str, Any]:
    """Shock sizes for each yearly refit from the out-of-sample errors realised before its use.

    The refit to December ``Y−1`` forecasts from the origins of year ``Y``; its shock sizes
    come from :func:`tune_bands` on the forecasts of the earlier origins (by their own
    refits) scored on the months up to December ``Y−1``, if there are at least
    :data:`MIN_BAND_MONTHS` of them (else its in-sample grid's stay).
    """
    out: dict[str, Any] = {}
    for end in sorted(fits):
        use_from = dt.date(end.year + 1, 1, 1)
        months = sum(
            min(HORIZON_MONTHS, _months_between(o, use_from))
            for o in origin_dates()
            if o < use_from
        )
        if months >= MIN_BAND_MONTHS:
            out[str(end)] = tune_bands(candidates, use_from)["best"]
    return out


def _months_between(first: dt.date, end: dt.date) -> int:
    """Whole months from ``first`` (a first of month) to ``end`` (a first of month)."""
    return (end.year - first.year) * 12 + end.month - first.month


def report(rows: pd.DataFrame) -> dict[str, Any]:
    """Scores by model and horizon, overall, and against the trend baseline."""
    by_h = summarise_scores(rows, ["model", "horizon"])
    overall = summarise_scores(rows, ["model"])
    trend = by_h.loc["trend", "median_ape"]
    gain = {
        m: {int(h): float(1.0 - by_h.loc[(m, h), "median_ape"] / trend[h]) for h in (3, 6, 12)}
        for m in (MODEL, TUNED, PREVIOUS, DEFAULTS, "flat")
        if m in scored_models(by_h)
    }
    return {
        "origins": [str(o) for o in origin_dates()],
        "by_horizon": _records(by_h),
        "overall": _records(overall),
        "median_ape_gain_vs_trend": gain,
    }


def scored_models(by_h: pd.DataFrame) -> set[str]:
    """Models scored in ``by_h``."""
    return set(by_h.index.get_level_values("model"))


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
        "--refit-options",
        default="",
        help="extra options of calibrate_network.py for --refit (e.g. '--popsize 6')",
    )
    p.add_argument(
        "--tune-bands",
        action="store_true",
        help="tune the refits' shock sizes on earlier out-of-sample errors into --fits, "
        "and the defaults' on all of them (BAND_GRID), then evaluate",
    )
    p.add_argument("--paths", type=int, default=1000, help="paths per model forecast")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Evaluate every model at every origin; print markdown tables or JSON."""
    args = parse_args(argv)
    hist = load_history(args.data)
    if args.refit:
        options = (*REFIT_OPTIONS, *shlex.split(args.refit_options))
        fits_raw = refit(hist, args.data, args.refit, options)
        stored = json.loads(args.fits.read_text()) if args.fits.exists() else {}
        doc = {"fit_start": str(calibration.FIT_START), "options": list(options)}
        full = str(calibration.FULL_END)  # the defaults' fit, kept apart
        yearly = {k: v for k, v in fits_raw.items() if k != full}
        merged = dict(sorted({**stored.get("fits", {}), **yearly}.items()))
        out = {**stored, **doc, "fits": merged}  # keeps the "previous" fits
        if full in fits_raw:
            out["full_sample"] = {full: fits_raw[full]}
        args.fits.write_text(json.dumps(out, indent=1) + "\n")
        if args.refit_only:
            return 0
    if args.tune_bands:
        stored = json.loads(args.fits.read_text())
        raw_fits = {
            dt.date.fromisoformat(k): NetworkModelSpec(**v) for k, v in stored["fits"].items()
        }
        candidates = candidate_rows(hist, lambda o: raw_fits[fit_end_for(o)])
        stored["bands"] = tune_refit_bands(raw_fits, candidates)
        every = tune_bands(candidates, dt.date(hist.last_month.year + 1, 1, 1))
        stored["defaults_bands"] = every["best"]
        args.fits.write_text(json.dumps(stored, indent=1) + "\n")
        print(json.dumps({"bands": stored["bands"], "defaults": every["best"]}), file=sys.stderr)
    fits, previous = load_fits(args.fits), load_fits(args.fits, "previous")
    tuned = load_fits(args.fits, "bands")
    rep = report(forecast_rows(hist, fits, args.paths, previous, tuned))
    if args.json:
        sys.stdout.write(json.dumps(rep, default=float) + "\n")
    else:
        print(markdown(rep))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
