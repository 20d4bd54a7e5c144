"""Scoring network forecasts on rolling origins: CRPS, bands, errors, and two naive baselines.

A forecast made on the first day of month ``o`` for the mean hashrate of months
``o, o+1, …, o+h−1`` (horizon ``h`` = 1, 2, …) is scored month by month against the
realised monthly mean, on log hashrate (the network grew twentyfold over 2019-2024, so
scores in EH/s would be dominated by the last years):

- absolute % error of the median, ``|p50/real − 1|``;
- whether the realised value falls inside the central 50 % (p25-p75) and 90 % (p5-p95)
  bands, and the 90 % band's width relative to its median, ``(p95 − p5)/p50``;
- the continuous ranked probability score of the log forecast (CRPS, Ref [1]): for an
  ensemble by :func:`crps_ensemble`, for a normal by :func:`crps_normal` (Ref [2]).

The baselines (:func:`baseline_log_forecast`) see only the 12 monthly means before the
origin: ``flat`` (the last month's level, a random walk, Ref [4] §5.2) and ``trend`` (the
log-linear least-squares trend of those 12 months extrapolated, with the regression's
prediction interval, Ref [4] §7.6). Rolling origins, each forecast using only what was
known at its origin, are the standard out-of-sample test (Ref [3]).

References
----------
.. [1] T. Gneiting and A. E. Raftery (2007), Strictly proper scoring rules, prediction,
   and estimation, J. Am. Stat. Assoc. 102(477):359-378, eqs. (20)-(21):
   ``CRPS(F, y) = E|X − y| − ½·E|X − X'|``. https://doi.org/10.1198/016214506000001437
.. [2] T. Gneiting, A. E. Raftery, A. H. Westveld and T. Goldman (2005), Calibrated
   probabilistic forecasting using ensemble model output statistics, Mon. Weather Rev.
   133(5):1098-1118, eq. (5): CRPS of N(μ, σ²) at y is
   ``σ·[z·(2Φ(z) − 1) + 2φ(z) − 1/√π]``, ``z = (y − μ)/σ``.
   https://doi.org/10.1175/MWR2904.1
.. [3] L. J. Tashman (2000), Out-of-sample tests of forecasting accuracy: an analysis and
   review, Int. J. Forecasting 16(4):437-450 (rolling origins).
.. [4] R. J. Hyndman and G. Athanasopoulos (2021), *Forecasting: Principles and Practice*,
   3rd ed., §5.2 (naive method), §5.5 (its prediction interval ``σ̂·√h``), §7.6
   (prediction intervals of a linear regression). https://otexts.com/fpp3/

"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from hashpivot.errors import SpecError
from hashpivot.network.history import History
from hashpivot.network.models import simulate_network
from hashpivot.network.spec import NetworkModelSpec

__all__ = [
    "BAND_QUANTILES",
    "BASELINES",
    "TRAILING_MONTHS",
    "baseline_log_forecast",
    "baseline_rows",
    "crps_ensemble",
    "crps_normal",
    "ensemble_scores",
    "model_rows",
    "normal_scores",
    "origins_every",
    "pick_calibrated",
    "rolling_origin_rows",
    "summarise_scores",
]

FloatArray = npt.NDArray[np.float64]

BASELINES = ("flat", "trend")
"""Names of the naive baselines of :func:`baseline_log_forecast`."""
TRAILING_MONTHS = 12
"""Months of history the baselines see before the origin [months]."""
BAND_QUANTILES = {"p5": 0.05, "p25": 0.25, "p50": 0.50, "p75": 0.75, "p95": 0.95}
"""Quantiles that define the median and the central 50 % and 90 % bands [-]."""
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)


def crps_normal(
    mean: FloatArray | float, sd: FloatArray | float, observed: FloatArray | float
) -> FloatArray:
    """CRPS of a normal forecast ``N(mean, sd²)`` at ``observed`` (Ref [2]) [unit of y].

    ``sd`` must be > 0; the arrays broadcast together.
    """
    mu, s, y = np.broadcast_arrays(
        np.asarray(mean, dtype=np.float64),
        np.asarray(sd, dtype=np.float64),
        np.asarray(observed, dtype=np.float64),
    )
    if not (s > 0).all():
        raise SpecError([f"sd: min {float(np.min(s))} (must be > 0)"])
    z = (y - mu) / s
    bracket = z * (2.0 * stats.norm.cdf(z) - 1.0) + 2.0 * stats.norm.pdf(z) - _INV_SQRT_PI
    return np.asarray(s * bracket)


def crps_ensemble(samples: FloatArray, observed: FloatArray | float) -> FloatArray:
    """CRPS of the empirical distribution of ``samples`` (axis 0) at ``observed`` (Ref [1]).

    ``E|X − y| − ½·E|X − X'|`` over the ``m`` members, the second term from the sorted
    members: ``½·Σ_i Σ_j |x_i − x_j|/m² = Σ_i (2i − m − 1)·x_(i)/m²`` (``i`` = 1…m), so the
    cost is a sort, not ``m²``. ``observed`` broadcasts to ``samples.shape[1:]``.
    """
    x = np.sort(np.asarray(samples, dtype=np.float64), axis=0)
    m = x.shape[0]
    if m == 0 or not np.isfinite(x).all():
        raise SpecError([f"samples: {m} members (need at least one, all finite)"])
    y = np.broadcast_to(np.asarray(observed, dtype=np.float64), x.shape[1:])
    spread_weight = (2.0 * np.arange(1, m + 1) - m - 1.0).reshape((m,) + (1,) * (x.ndim - 1))
    spread = (spread_weight * x).sum(axis=0) / (m * m)
    return np.asarray(np.abs(x - y).mean(axis=0) - spread)


def baseline_log_forecast(
    name: str, log_history: FloatArray, horizons: npt.NDArray[np.int64]
) -> tuple[FloatArray, FloatArray]:
    """Mean and sd of log hashrate ``h`` months on, from the months before the origin.

    ``log_history`` holds the last :data:`TRAILING_MONTHS` monthly mean log hashrates
    before the origin (oldest first); horizon 1 is the origin's month.

    - ``flat``: mean the last month's level; sd ``σ̂·√h``, ``σ̂`` the root mean square of
      the monthly log changes (a random walk, Ref [4] §5.5).
    - ``trend``: least squares ``a + b·t`` over the months, extrapolated to
      ``t = n − 1 + h``; sd ``s·√(1 + 1/n + (t − t̄)²/Σ(t_i − t̄)²)``, ``s²`` the residual
      variance on ``n − 2`` degrees of freedom (Ref [4] §7.6).
    """
    y = np.asarray(log_history, dtype=np.float64)
    n = y.size
    if n < 3 or not np.isfinite(y).all():
        raise SpecError([f"log_history: {n} months (need >= 3, all finite)"])
    h = np.asarray(horizons, dtype=np.float64)
    if name == "flat":
        sigma = math.sqrt(float(np.mean(np.diff(y) ** 2)))
        return np.full(h.shape, y[-1]), sigma * np.sqrt(h)
    if name == "trend":
        t = np.arange(n, dtype=np.float64)
        slope, intercept = np.polyfit(t, y, 1)
        resid = y - (intercept + slope * t)
        s = math.sqrt(float(resid @ resid) / (n - 2))
        t_new = n - 1.0 + h
        sxx = float(((t - t.mean()) ** 2).sum())
        sd = s * np.sqrt(1.0 + 1.0 / n + (t_new - t.mean()) ** 2 / sxx)
        return intercept + slope * t_new, sd
    raise SpecError([f"baseline: {name!r} (must be one of {', '.join(BASELINES)})"])


def normal_scores(mean_log: FloatArray, sd_log: FloatArray, real: FloatArray) -> pd.DataFrame:
    """Quantiles [unit of ``real``] and log CRPS of normal log forecasts, one row per month."""
    z = {k: stats.norm.ppf(q) for k, q in BAND_QUANTILES.items()}
    out = pd.DataFrame({k: np.exp(mean_log + zk * sd_log) for k, zk in z.items()})
    out["real"] = real
    out["crps_log"] = crps_normal(mean_log, sd_log, np.log(real))
    return out


def ensemble_scores(samples: FloatArray, real: FloatArray) -> pd.DataFrame:
    """Quantiles [unit of ``real``] and log CRPS of an ensemble ``(paths, months)``."""
    qs = np.quantile(samples, list(BAND_QUANTILES.values()), axis=0)
    out = pd.DataFrame(dict(zip(BAND_QUANTILES, qs, strict=True)))
    out["real"] = real
    out["crps_log"] = crps_ensemble(np.log(samples), np.log(real))
    return out


def summarise_scores(rows: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Scores of month rows (columns of :func:`ensemble_scores`) grouped by ``by``.

    Columns: ``months``; ``median_ape``, ``p90_ape`` (median and 90th percentile of the
    median's absolute % error) [-]; ``coverage_50``, ``coverage_90`` (share of months
    inside the 50 % and 90 % bands) [-]; ``median_width_90`` (median of
    ``(p95 − p5)/p50``) [-]; ``crps_log`` (mean CRPS of log hashrate) [-].
    """
    r = rows.assign(
        ape=(rows["p50"] / rows["real"] - 1.0).abs(),
        in50=(rows["real"] >= rows["p25"]) & (rows["real"] <= rows["p75"]),
        in90=(rows["real"] >= rows["p5"]) & (rows["real"] <= rows["p95"]),
        width90=(rows["p95"] - rows["p5"]) / rows["p50"],
    )
    g = r.groupby(by, sort=True)
    return pd.DataFrame(
        {
            "months": g.size(),
            "median_ape": g["ape"].median(),
            "p90_ape": g["ape"].quantile(0.9),
            "coverage_50": g["in50"].mean(),
            "coverage_90": g["in90"].mean(),
            "median_width_90": g["width90"].median(),
            "crps_log": g["crps_log"].mean(),
        }
    )


