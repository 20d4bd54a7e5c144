"""Block production and difficulty retargets month by month, vectorised over paths.

Inside a month the network hashrate moves log-linearly from its level at the start of
the month, ``H0``, to its level at the end, ``H1``: ``H(τ) = H0·exp(g·τ)`` with
``g = ln(H1/H0)/T`` for a month of ``T`` days. Blocks then arrive at
``86400·H(τ)/(D·2^32)`` per day (Ref [1]), so the blocks found in ``x`` days and the
time to the next 2016-block boundary have closed forms:

``B(x) = r0·(e^{g·x} − 1)/g``, ``x_b = ln(1 + g·b/r0)/g``,

with ``r0`` the block rate at the start of the interval and ``b`` the blocks left in the
epoch. Each month is cut at its (usually 2, at most a handful of) retarget boundaries,
where the difficulty retargets on the epoch's elapsed time with the 4x clamp (Ref [2]).
The loop runs over months and over the boundaries inside a month, never over paths or
days: every step is a NumPy operation on all paths at once. This is the monthly
approximation of :func:`hashpivot.bitcoin.simulate_chain_daily`; it is exact for a
hashrate that is log-linear inside each month (the daily simulation holds the hashrate
constant within each day instead), and ``tests/test_network_models.py`` shows the two stay
within 1 % of each other (blocks per month, difficulty, halving date) over a range of
growth paths.

References
----------
.. [1] Expected blocks per day = 86400·H/(D·2^32) (derived), from the
   Bitcoin wiki, "Difficulty", https://en.bitcoin.it/wiki/Difficulty
.. [2] Bitcoin Core, ``CalculateNextWorkRequired`` (src/pow.cpp): retarget every 2016
   blocks to a 600 s spacing, clamped to [1/4, 4] of the target timespan.
   https://github.com/bitcoin/bitcoin/blob/master/src/pow.cpp
.. [3] Halving heights and dates: 210 000 on 2012-11-28, 420 000 on 2016-07-09,
   630 000 on 2020-05-11, 840 000 on 2024-04-20 (UTC).
   https://en.bitcoin.it/wiki/Controlled_supply ;
   https://fxstreet.com/cryptocurrencies/news/breaking-bitcoin-halving-concludes-successfully-as-btc-miner-rewards-reduce-to-3125-202404200012

"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot import bitcoin
from hashpivot.network import kernels as network_kernels

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

BLOCKS_PER_DAY_PER_H_S_OVER_D = bitcoin.SECONDS_PER_DAY / bitcoin.HASHES_PER_DIFFICULTY
"""Blocks per day found by 1 H/s at difficulty 1: 86400/2^32 [blocks/day]. Ref [1]."""
_MIN_ABS_GROWTH_PER_DAY = 1e-12
"""Smallest |g| used in the closed forms (g -> 0 limits are then exact to ~1e-11) [1/day]."""
_ALL = slice(None)
"""Index of every path."""
_TARGET_S = bitcoin.RETARGET_INTERVAL_BLOCKS * bitcoin.TARGET_BLOCK_TIME_S
"""Target timespan of an epoch: 2016 × 600 s [s]. Ref [2]."""
_CLAMP_LO, _CLAMP_HI = 1.0 / bitcoin.MAX_RETARGET_FACTOR, bitcoin.MAX_RETARGET_FACTOR
"""Clamp of actual/target epoch time at a retarget: [1/4, 4] [-]. Ref [2]."""
_SUBSET_FRAC = 0.3
"""Below this share of paths still crossing, passes switch to index subsets [-]."""
MAX_RETARGETS_PER_MONTH = 64
"""Safety bound on boundaries handled in one month (a 4x surge gives about 9) [-]."""

HALVING_ANCHORS: tuple[tuple[dt.date, int], ...] = (
    (dt.date(2009, 1, 3), 0),
    (dt.date(2012, 11, 28), 210_000),
    (dt.date(2016, 7, 9), 420_000),
    (dt.date(2020, 5, 11), 630_000),
    (dt.date(2024, 4, 20), 840_000),
)
"""Dates (UTC) of the genesis block and of halvings 1-4 with their heights. Ref [3]."""


@dataclass(frozen=True)
class Calendar:
    """Calendar months of a projection and the days inside them."""

    month_start: pd.DatetimeIndex
    days_in_month: npt.NDArray[np.int64]
    day_month: npt.NDArray[np.int64]

    @property
    def n_days(self) -> int:
        """Total days covered [days]."""
        return int(self.days_in_month.sum())

    @property
    def n_months(self) -> int:
        """Months covered [months]."""
        return len(self.month_start)

    @property
    def month_start_day(self) -> FloatArray:
        """Days from the first month's start to each month's start [days]."""
        days = self.days_in_month.astype(np.float64)
        return np.concatenate([[0.0], np.cumsum(days)[:-1]])


@functools.lru_cache(maxsize=64)
def calendar(start_date: dt.date, months: int) -> Calendar:
    """Months from ``start_date`` (a first of month) and the month index of each day.

    Cached (every chunk of a Monte Carlo asks for the same one); its arrays are read-only.
    """
    month_start = pd.date_range(pd.Timestamp(start_date), periods=months, freq="MS")
    days = np.asarray(month_start.days_in_month, dtype=np.int64)
    day_month = np.repeat(np.arange(months), days)
    days.flags.writeable = False
    day_month.flags.writeable = False
    return Calendar(month_start, days, day_month)


@dataclass(frozen=True)
class NetworkPath:
    """Network state by month (arrays shaped ``(..., months)``).

    Attributes
    ----------
    network_hashrate_eh_s
        Monthly mean network hashrate. [EH/s]
    difficulty
        Difficulty at the end of each month. [-]
    height_end
        Block height at the end of each month. [blocks]
    blocks
        Blocks found in the month. [blocks]
    issued_btc
        Subsidy issued in the month. [BTC]
    fees_btc
        Fees paid in the month. [BTC]
    hashprice_btc_per_ph_day
        Mean over the month of BTC earned per PH/s per day. [BTC/PH/day]
    daily_height_end
        Height at the end of each day, ``(..., days)``, from the exact daily chain;
        ``None`` for the monthly models. [blocks]
    halving_heights
        Heights of the halvings that may fall inside the horizon, ``(halvings,)``. [blocks]
    halving_day
        Days from the start date to each of ``halving_heights``, ``(..., halvings)``;
        NaN where the path ends first. [days]

    """

    calendar: Calendar
    network_hashrate_eh_s: FloatArray
    difficulty: FloatArray
    height_end: FloatArray
    blocks: FloatArray
    issued_btc: FloatArray
    fees_btc: FloatArray
    hashprice_btc_per_ph_day: FloatArray
    daily_height_end: FloatArray | None = None
    halving_heights: IntArray | None = None
    halving_day: FloatArray | None = None

    def hashprice_usd_per_ph_day(self, price_usd: FloatArray) -> FloatArray:
        """Hashprice in USD given the BTC price by month, broadcast like the paths [USD/PH/day]."""
        return np.asarray(self.hashprice_btc_per_ph_day * np.asarray(price_usd, dtype=np.float64))

    def halving_dates(self, start_date: dt.date) -> list[list[dt.date | None]]:
        """Halving dates per path, ``None`` where a halving falls after the horizon."""
        if self.halving_day is None or self.halving_heights is None:
            msg = "halving_dates: this path carries no halving days"
            raise ValueError(msg)
        days = np.atleast_2d(self.halving_day)
        return [
            [None if np.isnan(d) else start_date + dt.timedelta(days=float(d)) for d in row]
            for row in days
        ]


def epoch_elapsed_days_default(height: float | FloatArray) -> FloatArray:
    """Days since the current epoch began, assuming its blocks came at 600 s [days]."""
    into = np.mod(np.asarray(height, dtype=np.float64), bitcoin.RETARGET_INTERVAL_BLOCKS)
    return np.asarray(into * bitcoin.TARGET_BLOCK_TIME_S / bitcoin.SECONDS_PER_DAY)


@dataclass(frozen=True)
class ChainMonth:
    """What one month of the chain produced, per path.

    Attributes
    ----------
    blocks
        Blocks found. [blocks]
    issued_btc
        Subsidy issued, exact across a halving. [BTC]
    hashprice_btc_per_ph_day
        Time mean of 8.64e19/(D·2^32)·(subsidy + fees) over the month. [BTC/PH/day]
    mean_hashrate_h_s
        Time mean of the (log-linear) hashrate. [H/s]

    """

    blocks: FloatArray
    issued_btc: FloatArray
    hashprice_btc_per_ph_day: FloatArray
    mean_hashrate_h_s: FloatArray


class MonthlyChain:
    """Chain state per path (height, difficulty, epoch clock), advanced one month at a time.

    Parameters
    ----------
    start_height
        Height at the start, broadcastable to the paths. [blocks]
    start_difficulty
        Difficulty at the start. [-]
    paths
        Paths simulated. [paths]
    epoch_elapsed_days
        Days since the current epoch began; default from the blocks into the epoch
        at 600 s each (as :func:`hashpivot.bitcoin.simulate_chain_daily`). [days]
    halving_heights
        Halvings whose time to record in :attr:`halving_day` (default: none). [blocks]

    Notes
    -----
    A month is cut at its retarget boundaries in passes. Only the paths that crossed a
    boundary in one pass can cross another in the next, so after the first pass the
    work runs on that subset (usually a few % of paths by the third pass); the piece
    after the last boundary is done once for all paths.

    """

    def __init__(
        self,
        start_height: float | FloatArray,
        start_difficulty: float | FloatArray,
        paths: int,
        epoch_elapsed_days: float | FloatArray | None = None,
        halving_heights: IntArray | None = None,
    ) -> None:
        shape = (paths,)
        self.height = np.broadcast_to(np.asarray(start_height, dtype=np.float64), shape).copy()
        difficulty = np.broadcast_to(np.asarray(start_difficulty, dtype=np.float64), shape)
        if epoch_elapsed_days is None:
            epoch_elapsed_days = epoch_elapsed_days_default(self.height)
        self.elapsed_days = np.broadcast_to(
            np.asarray(epoch_elapsed_days, dtype=np.float64), shape
        ).copy()
        self.epoch_blocks = np.mod(self.height, bitcoin.RETARGET_INTERVAL_BLOCKS)
        self.halving_heights = (
            np.zeros(0, dtype=np.int64) if halving_heights is None else halving_heights
        )
        self.halving_day = np.full((paths, len(self.halving_heights)), np.nan)
        self.clock_days = 0.0
        self._kd = BLOCKS_PER_DAY_PER_H_S_OVER_D / difficulty
        self._subsidy = bitcoin.subsidy_btc(self.height)
        self._next_halving = bitcoin.next_halving_height(self.height).astype(np.float64)
        self._acc = np.zeros((4, paths))

    @property
    def difficulty(self) -> FloatArray:
        """Difficulty now, per path [-]."""
        return np.asarray(BLOCKS_PER_DAY_PER_H_S_OVER_D / self._kd)

    def state(self) -> FloatArray:
        """The chain's state per path, ``(6, paths)``, as the compiled kernels carry it.

        Rows: height, 86400/(D·2^32), days and blocks into the epoch, subsidy and next
        halving height (:mod:`hashpivot.network.kernels` indexes them in this order).
        """
        return np.stack(
            [
                self.height,
                self._kd,
                self.elapsed_days,
                self.epoch_blocks,
                self._subsidy,
                self._next_halving,
            ]
        )

    @property
    def subsidy_btc(self) -> FloatArray:
        """Block subsidy at the current height, per path [BTC]."""
        return self._subsidy

    def step(
        self,
        hashrate_start_h_s: FloatArray,
        hashrate_end_h_s: FloatArray,
        days: float,
        fees_btc_per_block: FloatArray | float = 0.0,
    ) -> ChainMonth:
        """Advance one month of ``days`` days with the hashrate log-linear from start to end."""
        h0 = np.asarray(hashrate_start_h_s, dtype=np.float64)
        h1 = np.asarray(hashrate_end_h_s, dtype=np.float64)
        log_ratio = np.log(h1 / h0)
        g = log_ratio * (1.0 / days)
        g[np.abs(g) < _MIN_ABS_GROWTH_PER_DAY] = _MIN_ABS_GROWTH_PER_DAY
        self._acc.fill(0.0)
        tau = np.zeros_like(h0)
        rate = h0 * self._kd
        active: IntArray | None = None
        for _ in range(MAX_RETARGETS_PER_MONTH):
            if active is None:
                active, done = self._full_pass(g, rate, tau, days)
            else:
                active, done = self._subset_pass(active, g, rate, tau, days)
            if done:
                break
        x = days - tau
        self._advance(_ALL, x, _last_piece_blocks(rate, self._kd * h1, g, x), rate, g, tau)
        self.clock_days += days
        inv_d, sub_d, issued, blocks = self._acc
        self.height += blocks
        return ChainMonth(
            blocks=blocks.copy(),
            issued_btc=issued.copy(),
            hashprice_btc_per_ph_day=(sub_d + np.asarray(fees_btc_per_block) * inv_d)
            * (1e15 / days),
            mean_hashrate_h_s=log_mean(h0, h1, log_ratio),
        )

    def _full_pass(
        self, g: FloatArray, rate: FloatArray, tau: FloatArray, days: float
    ) -> tuple[IntArray | None, bool]:
        """A boundary pass over all paths, masked; ``rate`` and ``tau`` change in place.

        Returns the paths to look at next (``None``: all of them, while most still cross)
        and whether no path crossed.
        """
        to_boundary = bitcoin.RETARGET_INTERVAL_BLOCKS - self.epoch_blocks
        y = g * to_boundary / rate
        x_b = np.log1p(np.maximum(y, -1.0 + 1e-15)) / g
        cross = x_b <= days - tau
        n = int(np.count_nonzero(cross))
        if n == 0:
            return None, True
        partial = n < cross.size
        if partial:  # masks by multiplication: np.where is slow on random masks
            on = cross.astype(np.float64)
            x_b, to_boundary, y = x_b * on, to_boundary * on, y * on
        self._advance(_ALL, x_b, to_boundary, rate, g, tau)
        tau += x_b
        ratio = np.clip(
            self.elapsed_days * (bitcoin.SECONDS_PER_DAY / _TARGET_S), _CLAMP_LO, _CLAMP_HI
        )
        if partial:
            ratio = 1.0 + on * (ratio - 1.0)
            self.elapsed_days *= 1.0 - on
            self.epoch_blocks *= 1.0 - on
        else:
            self.elapsed_days.fill(0.0)
            self.epoch_blocks.fill(0.0)
        self._kd *= ratio
        rate *= (1.0 + y) * ratio
        nxt = None if n > _SUBSET_FRAC * cross.size else np.flatnonzero(cross)
        return nxt, False

    def _subset_pass(
        self, idx: IntArray, g: FloatArray, rate: FloatArray, tau: FloatArray, days: float
    ) -> tuple[IntArray, bool]:
        """A boundary pass over the paths ``idx`` only (those that crossed last pass)."""
        r, gg, tt = rate[idx], g[idx], tau[idx]
        to_boundary = bitcoin.RETARGET_INTERVAL_BLOCKS - self.epoch_blocks[idx]
        y = gg * to_boundary / r
        x_b = np.log1p(np.maximum(y, -1.0 + 1e-15)) / gg
        cross = x_b <= days - tt
        hit = idx[cross]
        if hit.size == 0:
            return hit, True
        r, gg, tt, to_boundary, y, x_b = (v[cross] for v in (r, gg, tt, to_boundary, y, x_b))
        self._advance(hit, x_b, to_boundary, r, gg, tt)
        tau[hit] = tt + x_b
        ratio = np.clip(
            self.elapsed_days[hit] * (bitcoin.SECONDS_PER_DAY / _TARGET_S), _CLAMP_LO, _CLAMP_HI
        )
        self._kd[hit] *= ratio
        rate[hit] = r * (1.0 + y) * ratio
        self.elapsed_days[hit] = 0.0
        self.epoch_blocks[hit] = 0.0
        return hit, False

    def _advance(
        self,
        sub: IntArray | slice,
        x: FloatArray,
        mined: FloatArray,
        rate: FloatArray,
        g: FloatArray,
        tau: FloatArray,
    ) -> None:
        """Add a piece of ``x`` days with ``mined`` blocks at constant D (paths ``sub``).

        Sums per path: ∫K/D dt, ∫subsidy·K/D dt (K = 86400/2^32), the subsidy issued and
        the blocks; a halving inside the piece is then corrected for and its time recorded.
        ``rate``, ``g`` and ``tau`` are aligned with ``x``.
        """
        acc = self._acc
        kd_x = x * self._kd[sub]
        acc[0, sub] += kd_x
        s = self._subsidy[sub]
        acc[1, sub] += kd_x * s
        acc[2, sub] += mined * s
        height_after = self.height[sub] + acc[3, sub] + mined
        acc[3, sub] += mined
        self.epoch_blocks[sub] += mined
        self.elapsed_days[sub] += x
        halves = height_after >= self._next_halving[sub]
        if halves.any():
            pos = np.flatnonzero(halves)
            paths = np.arange(self.height.size)[sub][pos]
            self._halve(paths, pos, height_after, x, mined, rate, g, tau, kd_x)

    def _halve(
        self,
        paths: IntArray,
        pos: IntArray,
        height_after: FloatArray,
        x: FloatArray,
        mined: FloatArray,
        rate: FloatArray,
        g: FloatArray,
        tau: FloatArray,
        kd_x: FloatArray,
    ) -> None:
        """Correct the sums of ``paths`` (at ``pos`` in the piece) for a halving inside it."""
        nxt = self._next_halving[paths]
        s_old = self._subsidy[paths]
        s_new = bitcoin.subsidy_btc(nxt)
        before = nxt - (height_after[pos] - mined[pos])
        x_h = _days_to_blocks(before, rate[pos], g[pos])
        frac_after = 1.0 - x_h / np.maximum(x[pos], 1e-300)
        self._acc[1, paths] += kd_x[pos] * frac_after * (s_new - s_old)
        self._acc[2, paths] += (mined[pos] - before) * (s_new - s_old)
        self._record_halving(paths, nxt, tau[pos] + x_h)
        self._subsidy[paths] = s_new
        self._next_halving[paths] = nxt + bitcoin.HALVING_INTERVAL_BLOCKS

    def _record_halving(self, hit: IntArray, heights: FloatArray, tau_days: FloatArray) -> None:
        """Store the time at which paths ``hit`` reach halving ``heights``."""
        n = len(self.halving_heights)
        if n == 0:
            return
        j = ((heights - self.halving_heights[0]) // bitcoin.HALVING_INTERVAL_BLOCKS).astype(
            np.int64
        )
        ok = (j >= 0) & (j < n)
        self.halving_day[hit[ok], j[ok]] = self.clock_days + tau_days[ok]


def _days_to_blocks(blocks: FloatArray, rate: FloatArray, g: FloatArray) -> FloatArray:
    """Days until ``blocks`` more are found at start rate ``rate`` growing at ``g`` [days].

    Solves ``rate·(e^{g·x} − 1)/g = blocks``; a shrinking hashrate that never gets there
    gives a time beyond any month.
    """
    y = np.maximum(g * blocks / rate, -1.0 + 1e-15)
    return np.asarray(np.log1p(y) / g)


def log_mean(a: FloatArray, b: FloatArray, log_ratio: FloatArray | None = None) -> FloatArray:
    """Logarithmic mean ``(b − a)/ln(b/a)``: the time mean of a log-linear path from a to b."""
    lr = np.log(b / a) if log_ratio is None else log_ratio
    near = np.abs(lr) < 1e-9
    if not near.any():
        return np.asarray((b - a) / lr)
    out = (b - a) / np.where(near, 1.0, lr)
    out[near] = 0.5 * (a + b)[near]
    return np.asarray(out)


def _last_piece_blocks(
    rate: FloatArray, rate_end: FloatArray, g: FloatArray, x: FloatArray
) -> FloatArray:
    """Blocks in the last ``x`` days of a month, from the block rates at its start and end.

    ``∫ rate·e^{g·t} dt = (rate_end − rate)/g`` since ``rate·e^{g·x} = rate_end``; a
    second-order series where ``|g·x|`` is too small for that difference.
    """
    out = (rate_end - rate) / g
    gx = g * x
    small = np.abs(gx) < 1e-5
    if small.any():
        out[small] = (rate * x * (1.0 + 0.5 * gx))[small]
    return np.asarray(out)


def halving_targets(start_height: float, months: int) -> IntArray:
    """Heights of the halvings that can fall inside ``months`` (the next few) [blocks].

    At least one; one more per 40 months, since a halving epoch lasts about 47 months
    at 144 blocks a day and not less than about 12 even under the 4x clamp.
    """
    first = int(bitcoin.halving_epoch(int(start_height))) + 1
    n = 1 + months // 40
    return np.asarray(bitcoin.halving_height(np.arange(first, first + n)), dtype=np.int64)


def simulate_chain_monthly(
    month_end_hashrate_h_s: FloatArray,
    start_hashrate_h_s: float | FloatArray,
    cal: Calendar,
    start_height: float,
    start_difficulty: float | FloatArray,
    epoch_elapsed_days: float | FloatArray | None = None,
    fees_btc_per_block: FloatArray | float = 0.0,
    use_numba: bool = True,
) -> NetworkPath:
    """Network path under a hashrate known at month ends, log-linear inside each month.

    Parameters
    ----------
    month_end_hashrate_h_s
        Hashrate at the end of each month, ``(paths, months)`` or ``(months,)``. [H/s]
    start_hashrate_h_s
        Hashrate at the start of month 0. [H/s]
    cal
        The months simulated.
    start_height, start_difficulty, epoch_elapsed_days
        Chain state at the start, as for :class:`MonthlyChain`.
    fees_btc_per_block
        Fees per block, scalar or broadcastable to ``(paths, months)``. [BTC/block]
    use_numba
        Run the compiled month loop of :mod:`hashpivot.network.kernels` (same numbers)
        when numba is installed; ``False`` runs the NumPy definition below.

    """
    h_end = np.atleast_2d(np.asarray(month_end_hashrate_h_s, dtype=np.float64))
    paths, months = h_end.shape
    fees = np.broadcast_to(np.asarray(fees_btc_per_block, dtype=np.float64), (paths, months))
    targets = halving_targets(start_height, months)
    chain = MonthlyChain(start_height, start_difficulty, paths, epoch_elapsed_days, targets)
    h_prev = np.broadcast_to(np.asarray(start_hashrate_h_s, dtype=np.float64), (paths,))
    if use_numba and network_kernels.HAVE_NUMBA:
        out, halving_day = network_kernels.chain_months(
            h_prev,
            h_end,
            fees,
            cal.days_in_month.astype(np.float64),
            cal.month_start_day,
            chain.state(),
            targets,
        )
        return network_path_of(out, cal, fees, targets, halving_day)
    rec = MonthlyRecorder(months, paths)
    for t in range(months):
        h1 = h_end[:, t]
        rec.record(t, chain, h_prev, h1, float(cal.days_in_month[t]), fees[:, t])
        h_prev = h1
    return rec.network_path(cal, fees, chain)


MONTHLY_KEYS = (
    "network_hashrate_eh_s",
    "difficulty",
    "height_end",
    "blocks",
    "issued_btc",
    "hashprice_btc_per_ph_day",
)
"""Monthly arrays kept by :class:`MonthlyRecorder`."""


class MonthlyRecorder:
    """Steps a :class:`MonthlyChain` month by month and keeps its monthly arrays.

    Arrays are filled as ``(months, paths)`` (one contiguous row per month) and handed
    out as their transposes: ``(paths, months)`` views, without a copy.
    """

    def __init__(self, months: int, paths: int) -> None:
        self.out = {k: np.empty((months, paths)) for k in MONTHLY_KEYS}

    def record(
        self,
        t: int,
        chain: MonthlyChain,
        hashrate_start_h_s: FloatArray,
        hashrate_end_h_s: FloatArray,
        days: float,
        fees_btc_per_block: FloatArray | float,
    ) -> None:
        """Advance ``chain`` through month ``t`` and store what it produced."""
        month = chain.step(hashrate_start_h_s, hashrate_end_h_s, days, fees_btc_per_block)
        o = self.out
        np.multiply(month.mean_hashrate_h_s, 1e-18, out=o["network_hashrate_eh_s"][t])
        o["difficulty"][t] = chain.difficulty
        o["height_end"][t] = chain.height
        o["blocks"][t] = month.blocks
        o["issued_btc"][t] = month.issued_btc
        o["hashprice_btc_per_ph_day"][t] = month.hashprice_btc_per_ph_day

    def network_path(self, cal: Calendar, fees: FloatArray, chain: MonthlyChain) -> NetworkPath:
        """The :class:`NetworkPath` of the recorded months (``fees`` is ``(paths, months)``)."""
        o = {k: v.T for k, v in self.out.items()}
        return network_path_of(o, cal, fees, chain.halving_heights, chain.halving_day)


def network_path_of(
    monthly: dict[str, FloatArray],
    cal: Calendar,
    fees: FloatArray,
    halving_heights: IntArray,
    halving_day: FloatArray,
) -> NetworkPath:
    """A :class:`NetworkPath` from the arrays named in :data:`MONTHLY_KEYS` ``(paths, months)``."""
    return NetworkPath(
        calendar=cal,
        network_hashrate_eh_s=monthly["network_hashrate_eh_s"],
        difficulty=monthly["difficulty"],
        height_end=monthly["height_end"],
        blocks=monthly["blocks"],
        issued_btc=monthly["issued_btc"],
        fees_btc=np.asarray(monthly["blocks"] * fees),
        hashprice_btc_per_ph_day=monthly["hashprice_btc_per_ph_day"],
        daily_height_end=None,
        halving_heights=halving_heights,
        halving_day=halving_day,
    )


def estimate_height(date: dt.date) -> float:
    """Block height at the start of ``date`` from the halving anchors [blocks].

    Linear in time between the anchors of :data:`HALVING_ANCHORS` (Ref [3]); after the
    last one it extrapolates at the 2020-05-11 → 2024-04-20 pace (210 000 blocks in
    1 440 days, 145.8 a day). Accurate to a few thousand blocks (a couple of weeks of
    halving timing) within a few years of the last anchor: pass the true height when
    it is known.
    """
    dates = [d.toordinal() for d, _ in HALVING_ANCHORS]
    heights = [float(h) for _, h in HALVING_ANCHORS]
    x = date.toordinal()
    if x <= dates[-1]:
        return float(np.interp(x, dates, heights))
    pace = (heights[-1] - heights[-2]) / (dates[-1] - dates[-2])
    return heights[-1] + pace * (x - dates[-1])
