"""Bitcoin protocol: subsidy by height, halvings, difficulty retarget, blocks, hashprice.

Pure functions, vectorised over any leading axes (``(paths, days)`` and so on).
Units are in every name: ``_h_s`` hashes per second, ``_eh_s`` exahashes per second,
``_btc`` bitcoin, ``_usd_per_ph_day`` US dollars per petahash-per-second per day.

References
----------
.. [1] Bitcoin Core, ``GetBlockSubsidy`` (src/validation.cpp): 50 BTC shifted right by
   ``height // 210000``, zero after 64 halvings.
   https://github.com/bitcoin/bitcoin/blob/master/src/validation.cpp
.. [2] Bitcoin Core, ``CalculateNextWorkRequired`` (src/pow.cpp): retarget every 2016
   blocks to a 600 s spacing, actual timespan clamped to [1/4, 4] of the target.
   https://github.com/bitcoin/bitcoin/blob/master/src/pow.cpp
.. [3] Difficulty 1 corresponds to 2^32 expected hashes per block. Bitcoin wiki,
   "Difficulty". https://en.bitcoin.it/wiki/Difficulty
.. [4] Hashprice = 8.64e19/(D·2^32)·(subsidy + fees)·price, USD per PH/s per day.
   https://elektronics.dev/docs/hashprice ; Luxor definition
   https://docs.luxor.tech/derivatives/glossary
.. [5] Halving 4 at block 840 000 on 2024-04-20 UTC.
   https://fxstreet.com/cryptocurrencies/news/breaking-bitcoin-halving-concludes-successfully-as-btc-miner-rewards-reduce-to-3125-202404200012

"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]

HALVING_INTERVAL_BLOCKS = 210_000
"""Blocks between halvings [blocks]. Ref [1]."""
INITIAL_SUBSIDY_SAT = 5_000_000_000
"""Block subsidy of epoch 0: 50 BTC [satoshi]. Ref [1]."""
SAT_PER_BTC = 100_000_000
"""Satoshi per bitcoin [sat/BTC]."""
RETARGET_INTERVAL_BLOCKS = 2016
"""Blocks between difficulty retargets [blocks]. Ref [2]."""
TARGET_BLOCK_TIME_S = 600.0
"""Target block spacing [s]. Ref [2]."""
MAX_RETARGET_FACTOR = 4.0
"""Largest retarget step up or down [-]. Ref [2]."""
HASHES_PER_DIFFICULTY = 2.0**32
"""Expected hashes per block at difficulty 1 [H]. Ref [3]."""
SECONDS_PER_DAY = 86_400.0
"""Seconds per day [s]."""
LAST_SUBSIDY_EPOCH = 33
"""Last epoch whose subsidy is non-zero: 5e9 sat >> 33 = 0.58 -> 0 at epoch 33 [-]."""

_EPOCHS = np.arange(LAST_SUBSIDY_EPOCH + 2)
_SUBSIDY_SAT_BY_EPOCH = np.array([INITIAL_SUBSIDY_SAT >> int(e) for e in _EPOCHS], dtype=np.float64)
_CUM_SAT_AT_EPOCH_START = np.concatenate(
    [[0.0], np.cumsum(_SUBSIDY_SAT_BY_EPOCH[:-1] * HALVING_INTERVAL_BLOCKS)]
)


def halving_epoch(height: ArrayLike) -> npt.NDArray[np.int64]:
    """Halving epoch of a block height: 0 for blocks 0..209 999, 4 for 840 000.. [-].

    Parameters
    ----------
    height
        Block height. [blocks]

    """
    h = np.asarray(height)
    if np.any(h < 0):
        msg = "height: must be >= 0"
        raise ValueError(msg)
    return np.asarray(np.floor_divide(h, HALVING_INTERVAL_BLOCKS), dtype=np.int64)


def halving_height(epoch: ArrayLike) -> npt.NDArray[np.int64]:
    """First block height of a halving epoch: 210 000·epoch [blocks]. Ref [1]."""
    return np.asarray(epoch, dtype=np.int64) * HALVING_INTERVAL_BLOCKS


def next_halving_height(height: ArrayLike) -> npt.NDArray[np.int64]:
    """Height of the next halving strictly after ``height`` [blocks]."""
    return halving_height(halving_epoch(height) + 1)


def subsidy_btc(height: ArrayLike) -> FloatArray:
    """Block subsidy at a height, with Bitcoin Core's integer shift [BTC]. Ref [1].

    Examples
    --------
    >>> float(subsidy_btc(840_000))
    3.125

    """
    epoch = np.minimum(halving_epoch(height), LAST_SUBSIDY_EPOCH + 1)
    return np.asarray(_SUBSIDY_SAT_BY_EPOCH[epoch] / SAT_PER_BTC, dtype=np.float64)


def cumulative_subsidy_btc(height: ArrayLike) -> FloatArray:
    """Total subsidy of blocks ``0 .. height-1``; fractional heights interpolate [BTC].

    The difference between two heights is the new supply issued between them, which
    handles a halving that falls inside the interval exactly.
    """
    h = np.asarray(height, dtype=np.float64)
    if np.any(h < 0):
        msg = "height: must be >= 0"
        raise ValueError(msg)
    epoch = np.minimum(np.floor(h / HALVING_INTERVAL_BLOCKS), LAST_SUBSIDY_EPOCH + 1)
    e = epoch.astype(np.int64)
    into = np.minimum(h - e * HALVING_INTERVAL_BLOCKS, HALVING_INTERVAL_BLOCKS)
    sat = _CUM_SAT_AT_EPOCH_START[e] + into * _SUBSIDY_SAT_BY_EPOCH[e]
    return np.asarray(sat / SAT_PER_BTC, dtype=np.float64)


def expected_blocks_per_day(network_hashrate_h_s: ArrayLike, difficulty: ArrayLike) -> FloatArray:
    """Expected blocks found per day: 86400·H/(D·2^32) [blocks/day]. Ref [3].

    Above 144 when hashrate has grown since the last retarget.

    Parameters
    ----------
    network_hashrate_h_s
        Network hashrate. [H/s]
    difficulty
        Difficulty. [-]

    """
    h = np.asarray(network_hashrate_h_s, dtype=np.float64)
    d = np.asarray(difficulty, dtype=np.float64)
    return np.asarray(SECONDS_PER_DAY * h / (d * HASHES_PER_DIFFICULTY), dtype=np.float64)


def difficulty_for_hashrate(network_hashrate_h_s: ArrayLike) -> FloatArray:
    """Difficulty at which a hashrate finds one block per 600 s: H·600/2^32 [-]."""
    h = np.asarray(network_hashrate_h_s, dtype=np.float64)
    return np.asarray(h * TARGET_BLOCK_TIME_S / HASHES_PER_DIFFICULTY, dtype=np.float64)


def hashrate_h_s_for_difficulty(difficulty: ArrayLike) -> FloatArray:
    """Hashrate implied by a difficulty at a 600 s spacing: D·2^32/600 [H/s]."""
    d = np.asarray(difficulty, dtype=np.float64)
    return np.asarray(d * HASHES_PER_DIFFICULTY / TARGET_BLOCK_TIME_S, dtype=np.float64)


def retarget_difficulty(difficulty: ArrayLike, epoch_duration_s: ArrayLike) -> FloatArray:
    """Difficulty after a 2016-block epoch that took ``epoch_duration_s`` [-]. Ref [2].

    ``D_new = D_old · (2016·600 s) / clamp(actual, target/4, 4·target)``.

    Parameters
    ----------
    difficulty
        Difficulty of the epoch that just ended. [-]
    epoch_duration_s
        Time the epoch's 2016 blocks took. [s]

    """
    target_s = RETARGET_INTERVAL_BLOCKS * TARGET_BLOCK_TIME_S
    actual = np.clip(
        np.asarray(epoch_duration_s, dtype=np.float64),
        target_s / MAX_RETARGET_FACTOR,
        target_s * MAX_RETARGET_FACTOR,
    )
    return np.asarray(np.asarray(difficulty, dtype=np.float64) * target_s / actual)


def hashprice_btc_per_ph_day(
    difficulty: ArrayLike, subsidy_btc: ArrayLike, fees_btc_per_block: ArrayLike = 0.0
) -> FloatArray:
    """Expected BTC earned by 1 PH/s in one day: 8.64e19/(D·2^32)·(subsidy+fees) [BTC/PH/day].

    Ref [4]. 8.64e19 = 86 400 s × 1e15 H/s.
    """
    d = np.asarray(difficulty, dtype=np.float64)
    reward = np.asarray(subsidy_btc, dtype=np.float64) + np.asarray(fees_btc_per_block)
    return np.asarray(SECONDS_PER_DAY * 1e15 / (d * HASHES_PER_DIFFICULTY) * reward)


def hashprice_usd_per_ph_day(
    price_usd: ArrayLike,
    difficulty: ArrayLike,
    subsidy_btc: ArrayLike,
    fees_btc_per_block: ArrayLike = 0.0,
) -> FloatArray:
    """Hashprice: expected USD earned by 1 PH/s in one day [USD/PH/day]. Ref [4].

    Parameters
    ----------
    price_usd
        BTC price. [USD/BTC]
    difficulty
        Network difficulty. [-]
    subsidy_btc
        Block subsidy. [BTC]
    fees_btc_per_block
        Average transaction fees per block (Luxor uses a 144-block mean). [BTC]

    """
    btc = hashprice_btc_per_ph_day(difficulty, subsidy_btc, fees_btc_per_block)
    return np.asarray(btc * np.asarray(price_usd, dtype=np.float64))


def hashcost_usd_per_ph_day(
    efficiency_j_per_th: ArrayLike, power_usd_per_mwh: ArrayLike
) -> FloatArray:
    """Power cost of running 1 PH/s for a day: 24·J/TH·USD/kWh [USD/PH/day].

    1 PH/s at e J/TH draws e kW, so a day uses 24·e kWh. Worked example
    (derived): 20 J/TH at 0.05 USD/kWh gives 24 USD/PH/day.
    """
    e = np.asarray(efficiency_j_per_th, dtype=np.float64)
    p = np.asarray(power_usd_per_mwh, dtype=np.float64)
    return np.asarray(24.0 * e * p / 1000.0)


def breakeven_power_usd_per_mwh(
    hashprice_usd_per_ph_day: ArrayLike, efficiency_j_per_th: ArrayLike
) -> FloatArray:
    """Power price at which hashcost equals hashprice: hashprice/(24·J/TH·1e-3) [USD/MWh].

    Worked example (derived): 50 USD/PH/day at 20 J/TH gives about 104 USD/MWh, within
    the 100-200 USD/MWh breakevens reported in
    https://coincompare.eu/bitcoin-mining-and-ercot-the-data-tells-the-story/
    """
    hp = np.asarray(hashprice_usd_per_ph_day, dtype=np.float64)
    e = np.asarray(efficiency_j_per_th, dtype=np.float64)
    return np.asarray(hp / (24.0 * e * 1e-3))


def _blocks_in_interval(
    rate_blocks_per_day: FloatArray, days: FloatArray, blocks_to_boundary: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Blocks mined in ``days`` before a boundary, and the days left after it."""
    blocks = rate_blocks_per_day * days
    crosses = blocks >= blocks_to_boundary
    days_to_boundary = np.where(
        crosses, blocks_to_boundary / np.maximum(rate_blocks_per_day, 1e-300), days
    )
    mined = np.where(crosses, blocks_to_boundary, blocks)
    return mined, days - days_to_boundary


