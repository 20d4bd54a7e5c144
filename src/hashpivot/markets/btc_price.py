"""BTC price paths: GBM, Merton jump-diffusion, Markov regime switching, user CSV.

Every sampler returns an array shaped ``(paths, months)`` whose entry ``[i, m]`` is the
price at the **end** of simulated month ``m`` (month 0 ends one step after the start,
where the price is ``start_price_usd``). Parametric models step by a twelfth of a year.
Randomness comes from per-block streams (:mod:`hashpivot.markets._random`), so path
``i`` is the same whatever ``path_offset`` and chunk it is sampled in.

References
----------
.. [1] GBM exact log-Euler step: ``log S_{t+Δ} = log S_t + (μ − σ²/2)Δ + σ√Δ·Z``;
   P. Glasserman (2003), Monte Carlo Methods in Financial Engineering, §3.2.
.. [2] R. C. Merton (1976), J. Financial Economics 3:125–144: jumps ``Σ_{k≤N} Y_k``
   with ``N ~ Poisson(λΔ)``, ``Y ~ N(m, s²)``, drift compensated by
   ``λκ, κ = exp(m + s²/2) − 1`` so that ``E[S_t] = S_0 e^{μt}``; Glasserman §3.5.1.
.. [3] J. D. Hamilton (1989), Econometrica 57(2):357–384: a hidden Markov chain picks
   the state, and with it μ and σ, of each month.

"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from hashpivot.errors import SpecError
from hashpivot.markets import bootstrap
from hashpivot.markets._common import MONTH_YEARS, check_price, check_shape, lookup
from hashpivot.markets._random import FloatArray, SeedLike, driver_stream, fill_by_block
from hashpivot.markets.spec import (
    BootstrapPriceSpec,
    BtcPriceSpec,
    CsvPriceSpec,
    GbmPriceSpec,
    JumpPriceSpec,
    RegimePriceSpec,
)
from hashpivot.specbase import Spec


@dataclass(frozen=True)
class BtcPriceModel:
    """A BTC price model known by name: its spec class and a one-line description."""

    name: str
    spec_class: type[Spec]
    description: str


BTC_PRICE_MODELS: dict[str, BtcPriceModel] = {
    m.name: m
    for m in (
        BtcPriceModel("gbm", GbmPriceSpec, "geometric Brownian motion"),
        BtcPriceModel("jump", JumpPriceSpec, "Merton (1976) jump-diffusion"),
        BtcPriceModel("regime", RegimePriceSpec, "Markov regime-switching GBM (2-3 states)"),
        BtcPriceModel("bootstrap", BootstrapPriceSpec, "stationary block bootstrap of history"),
        BtcPriceModel("csv", CsvPriceSpec, "user-supplied paths from a CSV file"),
    )
}
"""BTC price models by name."""


def btc_price_model(name: str) -> BtcPriceModel:
    """The BTC price model called ``name``; unknown names raise, listing the valid ones."""
    return lookup("BTC price model", name, BTC_PRICE_MODELS)


def sample_btc_price_usd(
    spec: BtcPriceSpec,
    start_price_usd: float,
    start_date: dt.date,
    months: int,
    paths: int,
    seed: SeedLike,
    path_offset: int = 0,
) -> FloatArray:
    """BTC price at the end of each month, ``(paths, months)``, under any price model.

    Parameters
    ----------
    spec
        The model and its parameters (``spec.model`` picks the sampler).
    start_price_usd
        Price on ``start_date``; ignored by ``csv`` (the file gives prices). [USD/BTC]
    start_date
        First day of month 0 (used by ``bootstrap`` and ``csv`` for the calendar).
    months, paths
        Horizon and number of paths. [months], [paths]
    seed
        ``int`` or ``numpy.random.Generator``; see :mod:`hashpivot.markets._random`.
    path_offset
        Index of the first path, for sampling in chunks. [paths]

    """
    check_shape(months, paths)
    if isinstance(spec, GbmPriceSpec):
        return sample_gbm(spec, start_price_usd, months, paths, seed, path_offset)
    if isinstance(spec, JumpPriceSpec):
        return sample_jump(spec, start_price_usd, months, paths, seed, path_offset)
    if isinstance(spec, RegimePriceSpec):
        return sample_regime(spec, start_price_usd, months, paths, seed, path_offset)
    if isinstance(spec, BootstrapPriceSpec):
        boot = bootstrap.sample_bootstrap(
            spec, start_price_usd, start_date, months, paths, seed, path_offset
        )
        return boot.btc_price_usd
    return sample_csv(spec, start_date, months, paths, path_offset)


def sample_gbm(
    spec: GbmPriceSpec,
    start_price_usd: float,
    months: int,
    paths: int,
    seed: SeedLike,
    path_offset: int = 0,
) -> FloatArray:
    """GBM price at the end of each month, ``(paths, months)`` [USD/BTC]. Ref [1].

    ``E[S_m] = S_0·exp(μ(m+1)/12)`` and ``Var[log S_m] = σ²(m+1)/12``.
    """
    s0 = check_price(start_price_usd)
    mu, sigma = spec.drift_frac_per_year, spec.volatility_frac_per_year
    loc = (mu - 0.5 * sigma**2) * MONTH_YEARS
    scale = sigma * math.sqrt(MONTH_YEARS)

    def block(rng: np.random.Generator, n: int) -> tuple[FloatArray]:
        x = rng.standard_normal((n, months))
        return (_price_from_log_increments(s0, x * scale + loc),)

    return fill_by_block(driver_stream(seed, "btc_price"), path_offset, paths, [(months,)], block)[
        0
    ]


def sample_jump(
    spec: JumpPriceSpec,
    start_price_usd: float,
    months: int,
    paths: int,
    seed: SeedLike,
    path_offset: int = 0,
) -> FloatArray:
    """Merton jump-diffusion price at the end of each month [USD/BTC]. Ref [2].

    The sum of ``N`` normal jumps is drawn as ``N·m + sqrt(N)·s·Z``, exact for Gaussian
    jump sizes, so each month costs three draws whatever the number of jumps.
    """
    s0 = check_price(start_price_usd)
    sigma, lam = spec.volatility_frac_per_year, spec.jump_intensity_per_year
    m_j, s_j = spec.jump_mean_log, spec.jump_std_log
    kappa = math.exp(m_j + 0.5 * s_j**2) - 1.0
    loc = (spec.drift_frac_per_year - 0.5 * sigma**2 - lam * kappa) * MONTH_YEARS
    scale = sigma * math.sqrt(MONTH_YEARS)

    def block(rng: np.random.Generator, n: int) -> tuple[FloatArray]:
        z = rng.standard_normal((n, months))
        count = rng.poisson(lam * MONTH_YEARS, (n, months)).astype(np.float64)
        z_jump = rng.standard_normal((n, months))
        x = z * scale + loc + count * m_j + np.sqrt(count) * s_j * z_jump
        return (_price_from_log_increments(s0, x),)

    return fill_by_block(driver_stream(seed, "btc_price"), path_offset, paths, [(months,)], block)[
        0
    ]


def stationary_distribution(transition: FloatArray) -> FloatArray:
    """Stationary distribution π of a Markov chain, ``π P = π``, ``Σπ = 1`` [-].

    Solved as the least-squares solution of ``(Pᵀ − I)π = 0`` with ``Σπ = 1`` appended.
    """
    p = np.asarray(transition, dtype=np.float64)
    k = p.shape[0]
    a = np.vstack([p.T - np.eye(k), np.ones(k)])
    b = np.concatenate([np.zeros(k), [1.0]])
    pi = np.linalg.lstsq(a, b, rcond=None)[0]
    pi = np.clip(pi, 0.0, None)
    return np.asarray(pi / pi.sum())


def sample_regime_states(
    spec: RegimePriceSpec, months: int, paths: int, seed: SeedLike, path_offset: int = 0
) -> FloatArray:
    """The regime of each month, ``(paths, months)``, as float state numbers. Ref [3].

    Uses the same random numbers as :func:`sample_regime`, so the states returned are
    the ones behind its prices for the same seed.
    """
    check_shape(months, paths)
    return _regime(spec, 1.0, months, paths, seed, path_offset)[1]


def sample_regime(
    spec: RegimePriceSpec,
    start_price_usd: float,
    months: int,
    paths: int,
    seed: SeedLike,
    path_offset: int = 0,
) -> FloatArray:
    """Regime-switching GBM price at the end of each month [USD/BTC]. Ref [3].

    Month 0's state is ``initial_state`` or a draw from the stationary distribution;
    month ``m`` moves from month ``m − 1``'s state by one row of the monthly matrix.
    """
    return _regime(spec, check_price(start_price_usd), months, paths, seed, path_offset)[0]


def _regime(
    spec: RegimePriceSpec,
    s0: float,
    months: int,
    paths: int,
    seed: SeedLike,
    path_offset: int,
) -> list[FloatArray]:
    trans = np.asarray(spec.transition_matrix_per_month, dtype=np.float64)
    k = trans.shape[0]
    cum = np.cumsum(trans, axis=1)[:, :-1]
    if spec.initial_state is None:
        first = np.cumsum(stationary_distribution(trans))[:-1]
    else:
        first = np.cumsum(np.eye(k)[spec.initial_state])[:-1]
    mu = np.array([s.drift_frac_per_year for s in spec.states])
    sigma = np.array([s.volatility_frac_per_year for s in spec.states])
    loc = (mu - 0.5 * sigma**2) * MONTH_YEARS
    scale = sigma * math.sqrt(MONTH_YEARS)

    def block(rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray]:
        u = rng.random((n, months))
        z = rng.standard_normal((n, months))
        state = np.empty((n, months), dtype=np.intp)
        if months:
            state[:, 0] = (u[:, 0, None] >= first[None, :]).sum(axis=1)
        for m in range(1, months):
            state[:, m] = (u[:, m, None] >= cum[state[:, m - 1]]).sum(axis=1)
        x = z * scale[state] + loc[state]
        return _price_from_log_increments(s0, x), state.astype(np.float64)

    root = driver_stream(seed, "btc_price")
    return fill_by_block(root, path_offset, paths, [(months,), (months,)], block)


def sample_csv(
    spec: CsvPriceSpec, start_date: dt.date, months: int, paths: int, path_offset: int = 0
) -> FloatArray:
    """User-supplied price paths for the simulated months, ``(paths, months)`` [USD/BTC].

    A one-path file is repeated for every path; otherwise the file must hold at least
    ``path_offset + paths`` paths (they are taken in the order of their ids).
    """
    check_shape(months, paths)
    table = _read_price_paths(spec, start_date, months)
    if table.shape[0] == 1:
        return np.repeat(table, paths, axis=0)
    if path_offset + paths > table.shape[0]:
        msg = (
            f"{spec.paths_csv} holds {table.shape[0]} paths; paths {path_offset} to "
            f"{path_offset + paths - 1} were asked for (use a one-path file to repeat it)"
        )
        raise SpecError([msg], str(spec.paths_csv))
    return table[path_offset : path_offset + paths].copy()


def _read_price_paths(spec: CsvPriceSpec, start_date: dt.date, months: int) -> FloatArray:
    path = Path(spec.paths_csv)
    try:
        stat = path.stat()
    except OSError:
        raise SpecError([f"file not found: {path}"], str(path)) from None
    cols = (spec.date_column, spec.price_column, spec.path_column)
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, cols)
    frame = _load_price_paths(*key)
    wanted = pd.period_range(pd.Timestamp(start_date), periods=months, freq="M")
    have = set(frame.columns)
    missing = [p for p in wanted if p not in have]
    if missing:
        shown = ", ".join(str(p) for p in missing[:5])
        msg = f"no price for {len(missing)} simulated month(s), first: {shown}"
        raise SpecError([msg], str(path))
    return np.asarray(frame.loc[:, wanted].to_numpy(dtype=np.float64))


@lru_cache(maxsize=8)
def _load_price_paths(
    path: str, _mtime: int, _size: int, cols: tuple[str, str, str]
) -> pd.DataFrame:
    """Wide frame (path id × month period) of end-of-month prices; cached per file."""
    date_col, price_col, path_col = cols
    try:
        raw = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise SpecError([f"cannot read price paths: {exc}"], path) from None
    problems = [f"missing column {c!r}" for c in (date_col, price_col) if c not in raw.columns]
    if problems:
        raise SpecError([*problems, f"columns found: {', '.join(map(str, raw.columns))}"], path)
    ids = raw[path_col] if path_col in raw.columns else pd.Series(0, index=raw.index)
    dates = pd.to_datetime(raw[date_col], errors="coerce")
    prices = pd.to_numeric(raw[price_col], errors="coerce")
    problems = _path_problems(dates, prices, ids, price_col, date_col)
    if problems:
        raise SpecError(problems, path)
    long = pd.DataFrame({"path": ids.to_numpy(), "month": dates.dt.to_period("M"), "p": prices})
    long = long.assign(date=dates).sort_values(["path", "date"])
    return long.groupby(["path", "month"])["p"].last().unstack("month")


def _path_problems(
    dates: pd.Series, prices: pd.Series, ids: pd.Series, price_col: str, date_col: str
) -> list[str]:
    problems = []
    if dates.isna().any():
        problems.append(f"{date_col}: {int(dates.isna().sum())} value(s) are not dates")
    bad = prices.isna() | ~np.isfinite(prices) | (prices <= 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        problems.append(
            f"{price_col}: {int(bad.sum())} value(s) missing, NaN or <= 0 (first at data row "
            f"{row + 1}); prices must be finite and > 0"
        )
    dup = pd.DataFrame({"i": ids, "d": dates}).duplicated()
    if dup.any():
        problems.append(f"{int(dup.sum())} duplicated (path, date) row(s)")
    return problems


def _price_from_log_increments(s0: float, x: FloatArray) -> FloatArray:
    """``s0 · exp(cumsum(x))`` along months, in place on ``x`` [USD/BTC]."""
    np.cumsum(x, axis=1, out=x)
    np.exp(x, out=x)
    x *= s0
    return x
