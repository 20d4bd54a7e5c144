"""Calibrate the supply-curve network model on the history file and test it out of sample.

What it does
------------
1. Builds a monthly history from ``btc_network_daily.csv``: mean BTC price, fees per
   block (the month's fees over its blocks), mean hashrate, and on each first of month
   the state a user gives the ``network`` command (that day's hashrate and difficulty,
   and the height from the cumulative block count pinned to the halving anchors).
2. Fixed inputs, not fitted to hashrate:

   - frontier efficiency: log-linear fit of J/TH on release date over the ASIC
     releases of ``asic_miner_efficiency_j_per_th.csv`` from the S9 (2016) up to the
     fit's end, the yearly improvement clipped to the 15-25 %/yr of methods.md §1;
   - median power price: 0.05 USD/kWh, CBECI's electricity price (it is confounded
     with the target margin in the order rule, so it is not fitted);
   - weight of the start hashrate against the difficulty-implied one: the weight that
     minimises the spread of log(month's mean hashrate / blended start value);
   - capacity growth before the start: mean monthly log growth of hashrate in the fit
     window;
   - build lag (12 months, from miners' orders and their delivery schedules) and margin
     window (12 months, assumption): :data:`BUILD_LAG_MONTHS`,
     :data:`MARGIN_WINDOW_MONTHS` (``--fit-lag-and-window`` fits them instead).

3. Fits the dynamic parameters (spread of power prices, build response, target
   margin) of the shock-free model -- the median path, since
   the shocks are median-neutral -- by differential evolution on the mean absolute log
   error of monthly mean hashrate over forecasts started every ``--origin-step``
   months in the fit window, each run up to ``--horizon`` months ahead (never past the
   window's end) on the realised price and fees.
4. Sets the shock sizes by grid search so that the in-sample 5-95 % bands cover 90 %
   of the months in each horizon bucket (1-6, 7-18, 19-36 months).
5. Out of sample: from the state on 2022-01-01, with the parameters fitted on data up
   to 2021-12-31 (``--split-end 2021-12-01``, the default; a later split end tests on
   a shorter stretch after it), on the realised 2022-01 → 2024-12 prices, the share of
   months whose realised hashrate falls inside the 5-95 % band and the median absolute
   % error of the median path (with realised fees, and with the constant 0.05 BTC/block
   the ``network`` command uses by default); plus the same scores from later origins.
6. Repeats 2-4 on the full sample (to 2024-12): those parameters are the defaults of
   :class:`hashpivot.network.spec.NetworkModelSpec`.

The fit window starts in 2018-01 (``--fit-start``): the 2016-2017 S9 build-out, when
hashrate grew 10-20 % a month, is a one-off ramp of the ASIC industry that the
in-sample fit would otherwise be bent around.

Run from the repository root (about 30 minutes on a busy 2-core machine)::

    .venv/bin/python scripts/calibrate_network.py [--data PATH] [--json]

"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import math
import multiprocessing
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import differential_evolution

from hashpivot import bitcoin
from hashpivot.network import models as network
from hashpivot.network.history import History, load_history
from hashpivot.network.spec import NetworkModelSpec

FloatArray = npt.NDArray[np.float64]

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "btc_network_daily.csv"
ASIC_CSV_NAME = "asic_miner_efficiency_j_per_th.csv"
FIT_START = dt.date(2018, 1, 1)
SPLIT_END = dt.date(2021, 12, 1)
"""Last month of the out-of-sample test's fit window (``--split-end``); the test runs from
the next month to :data:`FULL_END`."""
FULL_END = dt.date(2024, 12, 1)
CBECI_POWER_PRICE_USD_PER_KWH = 0.05
"""CBECI's electricity price, https://ccaf.io/cbnsi/cbeci/methodology [USD/kWh]."""
FRONTIER_RANGE_FRAC_PER_YEAR = (0.15, 0.25)
"""Frontier improvement range of methods.md §1 [1/yr]."""
RETIRE_FRAC_PER_MONTH = 1.0 / 36.0
"""Oldest tier (over 5 years) retired over 3 years on average: ASIC lives of 5-8 years
(assumption, methods.md §1 "fleet vintages") [1/month]."""
CLI_FEES_BTC_PER_BLOCK = 0.05
"""Fees per block the ``network`` command assumes when the price file has none [BTC]."""