def simulate_chain_daily(
    network_hashrate_h_s: ArrayLike,
    start_height: float,
    start_difficulty: ArrayLike,
    epoch_elapsed_days: ArrayLike | None = None,
) -> dict[str, FloatArray]:
    """Simulate expected block production day by day with exact 2016-block retargets.

    Each day blocks arrive at ``86400·H/(D·2^32)``; when the running height crosses a
    multiple of 2016 inside a day, the day is split, the difficulty retargets on the
    epoch's elapsed time (Ref [2]) and the rest of the day runs at the new difficulty.
    Vectorised over leading axes; the loop runs over days only.

    Parameters
    ----------
    network_hashrate_h_s
        Hashrate per day, shape ``(..., days)``. [H/s]
    start_height
        Block height at the start of day 0. [blocks]
    start_difficulty
        Difficulty at the start, broadcastable to ``(...)``. [-]
    epoch_elapsed_days
        Days since the current epoch began; by default the blocks already in the epoch
        at a 600 s spacing. [days]

    Returns
    -------
    dict
        ``height_start`` (height at each day's start), ``blocks`` (per day),
        ``difficulty`` (at each day's end), each shaped like the hashrate. ``issued_btc``
        is the subsidy issued each day, exact across a halving.

    """
    h = np.asarray(network_hashrate_h_s, dtype=np.float64)
    lead = h.shape[:-1]
    n_days = h.shape[-1]
    height = np.full(lead, float(start_height))
    diff = np.broadcast_to(np.asarray(start_difficulty, dtype=np.float64), lead).copy()
    into_epoch = float(start_height) % RETARGET_INTERVAL_BLOCKS
    if epoch_elapsed_days is None:
        epoch_elapsed_days = into_epoch * TARGET_BLOCK_TIME_S / SECONDS_PER_DAY
    elapsed = np.broadcast_to(np.asarray(epoch_elapsed_days, dtype=np.float64), lead).copy()
    out_height = np.empty_like(h)
    out_blocks = np.empty_like(h)
    out_diff = np.empty_like(h)
    one = np.ones(lead)
    for t in range(n_days):
        out_height[..., t] = height
        rate = expected_blocks_per_day(h[..., t], diff)
        to_boundary = RETARGET_INTERVAL_BLOCKS - np.mod(height, RETARGET_INTERVAL_BLOCKS)
        mined1, rest = _blocks_in_interval(rate, one, to_boundary)
        crossed = rest > 0
        elapsed = elapsed + (1.0 - rest)
        new_diff = retarget_difficulty(diff, elapsed * SECONDS_PER_DAY)
        diff = np.where(crossed, new_diff, diff)
        elapsed = np.where(crossed, 0.0, elapsed)
        rate2 = expected_blocks_per_day(h[..., t], diff)
        mined2 = rate2 * rest
        elapsed = elapsed + rest
        height = height + mined1 + mined2
        out_blocks[..., t] = mined1 + mined2
        out_diff[..., t] = diff
    issued = cumulative_subsidy_btc(out_height + out_blocks) - cumulative_subsidy_btc(out_height)
    return {
        "height_start": out_height,
        "blocks": out_blocks,
        "difficulty": out_diff,
        "issued_btc": issued,
    }


