"""Compiled month loops of the network models: one path at a time, in parallel over paths.

:class:`hashpivot.network_chain.MonthlyChain` and
:func:`hashpivot.network_supply.simulate_supply_curve` define the models with NumPy
operations over all paths at once; a month there is a few dozen full-width array
operations (the retarget passes, the halving correction, the tiers' running shares),
each reading and writing every path. Here the same arithmetic runs as scalar code per
path, with the chain's state in registers and the loop over paths split across cores
(``numba.prange``; Ref [1]). The two give the same numbers to rounding
(``tests/test_network_kernels.py`` holds them to 1e-9) and the same numbers whatever
the thread count (paths never interact). The NumPy versions stay as the readable
definition and run where numba is not installed.

The state of a path's chain is a small vector indexed by the ``_H`` ... ``_NH`` constants
below; the month step follows :meth:`MonthlyChain.step` line by line (see there for the
closed forms and Refs).

References
----------
.. [1] Lam, S.K., Pitrou, A. and Seibert, S. (2015), "Numba: a LLVM-based Python JIT
   compiler", Proc. LLVM-HPC 2015. https://doi.org/10.1145/2833157.2833162 ; research
   methods.md section 8 (numba prange over paths for path-dependent recursions).

"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from hashpivot import bitcoin
from hashpivot.kernels import HAVE_NUMBA as HAVE_NUMBA

FloatArray = npt.NDArray[np.float64]

_H, _KD, _EL, _EB, _SUB, _NH = range(6)
"""Positions in a path's chain state, as :meth:`MonthlyChain.state` stacks it: height
[blocks], block rate per H/s ``86400/(D·2^32)`` [blocks/day/(H/s)], days into the epoch
[days], blocks into the epoch [blocks], subsidy [BTC], next halving height [blocks]."""
SUBSIDY_BTC_BY_EPOCH = bitcoin.subsidy_btc(
    np.arange(bitcoin.LAST_SUBSIDY_EPOCH + 2) * bitcoin.HALVING_INTERVAL_BLOCKS
)
"""Block subsidy of each halving epoch, 0 after the last [BTC] (Bitcoin Core's shift)."""

_K = bitcoin.SECONDS_PER_DAY / bitcoin.HASHES_PER_DIFFICULTY
_RETARGET = float(bitcoin.RETARGET_INTERVAL_BLOCKS)
_HALVING = float(bitcoin.HALVING_INTERVAL_BLOCKS)
_DAYS_TO_TARGET_RATIO = bitcoin.SECONDS_PER_DAY / (
    bitcoin.RETARGET_INTERVAL_BLOCKS * bitcoin.TARGET_BLOCK_TIME_S
)
_CLAMP_LO, _CLAMP_HI = 1.0 / bitcoin.MAX_RETARGET_FACTOR, bitcoin.MAX_RETARGET_FACTOR
_LAST_EPOCH = bitcoin.LAST_SUBSIDY_EPOCH + 1
_MIN_ABS_G = 1e-12  # as network_chain._MIN_ABS_GROWTH_PER_DAY
_MAX_PASSES = 64  # as network_chain.MAX_RETARGETS_PER_MONTH
_HP_USD_FACTOR = bitcoin.SECONDS_PER_DAY * 1e15 / bitcoin.HASHES_PER_DIFFICULTY


if HAVE_NUMBA:
    from numba import njit, prange

    from hashpivot.kernels import twin_kernel

    @njit(cache=True, error_model="numpy", inline="always")
    def _advance(  # pragma: no cover - compiled
        x: float, mined: float, rate: float, g: float, tau: float, clock: float,
        height: float, kd: float, el: float, eb: float, sub: float, nh: float,
        a0: float, a1: float, a2: float, a3: float,
        halving_first: float, halving_day: Any, p: int, subsidy: Any,
    ) -> tuple[float, float, float, float, float, float, float, float]:  # fmt: skip
        """A piece of ``x`` days with ``mined`` blocks at constant difficulty.

        ``a0..a3`` accumulate ∫K/D dt, ∫subsidy·K/D dt, BTC issued and blocks; returns
        the epoch clock and blocks, subsidy, next halving and the four sums, updated.
        """
        kd_x = x * kd
        a0 += kd_x
        a1 += kd_x * sub
        a2 += mined * sub
        height_after = height + a3 + mined
        a3 += mined
        eb += mined
        el += x
        if height_after >= nh:
            s_new = subsidy[min(int(nh // _HALVING), _LAST_EPOCH)]
            before = nh - (height_after - mined)
            x_h = math.log1p(max(g * before / rate, -1.0 + 1e-15)) / g
            frac_after = 1.0 - x_h / max(x, 1e-300)
            a1 += kd_x * frac_after * (s_new - sub)
            a2 += (mined - before) * (s_new - sub)
            n = halving_day.shape[1]
            if n > 0:
                j = int((nh - halving_first) // _HALVING)
                if 0 <= j < n:
                    halving_day[p, j] = clock + tau + x_h
            sub = s_new
            nh = nh + _HALVING
        return el, eb, sub, nh, a0, a1, a2, a3

    @njit(cache=True, error_model="numpy", inline="always")
    def _chain_month(  # pragma: no cover - compiled
        h0: float, h1: float, days: float, clock: float,
        height: float, kd: float, el: float, eb: float, sub: float, nh: float,
        halving_first: float, halving_day: Any, p: int, subsidy: Any,
    ) -> tuple[float, ...]:  # fmt: skip
        """One month of one path (:meth:`MonthlyChain.step`).

        Returns the state at the month's end (height, K/D, epoch days and blocks,
        subsidy, next halving), then ∫K/D dt, ∫subsidy·K/D dt, BTC issued, blocks found
        and the mean hashrate [H/s].
        """
        log_ratio = math.log(h1 / h0)
        g = log_ratio * (1.0 / days)
        if abs(g) < _MIN_ABS_G:
            g = _MIN_ABS_G
        a0 = a1 = a2 = a3 = 0.0
        tau = 0.0
        rate = h0 * kd
        for _ in range(_MAX_PASSES):
            to_boundary = _RETARGET - eb
            y = g * to_boundary / rate
            x_b = math.log1p(max(y, -1.0 + 1e-15)) / g
            if not x_b <= days - tau:
                break
            el, eb, sub, nh, a0, a1, a2, a3 = _advance(
                x_b, to_boundary, rate, g, tau, clock, height, kd, el, eb, sub, nh,
                a0, a1, a2, a3, halving_first, halving_day, p, subsidy,
            )  # fmt: skip
            tau += x_b
            ratio = min(max(el * _DAYS_TO_TARGET_RATIO, _CLAMP_LO), _CLAMP_HI)
            el = 0.0
            eb = 0.0
            kd *= ratio
            rate *= (1.0 + y) * ratio
        x = days - tau
        rate_end = kd * h1
        gx = g * x
        mined = rate * x * (1.0 + 0.5 * gx) if abs(gx) < 1e-5 else (rate_end - rate) / g
        el, eb, sub, nh, a0, a1, a2, a3 = _advance(
            x, mined, rate, g, tau, clock, height, kd, el, eb, sub, nh,
            a0, a1, a2, a3, halving_first, halving_day, p, subsidy,
        )  # fmt: skip
        height += a3
        mean_h = 0.5 * (h0 + h1) if abs(log_ratio) < 1e-9 else (h1 - h0) / log_ratio
        return height, kd, el, eb, sub, nh, a0, a1, a2, a3, mean_h

    @njit(cache=True, error_model="numpy", inline="always")
    def _record(  # pragma: no cover - compiled
        out: Any, p: int, t: int, height: float, kd: float, fee: float, days: float,
        inv_d: float, sub_d: float, issued: float, blocks: float, mean_h: float,
    ) -> None:  # fmt: skip
        """Store month ``t`` of path ``p`` in the six output rows (:data:`OUTPUT_KEYS`)."""
        out[0, p, t] = mean_h * 1e-18
        out[1, p, t] = _K / kd
        out[2, p, t] = height
        out[3, p, t] = blocks
        out[4, p, t] = issued
        out[5, p, t] = (sub_d + fee * inv_d) * (1e15 / days)

    def _chain_loop(  # pragma: no cover - compiled
        h_start: Any, h_end: Any, fees: Any, days: Any, month_start_day: Any, st0: Any,
        halving_first: float, n_halvings: int, subsidy: Any,
    ) -> tuple[Any, Any]:  # fmt: skip
        n_p, n_m = h_end.shape
        out = np.empty((6, n_p, n_m))
        halving_day = np.full((n_p, n_halvings), np.nan)
        for p in prange(n_p):
            height, kd, el, eb, sub, nh = (
                st0[_H, p], st0[_KD, p], st0[_EL, p], st0[_EB, p], st0[_SUB, p], st0[_NH, p]
            )  # fmt: skip
            h_prev = h_start[p]
            for t in range(n_m):
                h1 = h_end[p, t]
                height, kd, el, eb, sub, nh, inv_d, sub_d, issued, blocks, mean_h = _chain_month(
                    h_prev, h1, days[t], month_start_day[t], height, kd, el, eb, sub, nh,
                    halving_first, halving_day, p, subsidy,
                )  # fmt: skip
                _record(out, p, t, height, kd, fees[p, t], days[t], inv_d, sub_d, issued,
                        blocks, mean_h)  # fmt: skip
                h_prev = h1
        return out, halving_day

    def _supply_loop(  # pragma: no cover - compiled
        price: Any, fees: Any, noise_factor: Any, build: Any, log_cost: Any, days: Any,
        month_start_day: Any, tier_factor: Any, tier_width: Any, cap0: Any, pipe0: Any,
        mlp0: Any, shock0: Any, st0: Any, h0_h_s: float, params: Any,
        halving_first: float, n_halvings: int, subsidy: Any,
    ) -> tuple[Any, Any]:  # fmt: skip
        n_p, n_m = price.shape
        n_k = cap0.shape[0]
        n_s = pipe0.shape[0]
        stage_rate, minus_2beta, alpha, rho, innov_sd = params[:5]
        target_margin, build_response, retire, min_running = params[5:9]
        out = np.empty((6, n_p, n_m))
        halving_day = np.full((n_p, n_halvings), np.nan)
        for p in prange(n_p):
            height, kd, el, eb, sub, nh = (
                st0[_H, p], st0[_KD, p], st0[_EL, p], st0[_EB, p], st0[_SUB, p], st0[_NH, p]
            )  # fmt: skip
            cap = cap0[:, p].copy()
            pipe = pipe0[:, p].copy()
            flow = np.empty(max(n_k, n_s))
            mlp = mlp0[p]
            shock = shock0[p]
            h_prev = h0_h_s
            for t in range(n_m):
                fee = fees[p, t]
                hp = _HP_USD_FACTOR / (_K / kd) * (sub + fee) * price[p, t]
                x = math.log(hp) - log_cost[t]
                for k in range(n_s):  # deliver: network_supply._deliver
                    flow[k] = pipe[k] * stage_rate
                for k in range(n_s):
                    pipe[k] -= flow[k]
                for k in range(1, n_s):
                    pipe[k] += flow[k - 1]
                cap[0] += flow[n_s - 1]
                e = math.exp(minus_2beta * x)  # network_supply.running_frac
                running = 0.0
                for k in range(n_k):
                    running += cap[k] * (1.0 / (tier_factor[k] * e + 1.0))
                running = max(running, min_running)
                h1 = running * 1e18 * noise_factor[t, p]
                height, kd, el, eb, sub, nh, inv_d, sub_d, issued, blocks, mean_h = _chain_month(
                    h_prev, h1, days[t], month_start_day[t], height, kd, el, eb, sub, nh,
                    halving_first, halving_day, p, subsidy,
                )  # fmt: skip
                _record(out, p, t, height, kd, fee, days[t], inv_d, sub_d, issued, blocks,
                        mean_h)  # fmt: skip
                mlp += alpha * (x - mlp)
                shock = rho * shock + innov_sd * float(build[t, p])
                on_order = 0.0  # network_supply._orders_eh_s
                for k in range(n_s):
                    on_order += pipe[k]
                supply_line = running + on_order
                expected = 1.0 - supply_line / running * math.exp(-mlp)
                required = 1.0 - (1.0 - target_margin) * math.exp(-shock)
                pipe[0] += build_response * supply_line * max(expected - required, 0.0)
                for k in range(n_k - 1):  # ageing: network_supply._age
                    flow[k] = cap[k] / tier_width[k]
                cap[n_k - 1] *= 1.0 - retire
                for k in range(n_k - 1):
                    cap[k] -= flow[k]
                for k in range(n_k - 1):
                    cap[k + 1] += flow[k]
                h_prev = h1
        return out, halving_day

    _chain_kernel = twin_kernel(_chain_loop, cache=True, error_model="numpy")
    _supply_kernel = twin_kernel(_supply_loop, cache=True, error_model="numpy")


OUTPUT_KEYS = (
    "network_hashrate_eh_s",
    "difficulty",
    "height_end",
    "blocks",
    "issued_btc",
    "hashprice_btc_per_ph_day",
)
"""What the kernels return, in order, each ``(paths, months)``."""


def chain_months(
    h_start_h_s: FloatArray,
    h_end_h_s: FloatArray,
    fees_btc_per_block: FloatArray,
    days: FloatArray,
    month_start_day: FloatArray,
    state: FloatArray,
    halving_heights: npt.NDArray[np.int64],
) -> tuple[dict[str, FloatArray], FloatArray]:
    """The chain under given month-end hashrates, compiled; outputs and halving days."""
    out, halving_day = _chain_kernel(
        np.ascontiguousarray(h_start_h_s, dtype=np.float64),
        np.ascontiguousarray(h_end_h_s, dtype=np.float64),
        np.ascontiguousarray(fees_btc_per_block, dtype=np.float64),
        np.ascontiguousarray(days, dtype=np.float64),
        np.ascontiguousarray(month_start_day, dtype=np.float64),
        np.ascontiguousarray(state),
        float(halving_heights[0]) if len(halving_heights) else 0.0,
        len(halving_heights),
        SUBSIDY_BTC_BY_EPOCH,
    )
    return dict(zip(OUTPUT_KEYS, out, strict=True)), halving_day


def supply_months(
    arrays: dict[str, Any],
    params: FloatArray,
    h0_h_s: float,
    halving_heights: npt.NDArray[np.int64],
) -> tuple[dict[str, FloatArray], FloatArray]:
    """The supply-curve month loop, compiled; outputs and halving days.

    ``arrays`` holds ``price, fees`` ``(paths, months)``; ``noise_factor`` (the running
    hashrate's multiplicative shock) and ``build`` (the order shock's innovations) ``(months,
    paths)``; ``log_cost, days, month_start_day`` ``(months,)``; ``tier_factor,
    tier_width``; the fleet's ``capacity, pipeline`` ``(tiers or stages, paths)``,
    ``mean_log_profit, order_shock`` ``(paths,)``; and the chain ``state`` ``(6, paths)``.
    ``params`` are the scalars in the order :func:`_supply_kernel` unpacks them.
    """
    a = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    out, halving_day = _supply_kernel(
        a["price"], a["fees"], a["noise_factor"], a["build"], a["log_cost"], a["days"],
        a["month_start_day"], a["tier_factor"], a["tier_width"], a["capacity"],
        a["pipeline"], a["mean_log_profit"], a["order_shock"], a["state"], h0_h_s,
        np.ascontiguousarray(params, dtype=np.float64),
        float(halving_heights[0]) if len(halving_heights) else 0.0,
        len(halving_heights), SUBSIDY_BTC_BY_EPOCH,
    )  # fmt: skip
    return dict(zip(OUTPUT_KEYS, out, strict=True)), halving_day