FITTED: tuple[tuple[str, float, float], ...] = (
    ("power_price_log_sd", 0.1, 1.5),
    ("build_response_frac_per_month", 0.01, 0.5),
    ("target_margin_frac", 0.0, 0.9),
    ("build_lag_months", 6.0, 12.0),
    ("margin_window_months", 1.0, 12.0),
)
"""Dynamic parameters fitted by differential evolution, with their bounds. The build lag
and the margin window are held at :data:`BUILD_LAG_MONTHS` and
:data:`MARGIN_WINDOW_MONTHS` unless ``--fit-lag-and-window`` is given."""
BUILD_LAG_MONTHS = 12.0
"""Mean months from an order to the capacity running, set from miners' orders rather than
fitted. Scheduled deliveries of orders placed in the 2020-2021 boom: Marathon's 70,000 S19
ordered 2020-12-28, 7,000 due 2021-07 and 63,000 due 2021-12, 11.5 months on average
(modernconsensus.com/cryptocurrencies/bitcoin/u-s-firm-buys-70000-bitcoin-miners-for-170-million,
secondary); TeraWulf's 3,000 S19 XP ordered 2021-12-07, 500 a month July-December 2022,
9.8 months on average (10-K 2022, note 12,
https://www.sec.gov/Archives/edgar/data/1083301/000155837023005301/R19.htm); Riot's 2021
orders of 52,500 S19j and 30,000 S19 XP shipping monthly through December 2022 (10-K 2021,
note 8, https://www.riotplatforms.com/investors/sec-filings/annual-reports/xbrl_doc_only/1954).
Running needs a site as well: Marathon's S19 XPs of the November-December 2021 orders were
to be installed at Applied Blockchain from 2022-Q4 to mid-2023, 11-19 months after the order
(Marathon release of July 2022, https://it.marketscreener.com/quotazioni/azione/MARATHON-DIGITAL-HOLDINGS-56976419/attualita/Marathon-Digital-Holdings-Inc-Ottiene-circa-254-Megawatt-di-nuovi-accordi-di-hosting-per-le-sue-op-41020644/).
In slack markets deliveries are quicker (CleanSpark's 60,000 S21 ordered 2024-01-08, due
April-June 2024: 4 months, https://gocryptonft.com/news/bitcoin-miner-cleanspark-buys-another-193/108996),
but the model orders only when margins exceed the required margin, i.e. in booms, when
the queue is long: 10-11.5 months to delivery plus installation, 12 months, the top of
the 6-12 months of methods.md §1 [months]."""
MARGIN_WINDOW_MONTHS = 12.0
"""Mean lag of the trailing margin on which orders are sized: a year, as long as the build
lag (assumption; no source pins it, and the full-sample fit with it free put it at its
12-month bound). Fitted on 2018-2021 the window falls to 1.0-1.4 months with the lag at
its 6-month bound, and to 1.0-3.2 months with the lag held at 12: those data cannot tell
a fast response from a slow one (docs/network_calibration.md) [months]."""


def fitted_params(args: argparse.Namespace) -> tuple[tuple[str, float, float], ...]:
    """:data:`FITTED` without the parameters held at a value (:func:`held_values`)."""
    held = held_values(args)
    return tuple(f for f in FITTED if f[0] not in held)


def held_values(args: argparse.Namespace) -> dict[str, float]:
    """Dynamic parameters held at a value instead of fitted (none with ``--fit-lag-and-window``)."""
    if args.fit_lag_and_window:
        return {}
    if args.fit_margin_window:
        return {"build_lag_months": args.build_lag_months}
    return {
        "build_lag_months": args.build_lag_months,
        "margin_window_months": args.margin_window_months,
    }