def pick_calibrated(
    scores: pd.DataFrame, coverage_90_range: tuple[float, float] = (0.85, 0.95)
) -> pd.Series:
    """The candidate (row of ``scores``) with calibrated bands and the least CRPS.

    ``scores`` has a row per candidate with the columns ``coverage_90`` and ``crps_log``
    of :func:`summarise_scores`. Among the rows whose 90 % band covers
    ``coverage_90_range`` (both ends included) of the months, the one with the least
    mean log CRPS: a proper score, which at equal calibration prefers the sharper
    band (Ref [1]: sharpness subject to calibration). If none does, the
    row whose coverage is closest to 0.90. Ties go to the first row.
    """
    lo, hi = coverage_90_range
    cov = scores["coverage_90"].to_numpy(dtype=np.float64)
    crps = scores["crps_log"].to_numpy(dtype=np.float64)
    inside = np.flatnonzero((cov >= lo) & (cov <= hi))
    best = inside[np.argmin(crps[inside])] if inside.size else np.argmin(np.abs(cov - 0.9))
    return scores.iloc[int(best)]


def model_rows(
    spec: NetworkModelSpec,
    hist: History,
    origin: dt.date,
    months: int,
    paths: int,
    seed: int,
    fees_btc_per_block: float | None = None,
) -> pd.DataFrame:
    """Month rows of a network model's forecast from ``origin`` on the realised prices and fees.

    The model starts from the state on the origin's first day (that day's hashrate and
    difficulty, the estimated height) and is given the realised monthly BTC price and
    fees per block of the months it forecasts (or ``fees_btc_per_block`` [BTC/block] in
    every month); ``paths`` paths with ``seed``.
    """
    w = hist.window(origin, months)
    first = w.iloc[0]
    fees = w["fees_btc_per_block"].to_numpy() if fees_btc_per_block is None else fees_btc_per_block
    net = simulate_network(
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
    out = ensemble_scores(net.network_hashrate_eh_s, w["hashrate_eh_s"].to_numpy())
    return out.assign(origin=origin, horizon=np.arange(1, months + 1))


def baseline_rows(name: str, hist: History, origin: dt.date, months: int) -> pd.DataFrame:
    """Month rows of a baseline's forecast from ``origin`` (:func:`baseline_log_forecast`)."""
    before = hist.monthly.loc[: pd.Timestamp(origin) - pd.Timedelta(days=1), "hashrate_eh_s"]
    if len(before) < TRAILING_MONTHS:
        msg = f"origin: {origin} (needs {TRAILING_MONTHS} months of history before it)"
        raise SpecError([msg])
    horizons = np.arange(1, months + 1)
    mean, sd = baseline_log_forecast(name, np.log(before.to_numpy()[-TRAILING_MONTHS:]), horizons)
    real = hist.window(origin, months)["hashrate_eh_s"].to_numpy()
    return normal_scores(mean, sd, real).assign(origin=origin, horizon=horizons)


def origins_every(first: dt.date, last: dt.date, step_months: int) -> list[dt.date]:
    """Forecast origins from ``first`` to ``last`` (firsts of month) every ``step_months``."""
    idx = pd.date_range(pd.Timestamp(first), pd.Timestamp(last), freq=f"{step_months}MS")
    return [d.date() for d in idx]


def rolling_origin_rows(
    hist: History,
    origins: list[dt.date],
    horizon_months: int,
    models: Mapping[str, Callable[[dt.date], NetworkModelSpec]],
    paths: int,
    baselines: tuple[str, ...] = BASELINES,
) -> pd.DataFrame:
    """Month rows (column ``model``) of every model and baseline at every origin.

    ``models`` maps a label to the spec to use at an origin (fitted only on data before
    it, for an out-of-sample test). Forecasts run ``horizon_months`` months or to the
    history's last month; origin ``i`` draws with seed ``i``.
    """
    frames = []
    last = hist.last_month
    for i, origin in enumerate(origins):
        months = min(horizon_months, (last.year - origin.year) * 12 + last.month - origin.month + 1)
        for label, spec_at in models.items():
            rows = model_rows(spec_at(origin), hist, origin, months, paths, i)
            frames.append(rows.assign(model=label))
        for name in baselines:
            frames.append(baseline_rows(name, hist, origin, months).assign(model=name))
    return pd.concat(frames, ignore_index=True)
