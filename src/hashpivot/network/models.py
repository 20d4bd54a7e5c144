"""Network hashrate, difficulty and block production along price paths, by month.

Two models, chosen by name through :class:`~hashpivot.network.spec.NetworkModelSpec`
(:func:`network_model` rejects unknown names and lists the valid ones):

- ``supply_curve`` (default, :mod:`hashpivot.network.supply`): fleet vintages that run
  while hashprice covers their hashcost, plus new capacity ordered on the frontier
  machine's trailing margin and arriving after a lag, with stochastic shocks;
- ``fixed_growth``: hashrate grows by a constant fraction a month on every path (what
  mining calculators offer).

Both run the chain with the monthly approximation of :mod:`hashpivot.network.chain`,
vectorised over paths. :func:`fixed_growth_network` keeps the exact day-by-day chain
(:func:`hashpivot.bitcoin.simulate_chain_daily`) for single deterministic projections.

Random numbers and chunking
---------------------------
Paths are grouped in blocks of ``block_paths`` (1 000) counted from path 0. Block ``b``
draws from ``numpy.random.Generator(PCG64(SeedSequence(seed, spawn_key=(NETWORK_STREAM_KEY,
b))))`` -- the same stream as ``SeedSequence(seed).spawn(KEY + 1)[KEY].spawn(b + 1)[b]`` --
and always draws a whole block. A call for paths ``[path_offset, path_offset + paths)``
therefore gives path ``i`` the same numbers whatever the chunk it is simulated in: split
a run into chunks, pass each chunk's ``path_offset`` (or ``first_block``) and the same
``seed``, and the concatenated result equals one call over all paths.
:data:`NETWORK_STREAM_KEY` keeps these streams apart from the market drivers' streams
under the same seed.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from hashpivot import bitcoin
from hashpivot.errors import SpecError, UnknownNameError
from hashpivot.network.chain import (
    Calendar,
    NetworkPath,
    calendar,
    estimate_height,
    simulate_chain_monthly,
)
from hashpivot.network.spec import NETWORK_MODEL_NAMES, NetworkModelSpec
from hashpivot.network.supply import SupplyShocks, simulate_supply_curve

__all__ = [
    "DAYS_PER_MONTH_MEAN",
    "NETWORK_STREAM_KEY",
    "Calendar",
    "NetworkModelSpec",
    "NetworkPath",
    "calendar",
    "estimate_height",
    "fixed_growth_network",
    "growth_path",
    "halving_dates",
    "monthly_last",
    "monthly_mean",
    "monthly_sum",
    "network_from_hashrate",
    "network_model",
    "simulate_network",
]

FloatArray = npt.NDArray[np.float64]

DAYS_PER_MONTH_MEAN = 365.25 / 12.0
"""Mean days per month, used to turn a monthly rate into a daily one [days]."""
NETWORK_STREAM_KEY = 0x4E4554
"""Spawn key of the network model's random streams under the run's seed ("NET")."""
BLOCK_PATHS = 1000
"""Default paths per random-number block [paths]."""


def growth_path(start_value: float, growth_frac_per_month: float, n_days: int) -> FloatArray:
    """Value that compounds at ``growth_frac_per_month``, sampled daily [same unit]."""
    t_months = np.arange(n_days) / DAYS_PER_MONTH_MEAN
    return np.asarray(start_value * (1.0 + growth_frac_per_month) ** t_months)


def monthly_mean(daily: FloatArray, cal: Calendar) -> FloatArray:
    """Mean over each calendar month of a ``(..., days)`` array -> ``(..., months)``."""
    return monthly_sum(daily, cal) / cal.days_in_month


def monthly_sum(daily: FloatArray, cal: Calendar) -> FloatArray:
    """Sum over each calendar month of a ``(..., days)`` array -> ``(..., months)``."""
    starts = np.concatenate([[0], np.cumsum(cal.days_in_month)[:-1]])
    return np.asarray(np.add.reduceat(daily, starts, axis=-1), dtype=np.float64)


def monthly_last(daily: FloatArray, cal: Calendar) -> FloatArray:
    """Value on the last day of each month of a ``(..., days)`` array."""
    ends = np.cumsum(cal.days_in_month) - 1
    return np.asarray(daily[..., ends])


def network_from_hashrate(
    daily_hashrate_h_s: FloatArray,
    cal: Calendar,
    start_height: float,
    start_difficulty: float,
    fees_btc_per_block: FloatArray | float,
) -> NetworkPath:
    """Chain and monthly network state given a daily hashrate path ``(..., days)``.

    Runs the exact daily chain (:func:`hashpivot.bitcoin.simulate_chain_daily`).
    ``fees_btc_per_block`` is a scalar or broadcastable to ``(..., days)``. [BTC/block]
    """
    chain = bitcoin.simulate_chain_daily(daily_hashrate_h_s, start_height, start_difficulty)
    fees_daily = chain["blocks"] * np.asarray(fees_btc_per_block, dtype=np.float64)
    network_ph_s = daily_hashrate_h_s / 1e15
    reward_per_ph_day = (chain["issued_btc"] + fees_daily) / network_ph_s
    height_end = chain["height_start"] + chain["blocks"]
    targets = _halving_targets_daily(start_height, height_end)
    return NetworkPath(
        calendar=cal,
        network_hashrate_eh_s=monthly_mean(daily_hashrate_h_s / 1e18, cal),
        difficulty=monthly_last(chain["difficulty"], cal),
        height_end=monthly_last(height_end, cal),
        blocks=monthly_sum(chain["blocks"], cal),
        issued_btc=monthly_sum(chain["issued_btc"], cal),
        fees_btc=monthly_sum(fees_daily, cal),
        hashprice_btc_per_ph_day=monthly_mean(reward_per_ph_day, cal),
        daily_height_end=height_end,
        halving_heights=targets,
        halving_day=_halving_day_daily(chain["height_start"], height_end, targets),
    )


def _halving_targets_daily(start_height: float, height_end: FloatArray) -> npt.NDArray[np.int64]:
    first = int(bitcoin.halving_epoch(int(start_height))) + 1
    last = int(bitcoin.halving_epoch(int(np.max(height_end))))
    return np.asarray(bitcoin.halving_height(np.arange(first, max(last, first) + 1)))


def _halving_day_daily(
    height_start: FloatArray, height_end: FloatArray, targets: npt.NDArray[np.int64]
) -> FloatArray:
    """Fractional day each target is crossed in a daily chain ``(..., days)`` [days]."""
    out = np.full((*height_end.shape[:-1], len(targets)), np.nan)
    for j, target in enumerate(targets):
        reached = height_end >= target
        day = np.argmax(reached, axis=-1)
        h0 = np.take_along_axis(height_start, day[..., None], -1)[..., 0]
        h1 = np.take_along_axis(height_end, day[..., None], -1)[..., 0]
        frac = np.clip((target - h0) / np.maximum(h1 - h0, 1e-300), 0.0, 1.0)
        out[..., j] = np.where(reached.any(axis=-1), day + frac, np.nan)
    return out


def fixed_growth_network(
    start_date: dt.date,
    months: int,
    network_hashrate_eh_s: float,
    growth_frac_per_month: float,
    block_height: float,
    difficulty: float | None,
    fees_btc_per_block: float,
) -> NetworkPath:
    """Network path under a constant monthly hashrate growth, on the exact daily chain.

    Parameters
    ----------
    network_hashrate_eh_s
        Hashrate on the start date. [EH/s]
    growth_frac_per_month
        Hashrate growth per month, compounded daily. [1/month]
    difficulty
        Difficulty on the start date; ``None`` takes the difficulty the starting
        hashrate meets at 600 s per block. [-]

    """
    cal = calendar(start_date, months)
    hashrate_h_s = growth_path(network_hashrate_eh_s * 1e18, growth_frac_per_month, cal.n_days)
    if difficulty is None:
        difficulty = float(bitcoin.difficulty_for_hashrate(network_hashrate_eh_s * 1e18))
    return network_from_hashrate(hashrate_h_s, cal, block_height, difficulty, fees_btc_per_block)


def halving_dates(path: NetworkPath, start_date: dt.date) -> list[tuple[int, dt.date]]:
    """Halvings reached inside a single path: ``(height, date)`` pairs.

    Uses the exact daily heights when the path has them (day of the first daily height
    at or above the halving), else the fractional halving days of a one-path monthly model.
    """
    heights = path.daily_height_end
    if heights is not None:
        if heights.ndim != 1:
            msg = "halving_dates: needs a single path (1-D daily heights)"
            raise ValueError(msg)
        first_epoch = int(bitcoin.halving_epoch(int(heights[0]))) + 1
        last_epoch = int(bitcoin.halving_epoch(int(heights[-1])))
        out = []
        for epoch in range(first_epoch, last_epoch + 1):
            target = int(bitcoin.halving_height(epoch))
            day = int(np.argmax(heights >= target))
            out.append((target, start_date + dt.timedelta(days=day)))
        return out
    if path.halving_day is None or path.halving_heights is None:
        msg = "halving_dates: the path carries neither daily heights nor halving days"
        raise ValueError(msg)
    days = np.asarray(path.halving_day)
    if days.ndim == 2 and days.shape[0] == 1:
        days = days[0]
    if days.ndim != 1:
        msg = "halving_dates: needs a single path"
        raise ValueError(msg)
    return [
        (int(h), start_date + dt.timedelta(days=int(np.floor(d))))
        for h, d in zip(path.halving_heights, days, strict=True)
        if np.isfinite(d)
    ]


# --------------------------------------------------------------------------- models by name

NetworkSimulator = Callable[..., NetworkPath]


def network_model(name: str) -> NetworkSimulator:
    """The simulator of a network model by name; unknown names list the valid ones.

    Raises
    ------
    UnknownNameError
        ``name`` is not one of :data:`~hashpivot.network.spec.NETWORK_MODEL_NAMES`.

    """
    models: dict[str, NetworkSimulator] = {
        "supply_curve": _simulate_supply_curve,
        "fixed_growth": _simulate_fixed_growth,
    }
    if name not in models:
        close = difflib.get_close_matches(name, NETWORK_MODEL_NAMES, n=3)
        raise UnknownNameError("network model", name, list(NETWORK_MODEL_NAMES), close)
    return models[name]


def _simulate_fixed_growth(
    spec: NetworkModelSpec,
    price_usd: FloatArray,
    fees: FloatArray,
    cal: Calendar,
    start_hashrate_eh_s: float,
    start_difficulty: float,
    start_height: float,
    shocks: SupplyShocks | None,
    start_epoch_elapsed_days: float | None,
) -> NetworkPath:
    """Hashrate ``H0·(1+g)^(days/30.44)`` on every path, chain by month."""
    paths = price_usd.shape[0]
    ends = np.cumsum(cal.days_in_month) / DAYS_PER_MONTH_MEAN
    h_end = start_hashrate_eh_s * 1e18 * (1.0 + spec.growth_frac_per_month) ** ends
    return simulate_chain_monthly(
        np.broadcast_to(h_end, (paths, cal.n_months)),
        start_hashrate_eh_s * 1e18,
        cal,
        start_height,
        start_difficulty,
        start_epoch_elapsed_days,
        fees,
    )


def _simulate_supply_curve(
    spec: NetworkModelSpec,
    price_usd: FloatArray,
    fees: FloatArray,
    cal: Calendar,
    start_hashrate_eh_s: float,
    start_difficulty: float,
    start_height: float,
    shocks: SupplyShocks | None,
    start_epoch_elapsed_days: float | None,
) -> NetworkPath:
    assert shocks is not None
    return simulate_supply_curve(
        spec,
        price_usd,
        fees,
        cal,
        start_hashrate_eh_s,
        start_difficulty,
        start_height,
        shocks,
        start_epoch_elapsed_days,
    )


def _block_generator(seed: int, block: int) -> np.random.Generator:
    ss = np.random.SeedSequence(seed, spawn_key=(NETWORK_STREAM_KEY, block))
    return np.random.Generator(np.random.PCG64(ss))


def draw_shocks(
    seed: int, months: int, paths: int, path_offset: int = 0, block_paths: int = BLOCK_PATHS
) -> SupplyShocks:
    """Standard-normal shocks for paths ``[path_offset, path_offset + paths)``, by block.

    Each block draws ``(2·months + 2, block_paths)`` single-precision normals in full from
    its own stream (column ``j`` is the block's path ``j``) and keeps the columns asked
    for, so a path's shocks never depend on the chunking.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        msg = f"seed: {seed!r} (must be an int >= 0)"
        raise SpecError([msg])
    z = np.empty((2 * months + 2, paths), dtype=np.float32)
    end = path_offset + paths
    for block in range(path_offset // block_paths, -(-end // block_paths)):
        base = block * block_paths
        lo, hi = max(path_offset, base), min(end, base + block_paths)
        draw = _block_generator(int(seed), block).standard_normal(
            (2 * months + 2, block_paths), dtype=np.float32
        )
        z[:, lo - path_offset : hi - path_offset] = draw[:, lo - base : hi - base]
    return SupplyShocks(build=z[:months], noise=z[months : 2 * months], start=z[-2], pipeline=z[-1])


def _bootstrap_innovations(
    spec: NetworkModelSpec, hashrate_log_growth: FloatArray, shape: tuple[int, int]
) -> FloatArray:
    """Order-shock innovations from a bootstrapped monthly hashrate log growth ``(paths, months)``.

    Centred and scaled by the history's mean and standard deviation (spec fields), with
    the sign flipped (fast historical growth lowers the margin builders require), so the
    resampled months that came with, say, a price crash keep their hashrate shock.
    """
    g = np.asarray(hashrate_log_growth, dtype=np.float64)
    if g.shape != shape or not np.isfinite(g).all():
        msg = f"hashrate_log_growth: shape {g.shape} (must be finite, shaped {shape})"
        raise SpecError([msg])
    z = (g - spec.bootstrap_growth_log_mean_per_month) / spec.bootstrap_growth_log_sd_per_month
    return np.ascontiguousarray(-z.T)


def _as_paths(name: str, value: FloatArray | float, paths: int, months: int) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    try:
        out = np.broadcast_to(arr if arr.ndim != 1 else arr[None, :], (paths, months))
    except ValueError:
        msg = f"{name}: shape {arr.shape} (must broadcast to (paths, months) = {(paths, months)})"
        raise SpecError([msg]) from None
    if not np.isfinite(out).all():
        raise SpecError([f"{name}: contains NaN or inf (must be finite)"])
    return out


def _check_inputs(price: FloatArray, fees: FloatArray, h0: float, d0: float, height: float) -> None:
    problems = []
    if (price <= 0).any():
        problems.append("price_usd: has values <= 0 (must be > 0)")
    if (fees < 0).any():
        problems.append("fees_btc_per_block: has values < 0 (must be >= 0)")
    if not (np.isfinite(h0) and h0 > 0):
        problems.append(f"start_hashrate_eh_s: {h0} (must be > 0)")
    if not (np.isfinite(d0) and d0 > 0):
        problems.append(f"start_difficulty: {d0} (must be > 0)")
    if not (np.isfinite(height) and height >= 0):
        problems.append(f"start_height: {height} (must be >= 0)")
    if problems:
        raise SpecError(problems)


def simulate_network(
    spec: NetworkModelSpec,
    price_usd: FloatArray,
    fees_btc_per_block: FloatArray | float,
    start_date: dt.date,
    start_hashrate_eh_s: float,
    start_difficulty: float | None,
    start_height: float,
    *,
    seed: int = 0,
    paths: int | None = None,
    path_offset: int | None = None,
    first_block: int = 0,
    block_paths: int = BLOCK_PATHS,
    hashrate_log_growth: FloatArray | None = None,
    start_epoch_elapsed_days: float | None = None,
) -> NetworkPath:
    """Network hashrate, difficulty, blocks and hashprice under BTC price paths, by month.

    Parameters
    ----------
    spec
        The model and its parameters (``spec.model`` picks it, :func:`network_model`).
    price_usd
        BTC price by month, ``(paths, months)`` or one path ``(months,)``. [USD/BTC]
    fees_btc_per_block
        Fees per block, scalar, ``(months,)`` or ``(paths, months)``. [BTC/block]
    start_date
        First day of month 0 (a first of month).
    start_hashrate_eh_s
        Network hashrate on the start date. [EH/s]
    start_difficulty
        Difficulty on the start date; ``None`` takes the one the start hashrate meets
        at 600 s a block. [-]
    start_height
        Block height on the start date (:func:`estimate_height` estimates it). [blocks]
    seed
        Seed of the whole run (see the module notes on chunking). [-]
    paths
        Paths to simulate when ``price_usd`` is one path; must match otherwise. [paths]
    path_offset
        Index of this chunk's first path; default ``first_block·block_paths``. [paths]
    first_block, block_paths
        Alternative way to give the offset, in blocks; paths per random block. [-], [paths]
    hashrate_log_growth
        Optional monthly hashrate log growth ``(paths, months)`` from a joint bootstrap
        of history; it replaces the normal innovations of the order shock. [-]
    start_epoch_elapsed_days
        Days since the current epoch began (default from the height at 600 s). [days]

    Returns
    -------
    NetworkPath
        Arrays ``(paths, months)``, with ``halving_day`` ``(paths, halvings)``.

    """
    price = np.asarray(price_usd, dtype=np.float64)
    months = price.shape[-1]
    n = price.shape[0] if price.ndim == 2 else (paths or 1)
    if price.ndim == 2 and paths is not None and paths != n:
        raise SpecError([f"paths: {paths} (price_usd has {n} paths)"])
    price2 = _as_paths("price_usd", price, n, months)
    fees2 = _as_paths("fees_btc_per_block", fees_btc_per_block, n, months)
    d0 = (
        float(bitcoin.difficulty_for_hashrate(start_hashrate_eh_s * 1e18))
        if start_difficulty is None
        else float(start_difficulty)
    )
    _check_inputs(price2, fees2, float(start_hashrate_eh_s), d0, float(start_height))
    simulate = network_model(spec.model)
    offset = first_block * block_paths if path_offset is None else path_offset
    shocks = None
    if spec.model == "supply_curve":
        shocks = draw_shocks(seed, months, n, offset, block_paths)
        if hashrate_log_growth is not None:
            build = _bootstrap_innovations(spec, hashrate_log_growth, (n, months))
            shocks = SupplyShocks(build, shocks.noise, shocks.start, shocks.pipeline)
    cal = calendar(start_date, months)
    return simulate(
        spec,
        price2,
        fees2,
        cal,
        float(start_hashrate_eh_s),
        d0,
        float(start_height),
        shocks,
        start_epoch_elapsed_days,
    )