NOISE_GRID = {
    "hashrate_noise_log_sd": (0.02, 0.04, 0.06, 0.08),
    "build_shock_log_sd": (0.1, 0.2, 0.3, 0.5),
    "build_shock_autocorr_per_month": (0.9, 0.95, 0.98),
    "start_pipeline_log_sd": (0.25, 0.5, 1.0),
}
"""Grid of the shock sizes searched for 90 % in-sample coverage. Capped at plausible sizes:
a month-end transient of 8 % (a month's block luck is about 1.5 %, curtailment events
5-10 %) and a starting pipeline uncertain by a factor e (a wider grid reaches 90 % in the
first months only with bands whose 95th percentile is over twice the median after three
months, when the largest 3-month rise on record is about +60 %)."""
BAN_MONTHS = (dt.date(2021, 6, 1), dt.date(2021, 11, 1))
"""China's mining ban (May-July 2021) and the relocation that followed: realised hashrate
fell 40 % in June-July 2021 and was back on trend by November. An exogenous break that no
price-driven model can predict: these months are left out of the fitting loss and no
forecast starts inside them (``--keep-ban`` keeps them)."""
HORIZON_BUCKETS = ((1, 6), (7, 18), (19, 36))
"""Horizon buckets [months] in which in-sample coverage is matched."""


# --------------------------------------------------------------------------- history


# --------------------------------------------------------------------------- fixed inputs


def fit_frontier(asic_csv: Path, end: dt.date) -> dict[str, Any]:
    """Frontier J/TH, log-linear in release date, S9 (2016) onward, releases up to ``end``.

    The reference date is 1 January of the year of the last release used; the yearly
    improvement is clipped to :data:`FRONTIER_RANGE_FRAC_PER_YEAR`, and the level at the
    reference date is refitted with the clipped slope.
    """
    a = pd.read_csv(asic_csv, parse_dates=["Release Date"])
    a = a[(a["Release Date"] >= "2016-01-01") & (a["Release Date"] <= pd.Timestamp(end))]
    ref = dt.date(int(a["Release Date"].max().year), 1, 1)
    years = ((a["Release Date"] - pd.Timestamp(ref)).dt.days / 365.25).to_numpy()
    log_e = np.log(a["Efficiency (J/TH)"].to_numpy())
    slope = float(np.polyfit(years, log_e, 1)[0])
    raw = -math.expm1(slope)
    lo, hi = FRONTIER_RANGE_FRAC_PER_YEAR
    frac = min(max(raw, lo), hi)
    level = math.exp(float(np.mean(log_e - math.log1p(-frac) * years)))
    return {
        "frontier_improvement_frac_per_year": frac,
        "frontier_improvement_unclipped_frac_per_year": raw,
        "frontier_efficiency_j_per_th": level,
        "frontier_reference_date": ref,
        "releases": [str(m) for m in a["Miner Hardware (Manufacturer)"]],
    }


def fit_start_weight(hist: History, start: dt.date, end: dt.date) -> float:
    """Weight on the day's hashrate vs the difficulty-implied one (grid 0..1 by 0.05).

    Minimises the standard deviation of log(month's mean hashrate / blended start).
    """
    m = hist.monthly.loc[pd.Timestamp(start) : pd.Timestamp(end)]
    implied = np.log(bitcoin.hashrate_h_s_for_difficulty(m["start_difficulty"]) / 1e18)
    day = np.log(m["start_hashrate_eh_s"].to_numpy())
    real = np.log(m["hashrate_eh_s"].to_numpy())
    grid = np.round(np.arange(0.0, 1.0001, 0.05), 2)
    sds = [float(np.std(real - (w * day + (1 - w) * implied))) for w in grid]
    return float(grid[int(np.argmin(sds))])


def mean_log_growth(hist: History, start: dt.date, end: dt.date) -> tuple[float, float]:
    """Mean and standard deviation of the monthly log growth of hashrate in the window."""
    m = hist.monthly.loc[pd.Timestamp(start) : pd.Timestamp(end), "hashrate_eh_s"]
    g = np.log(m).diff().dropna()
    return float(g.mean()), float(g.std())