def projected_days_to_height(
    target_height: float,
    start_height: float,
    start_difficulty: float,
    network_hashrate_h_s: ArrayLike,
    epoch_elapsed_days: float | None = None,
) -> FloatArray:
    """Days from the start of the hashrate path until ``target_height`` is reached [days].

    Runs :func:`simulate_chain_daily` along the daily hashrate path (shape
    ``(..., days)``) and interpolates inside the day the height is crossed. Returns NaN
    where the path ends first. Convert with :func:`days_to_date`.
    """
    if target_height <= start_height:
        msg = f"target_height: {target_height} must be above start_height {start_height}"
        raise ValueError(msg)
    chain = simulate_chain_daily(
        network_hashrate_h_s, start_height, start_difficulty, epoch_elapsed_days
    )
    end = chain["height_start"] + chain["blocks"]
    reached = end >= target_height
    first = np.argmax(reached, axis=-1)
    any_reached = np.any(reached, axis=-1)
    start_h = np.take_along_axis(chain["height_start"], first[..., None], -1)[..., 0]
    blocks = np.take_along_axis(chain["blocks"], first[..., None], -1)[..., 0]
    frac = (target_height - start_h) / np.maximum(blocks, 1e-300)
    days = first + frac
    return np.asarray(np.where(any_reached, days, np.nan), dtype=np.float64)


def days_to_date(start_date: dt.date, days: float) -> dt.date:
    """The calendar date ``days`` (fractional) after ``start_date``."""
    return start_date + dt.timedelta(days=float(days))
