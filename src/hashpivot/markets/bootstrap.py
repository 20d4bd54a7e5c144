"""Stationary block bootstrap of joint daily history: price, fees and hashrate together.

Each simulated day takes one historical day's vector (log price return, fees, blocks,
log growth of the smoothed hashrate). Days come in blocks that start at a uniform
random historical day and run for a geometric number of days with mean ``L``, wrapping
around the end of the history (Politis & Romano 1994). Because whole vectors are
resampled, the correlation between the series and their volatility clustering inside a
block survive; because every historical day is equally likely, the bootstrap mean of
any daily quantity equals its historical mean.

Monthly values use the real calendar from ``start_date`` (28 to 31 days a month):

- ``btc_price_usd[i, m]``: start price × exp(sum of the resampled log returns up to the
  end of month ``m``), the end-of-month price as for the parametric models;
- ``fees_btc_per_block[i, m]``: fees ÷ blocks over the resampled days of month ``m``;
- ``hashrate_log_growth[i, m]``: sum over the month of the daily log growth, i.e.
  ``log(H_end / H_start)`` of the month [-].

Implementation: per path the sampler draws ``K`` block lengths and starts (``K`` covers
the horizon with overwhelming probability; the last block is stretched in the rare case
it does not), and evaluates month-end sums from prefix sums of the (doubled) history,
so the cost is ``O(paths × (K + months))`` rather than ``O(paths × days)``.

References
----------
.. [1] D. N. Politis and J. P. Romano (1994), The stationary bootstrap, JASA
   89(428):1303–1313.
.. [2] D. N. Politis and H. White (2004), Automatic block-length selection for the
   dependent bootstrap, Econometric Reviews 23(1):53–70; A. Patton, D. N. Politis and
   H. White (2009), correction, Econometric Reviews 28(4):372–375; implemented by
   ``arch.bootstrap.optimal_block_length``,
   https://bashtage.github.io/arch/doc/bootstrap/generated/arch.bootstrap.optimal_block_length.html
.. [3] Bootstrap joint daily vectors of (return, fees, hashrate growth)
   to keep their correlation and volatility clustering.

"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot.markets._common import check_price, check_shape
from hashpivot.markets._random import FloatArray, SeedLike, driver_stream, fill_by_block
from hashpivot.markets.history import load_daily_history
from hashpivot.markets.spec import BootstrapPriceSpec

IntArray = npt.NDArray[np.int64]

SERIES = ("log_return", "fees_btc", "blocks", "hashrate_log_growth")
"""The daily series resampled together, in the order of :attr:`BootstrapHistory.prefix`."""


@dataclass(frozen=True)
class BootstrapHistory:
    """Daily history prepared for resampling.

    Attributes
    ----------
    dates
        Day of each resampled vector (the day the return ends).
    daily
        The daily series of :data:`SERIES`, shape ``(4, days)``.
    prefix
        Prefix sums of the history repeated twice, shape ``(4, 2·days + 1)``.
    block_length_days
        Mean block length used. [days]
    fees_scale
        Factor applied to historical fees (1 when levels are kept). [-]

    """

    dates: pd.DatetimeIndex
    daily: FloatArray
    prefix: FloatArray
    block_length_days: float
    fees_scale: float

    @property
    def days(self) -> int:
        """Number of daily vectors [days]."""
        return int(self.daily.shape[1])


@dataclass(frozen=True)
class BootstrapPaths:
    """Jointly resampled monthly paths, each ``(paths, months)``; see the module docstring."""

    btc_price_usd: FloatArray
    fees_btc_per_block: FloatArray
    hashrate_log_growth: FloatArray
    block_length_days: float


def prepare_history(spec: BootstrapPriceSpec) -> BootstrapHistory:
    """Load, validate and prepare the history file of ``spec`` (cached per file)."""
    path = Path(spec.history_csv)
    try:
        stat = path.stat()
    except OSError:
        stat = None
    key = (str(path.resolve()), stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0)
    return _prepare(spec, *key)


@lru_cache(maxsize=8)
def _prepare(spec: BootstrapPriceSpec, _path: str, _mtime: int, _size: int) -> BootstrapHistory:
    cols = [spec.price_column, spec.fees_column, spec.blocks_column, spec.hashrate_column]
    frame = load_daily_history(
        spec.history_csv,
        cols,
        date_column=spec.date_column,
        positive=[spec.price_column, spec.blocks_column, spec.hashrate_column],
        start_date=spec.history_start_date,
        end_date=spec.history_end_date,
    )
    price, fees, blocks, hashrate = (frame[c].to_numpy(dtype=np.float64) for c in cols)
    smooth = pd.Series(hashrate).rolling(spec.hashrate_smoothing_days, center=True, min_periods=1)
    growth = np.diff(np.log(smooth.mean().to_numpy()))
    fees_per_block = fees[1:] / blocks[1:]
    scale = 1.0
    if spec.fees_median_btc_per_block is not None:
        median = float(np.median(fees_per_block))
        scale = spec.fees_median_btc_per_block / median if median > 0 else 1.0
    daily = np.vstack([np.diff(np.log(price)), fees[1:] * scale, blocks[1:], growth])
    length = spec.block_length_days
    if length is None:
        length = optimal_block_length_days(daily, fees_per_block)
    doubled = np.concatenate([daily, daily], axis=1)
    prefix = np.concatenate([np.zeros((4, 1)), np.cumsum(doubled, axis=1)], axis=1)
    dates = pd.DatetimeIndex(frame.index[1:])
    return BootstrapHistory(dates, daily, prefix, float(length), scale)


def optimal_block_length_days(daily: FloatArray, fees_per_block: FloatArray) -> float:
    """Largest Politis–White stationary-bootstrap block length of the joint series [days].

    Computed on the log return, the log fees per block and the hashrate log growth
    (ref [2]); the largest keeps the dependence of the most persistent series.
    """
    from arch.bootstrap import optimal_block_length  # optional heavy import

    positive = np.where(fees_per_block > 0, fees_per_block, np.nan)
    log_fees = np.log(positive)
    log_fees = np.where(np.isfinite(log_fees), log_fees, np.nanmedian(log_fees))
    table = np.column_stack([daily[0], log_fees, daily[3]])
    lengths = optimal_block_length(table)["stationary"].to_numpy(dtype=np.float64)
    return float(max(1.0, np.max(lengths)))


def sample_bootstrap(
    spec: BootstrapPriceSpec,
    start_price_usd: float,
    start_date: dt.date,
    months: int,
    paths: int,
    seed: SeedLike,
    path_offset: int = 0,
) -> BootstrapPaths:
    """Joint monthly price, fees per block and hashrate log growth, each ``(paths, months)``.

    Parameters
    ----------
    start_price_usd
        Price on ``start_date``. [USD/BTC]
    start_date
        First day of month 0; months follow the calendar (28–31 days).
    seed, path_offset
        As for :func:`hashpivot.markets.btc_price.sample_btc_price_usd`.

    """
    check_shape(months, paths)
    s0 = check_price(start_price_usd)
    hist = prepare_history(spec)
    if months == 0:
        empty = np.empty((paths, 0))
        return BootstrapPaths(empty, empty.copy(), empty.copy(), hist.block_length_days)
    days = pd.date_range(pd.Timestamp(start_date), periods=months, freq="MS").days_in_month
    month_end = np.cumsum(np.asarray(days, dtype=np.int64))
    total_days = int(month_end[-1])
    prob = 1.0 / hist.block_length_days
    k_blocks = int(total_days * prob + 7.0 * math.sqrt(total_days * prob + 1.0) + 5.0)

    def block(rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray, FloatArray]:
        lengths = rng.geometric(prob, (n, k_blocks)).astype(np.int64)
        starts = rng.integers(0, hist.days, (n, k_blocks), dtype=np.int64)
        ends = _cover(lengths, total_days)
        return _monthly(hist, lengths, starts, ends, month_end, s0)

    tails = [(months,)] * 3
    price, fees, growth = fill_by_block(
        driver_stream(seed, "btc_price"), path_offset, paths, tails, block
    )
    return BootstrapPaths(price, fees, growth, hist.block_length_days)


def _cover(lengths: IntArray, total_days: int) -> IntArray:
    """Block end days; the last block is stretched where the blocks fall short."""
    ends = np.cumsum(lengths, axis=1)
    short = ends[:, -1] < total_days
    if short.any():
        lengths[short, -1] += total_days - ends[short, -1]
        ends = np.cumsum(lengths, axis=1)
    return ends


def _monthly(
    hist: BootstrapHistory,
    lengths: IntArray,
    starts: IntArray,
    ends: IntArray,
    month_end: IntArray,
    s0: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Month-end cumulative sums of the four series, turned into the three outputs."""
    n, k = lengths.shape
    months = month_end.size
    # blocks completed by each month end: count block ends e <= month_end[m]; the month
    # in which a block ends is looked up by day (ends past the horizon go to `months`)
    day_month = np.searchsorted(month_end, np.arange(month_end[-1] + 2), side="left")
    first_month = np.take(day_month, np.minimum(ends, month_end[-1] + 1))
    flat = (np.arange(n)[:, None] * (months + 1) + first_month).ravel()
    counts = np.bincount(flat, minlength=n * (months + 1)).reshape(n, months + 1)
    done = np.cumsum(counts[:, :months], axis=1)
    # gather by flat index (np.take is several times faster than fancy indexing)
    rows = np.arange(n, dtype=np.int64)[:, None]
    at_done = rows * (k + 1) + done
    block_start = np.concatenate([np.zeros((n, 1), dtype=np.int64), ends], axis=1)
    partial = month_end[None, :] - np.take(block_start, at_done)
    current = np.take(starts, rows * k + np.minimum(done, k - 1))
    seg = _segment_sums(hist, starts, lengths)
    before = np.empty((len(SERIES), n, k + 1))
    before[:, :, 0] = 0.0
    np.cumsum(seg, axis=2, out=before[:, :, 1:])
    head = np.take(before.reshape(len(SERIES), -1), at_done, axis=1)
    cums = head + _segment_sums(hist, current, partial)
    log_price, fees, blocks, growth = cums
    price = s0 * np.exp(log_price)
    fees_month = np.diff(fees, axis=1, prepend=0.0)
    blocks_month = np.diff(blocks, axis=1, prepend=0.0)
    growth_month = np.diff(growth, axis=1, prepend=0.0)
    return price, fees_month / blocks_month, growth_month


def _segment_sums(hist: BootstrapHistory, starts: IntArray, lengths: IntArray) -> FloatArray:
    """Sums of ``lengths`` consecutive (circular) days from ``starts``, ``(4, *starts.shape)``."""
    n_days = hist.days
    if lengths.size and int(lengths.max()) >= n_days:
        laps, rest = np.divmod(lengths, n_days)
        full = laps[None] * hist.prefix[:, n_days, None, None]
    else:
        rest, full = lengths, np.zeros((1,) * (lengths.ndim + 1))
    sums = np.take(hist.prefix, starts + rest, axis=1)
    sums -= np.take(hist.prefix, starts, axis=1)
    return np.asarray(sums + full)