def fixed_inputs(hist: History, data: Path, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Every parameter set before the dynamic fit, for a window ``[start, end]``."""
    frontier = fit_frontier(data.parent / ASIC_CSV_NAME, end + dt.timedelta(days=30))
    g_mean, g_sd = mean_log_growth(hist, start, end)
    return {
        **frontier,
        "power_price_median_usd_per_kwh": CBECI_POWER_PRICE_USD_PER_KWH,
        "retire_frac_per_month": RETIRE_FRAC_PER_MONTH,
        "start_hashrate_weight_frac": fit_start_weight(hist, start, end),
        "history_growth_frac_per_month": math.expm1(g_mean),
        "growth_frac_per_month": math.expm1(g_mean),
        "bootstrap_growth_log_mean_per_month": g_mean,
        "bootstrap_growth_log_sd_per_month": g_sd,
    }


def base_spec(fixed: dict[str, Any]) -> NetworkModelSpec:
    """A spec with the fixed inputs set (the rest at their current defaults)."""
    fields = NetworkModelSpec.model_fields
    return NetworkModelSpec(**{k: v for k, v in fixed.items() if k in fields})


# --------------------------------------------------------------------------- forecasts


def forecast(
    spec: NetworkModelSpec,
    hist: History,
    origin: dt.date,
    months: int,
    paths: int,
    seed: int,
    fees_btc_per_block: float | None = None,
) -> FloatArray:
    """Monthly mean hashrate ``(paths, months)`` from ``origin`` on the realised prices."""
    w = hist.window(origin, months)
    first = w.iloc[0]
    fees = w["fees_btc_per_block"].to_numpy() if fees_btc_per_block is None else fees_btc_per_block
    net = network.simulate_network(
        spec,
        w["price_usd"].to_numpy(),
        fees,
        origin,
        float(first["start_hashrate_eh_s"]),
        float(first["start_difficulty"]),
        float(first["start_height"]),
        seed=seed,
        paths=paths,
    )
    return net.network_hashrate_eh_s


def origins(start: dt.date, end: dt.date, step: int, min_months: int) -> list[dt.date]:
    """Forecast origins every ``step`` months with at least ``min_months`` months to ``end``."""
    out = []
    d = pd.Timestamp(start)
    last = pd.Timestamp(end) - pd.DateOffset(months=min_months - 1)
    while d <= last:
        out.append(d.date())
        d = d + pd.DateOffset(months=step)
    return out


def months_to(origin: dt.date, end: dt.date) -> int:
    """Months from ``origin`` to ``end``, both included."""
    return (end.year - origin.year) * 12 + end.month - origin.month + 1


def shock_free(spec: NetworkModelSpec) -> NetworkModelSpec:
    """The spec with every shock switched off: its path is the model's median path."""
    return spec.model_copy(
        update={
            "build_shock_log_sd": 0.0,
            "hashrate_noise_log_sd": 0.0,
            "start_pipeline_log_sd": 0.0,
        }
    )


def log_errors(
    spec: NetworkModelSpec,
    hist: History,
    starts: list[dt.date],
    end: dt.date,
    horizon: int,
    excluded: tuple[dt.date, dt.date] | None = None,
) -> list[FloatArray]:
    """Log error of the median path for each origin, up to ``horizon`` months or ``end``.

    Months inside ``excluded`` (first and last month, both included) are dropped.
    """
    det = shock_free(spec)
    out = []
    for o in starts:
        n = min(horizon, months_to(o, end))
        w = hist.window(o, n)
        err = np.log(forecast(det, hist, o, n, 1, 0)[0] / w["hashrate_eh_s"].to_numpy())
        out.append(err[~_excluded_mask(w.index, excluded)])
    return out


def _excluded_mask(
    index: pd.DatetimeIndex, excluded: tuple[dt.date, dt.date] | None
) -> npt.NDArray[np.bool_]:
    if excluded is None:
        return np.zeros(len(index), dtype=bool)
    lo, hi = pd.Timestamp(excluded[0]), pd.Timestamp(excluded[1])
    return np.asarray((index >= lo) & (index <= hi))


def fit_origins(
    start: dt.date, end: dt.date, step: int, excluded: tuple[dt.date, dt.date] | None
) -> list[dt.date]:
    """Origins of the fit: every ``step`` months, none inside the excluded months."""
    out = origins(start, end, step, 6)
    if excluded is None:
        return out
    return [o for o in out if not (excluded[0] <= o <= excluded[1])]


# --------------------------------------------------------------------------- dynamic fit


@dataclass(frozen=True)
class _Objective:
    """Mean absolute log error of the median path over all origins (picklable for DE)."""

    base: dict[str, Any]
    fitted: tuple[tuple[str, float, float], ...]
    hist: History
    starts: tuple[dt.date, ...]
    end: dt.date
    horizon: int
    excluded: tuple[dt.date, dt.date] | None

    def spec(self, v: FloatArray) -> NetworkModelSpec:
        upd = {name: float(x) for (name, _, _), x in zip(self.fitted, v, strict=True)}
        return NetworkModelSpec(**{**self.base, **upd})

    def __call__(self, v: FloatArray) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                errs = log_errors(
                    self.spec(v),
                    self.hist,
                    list(self.starts),
                    self.end,
                    self.horizon,
                    self.excluded,
                )
            except (ValueError, IndexError, FloatingPointError):
                return 10.0
        val = float(np.mean(np.abs(np.concatenate(errs))))
        return val if math.isfinite(val) else 10.0


def fit_dynamic(
    base: NetworkModelSpec,
    hist: History,
    starts: list[dt.date],
    end: dt.date,
    args: argparse.Namespace,
) -> tuple[NetworkModelSpec, float]:
    """Differential evolution over :func:`fitted_params`; returns the spec and its objective."""
    excluded = None if args.keep_ban else BAN_MONTHS
    fitted = fitted_params(args)
    base = base.model_copy(update=held_values(args))
    obj = _Objective(base.model_dump(), fitted, hist, tuple(starts), end, args.horizon, excluded)
    # fresh worker processes: forking this one after its compiled kernels ran threads
    # (OpenMP) is unsafe, and GNU OpenMP aborts the child
    with multiprocessing.get_context("spawn").Pool(max(args.workers, 1)) as pool:
        res = differential_evolution(
            obj,
            [(lo, hi) for _, lo, hi in fitted],
            popsize=args.popsize,
            maxiter=args.maxiter,
            tol=1e-4,
            seed=args.seed,
            workers=pool.map if args.workers > 1 else 1,
            updating="deferred",
            polish=False,
        )
    return obj.spec(res.x), float(res.fun)


# --------------------------------------------------------------------------- bands


def band_scores(
    spec: NetworkModelSpec,
    hist: History,
    starts: list[dt.date],
    end: dt.date,
    horizon: int,
    paths: int,
    fees_btc_per_block: float | None = None,
    excluded: tuple[dt.date, dt.date] | None = None,
) -> pd.DataFrame:
    """Per origin and month: realised hashrate, p5, p50, p95 of the simulated paths."""
    rows = []
    for i, o in enumerate(starts):
        n = min(horizon, months_to(o, end))
        w = hist.window(o, n)
        real = w["hashrate_eh_s"].to_numpy()
        skip = _excluded_mask(w.index, excluded)
        sim = forecast(spec, hist, o, n, paths, i, fees_btc_per_block)
        p5, p50, p95 = np.percentile(sim, [5, 50, 95], axis=0)
        for h in range(n):
            if not skip[h]:
                rows.append((o, h + 1, real[h], p5[h], p50[h], p95[h]))
    frame = pd.DataFrame(rows, columns=["origin", "horizon", "real", "p5", "p50", "p95"])
    frame["inside"] = (frame["real"] >= frame["p5"]) & (frame["real"] <= frame["p95"])
    frame["ape"] = (frame["p50"] / frame["real"] - 1.0).abs()
    return frame


def bucket_coverage(frame: pd.DataFrame) -> dict[str, float]:
    """Share of months inside the band in each horizon bucket."""
    out = {}
    for lo, hi in HORIZON_BUCKETS:
        sel = frame[(frame["horizon"] >= lo) & (frame["horizon"] <= hi)]
        if len(sel):
            out[f"{lo}-{hi}"] = float(sel["inside"].mean())
    return out


def fit_noise(
    spec: NetworkModelSpec,
    hist: History,
    starts: list[dt.date],
    end: dt.date,
    args: argparse.Namespace,
) -> tuple[NetworkModelSpec, dict[str, float]]:
    """Grid search of the shock sizes: bucket coverages closest to 0.90 (squared error)."""
    excluded = None if args.keep_ban else BAN_MONTHS
    best: tuple[float, NetworkModelSpec, dict[str, float]] | None = None
    names = list(NOISE_GRID)
    for values in itertools.product(*NOISE_GRID.values()):
        cand = spec.model_copy(update=dict(zip(names, values, strict=True)))
        cov = bucket_coverage(
            band_scores(cand, hist, starts, end, args.horizon, args.noise_paths, None, excluded)
        )
        loss = sum((c - 0.90) ** 2 for c in cov.values())
        if best is None or loss < best[0]:
            best = (loss, cand, cov)
    assert best is not None
    return best[1], best[2]


# --------------------------------------------------------------------------- reports


def fit_window(
    hist: History, data: Path, start: dt.date, end: dt.date, args: argparse.Namespace
) -> dict[str, Any]:
    """Fixed inputs, dynamic fit and shock sizes for one window; with in-sample scores."""
    t0 = time.perf_counter()
    fixed = fixed_inputs(hist, data, start, end)
    excluded = None if args.keep_ban else BAN_MONTHS
    starts = fit_origins(start, end, args.origin_step, excluded)
    spec, mae = fit_dynamic(base_spec(fixed), hist, starts, end, args)
    spec, cov = fit_noise(spec, hist, starts, end, args)
    frame = band_scores(spec, hist, starts, end, args.horizon, args.noise_paths, None, excluded)
    return {
        "window": [str(start), str(end)],
        "origins": len(starts),
        "spec": spec,
        "fixed": {k: str(v) if isinstance(v, dt.date) else v for k, v in fixed.items()},
        "in_sample": {
            "mean_abs_log_error_median_path": mae,
            "median_ape_median_path": float(frame["ape"].median()),
            "band_coverage_frac": float(frame["inside"].mean()),
            "band_coverage_by_horizon": cov,
            "month_scores": len(frame),
        },
        "seconds": time.perf_counter() - t0,
    }


def next_month(d: dt.date) -> dt.date:
    """The first of the month after ``d``'s."""
    return (pd.Timestamp(d) + pd.DateOffset(months=1)).date().replace(day=1)


def out_of_sample(
    spec: NetworkModelSpec, hist: History, args: argparse.Namespace
) -> dict[str, Any]:
    """Scores of the forecast from the month after the fit window (and later origins)."""
    start = next_month(args.split_end)
    n = months_to(start, FULL_END)
    out: dict[str, Any] = {"test_window": [str(start), str(FULL_END)], "months": n}
    for label, fees in (("realised_fees", None), ("fees_0.05_btc", CLI_FEES_BTC_PER_BLOCK)):
        frame = band_scores(spec, hist, [start], FULL_END, n, args.test_paths, fees)
        out[label] = {
            "band_coverage_frac": float(frame["inside"].mean()),
            "median_ape_median_path": float(frame["ape"].median()),
            "months": [
                {
                    "month": _month(start, int(r.horizon)),
                    "real": r.real,
                    "p5": r.p5,
                    "p50": r.p50,
                    "p95": r.p95,
                }
                for r in frame.itertuples()
            ],
        }
    rolling = band_scores(spec, hist, origins(start, FULL_END, 6, 6), FULL_END, n, args.noise_paths)
    out["rolling_origins_every_6_months"] = {
        "band_coverage_frac": float(rolling["inside"].mean()),
        "median_ape_median_path": float(rolling["ape"].median()),
        "band_coverage_by_horizon": bucket_coverage(rolling),
        "month_scores": len(rolling),
    }
    return out


def _month(start: dt.date, horizon: int) -> str:
    return (pd.Timestamp(start) + pd.DateOffset(months=horizon - 1)).strftime("%Y-%m")


def _spec_fields(spec: NetworkModelSpec) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, dt.date) else v) for k, v in spec.model_dump().items()}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="btc_network_daily.csv")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--fit-start", type=dt.date.fromisoformat, default=FIT_START)
    p.add_argument("--horizon", type=int, default=36, help="months per forecast")
    p.add_argument("--origin-step", type=int, default=3, help="months between origins")
    p.add_argument("--popsize", type=int, default=10, help="differential evolution")
    p.add_argument("--maxiter", type=int, default=40, help="differential evolution")
    p.add_argument("--workers", type=int, default=2, help="processes for the fit")
    p.add_argument("--noise-paths", type=int, default=300, help="paths per in-sample band")
    p.add_argument("--test-paths", type=int, default=2000, help="paths of the 2022 test")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--build-lag-months",
        type=float,
        default=BUILD_LAG_MONTHS,
        help="build lag held in the fit [months]",
    )
    p.add_argument(
        "--margin-window-months",
        type=float,
        default=MARGIN_WINDOW_MONTHS,
        help="margin window held in the fit [months]",
    )
    p.add_argument(
        "--fit-lag-and-window",
        action="store_true",
        help="fit the build lag (6-12 months) and margin window (1-12) too, as before",
    )
    p.add_argument(
        "--fit-margin-window",
        action="store_true",
        help="fit the margin window (1-12 months) with the build lag held",
    )
    p.add_argument("--keep-ban", action="store_true", help="fit the 2021 ban months too")
    p.add_argument("--split-only", action="store_true", help="skip the full-sample fit")
    p.add_argument(
        "--split-end",
        type=dt.date.fromisoformat,
        default=SPLIT_END,
        help="last month of the out-of-sample fit window (first of month); the test runs "
        "from the next month to 2024-12",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run both fits and the out-of-sample test; print a report or JSON."""
    args = parse_args(argv)
    hist = load_history(args.data)
    if not args.fit_start < args.split_end < FULL_END:
        msg = f"--split-end {args.split_end}: must fall after --fit-start and before {FULL_END}"
        raise SystemExit(msg)
    split = fit_window(hist, args.data, args.fit_start, args.split_end, args)
    oos = out_of_sample(split["spec"], hist, args)
    full = split if args.split_only else fit_window(hist, args.data, args.fit_start, FULL_END, args)
    report = {
        "data": str(args.data),
        "run_date": str(dt.date.today()),
        "fit_to_split": {**split, "spec": _spec_fields(split["spec"])},
        "out_of_sample": oos,
        "full_sample": {**full, "spec": _spec_fields(full["spec"])},
    }
    if args.json:
        sys.stdout.write(json.dumps(report, default=float) + "\n")
    else:
        _print_report(report)
    return 0


def _print_report(r: dict[str, Any]) -> None:
    for key in ("fit_to_split", "full_sample"):
        w = r[key]
        print(
            f"== {key}: window {w['window'][0]} → {w['window'][1]}, {w['origins']} origins,"
            f" {w['seconds']:.0f} s"
        )
        print("   in-sample:", json.dumps(w["in_sample"]))
        fitted = {k: w["spec"][k] for k, _, _ in FITTED}
        noise = {k: w["spec"][k] for k in NOISE_GRID}
        print("   fitted:", json.dumps(fitted))
        print("   shocks:", json.dumps(noise))
        fixed = {k: v for k, v in w["fixed"].items() if k != "releases"}
        print("   fixed:", json.dumps(fixed, default=str))
    o = r["out_of_sample"]
    for label in ("realised_fees", "fees_0.05_btc"):
        s = o[label]
        print(
            f"== out of sample from {o['test_window'][0]}, {o['months']} months ({label}): "
            f"band coverage "
            f"{s['band_coverage_frac']:.3f}, median APE of median path "
            f"{s['median_ape_median_path']:.3f}"
        )
    for m in o["realised_fees"]["months"]:
        print(
            f"   {m['month']}  real {m['real']:7.1f}  p5 {m['p5']:7.1f}  p50 {m['p50']:7.1f}"
            f"  p95 {m['p95']:7.1f}"
        )
    print("== rolling out-of-sample origins:", json.dumps(o["rolling_origins_every_6_months"]))


if __name__ == "__main__":
    raise SystemExit(main())
