"""Compiled month loops of the network models: one path at a time, in parallel over paths.

:class:`hashpivot.network.chain.MonthlyChain` and
:func:`hashpivot.network.supply.simulate_supply_curve` define the models with NumPy
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
   compiler", Proc. LLVM-HPC 2015. https://doi.org/10.1145/2833157.2833162 ;
   ``numba.prange`` over paths for path-dependent recursions, https://numba.readthedocs.io/en/stable/user/parallel.html

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
_MIN_ABS_G = 1e-12  # as chain._MIN_ABS_GROWTH_PER_DAY
_MAX_PASSES = 64  # as chain.MAX_RETARGETS_PER_MONTH
_HP_USD_FACTOR = bitcoin.SECONDS_PER_DAY * 1e15 / bitcoin.HASHES_PER_DIFFICULTY
_G, _RATE, _TAU, _A0, _A1, _A2, _A3 = range(7)
"""Rows of a lane's month scratch: growth rate [1/day], block rate [blocks/day], days
into the month, and the four month sums of :func:`_advance`."""
_SCRATCH = 7
EQUILIBRIUM_HP_FACTOR = 86400.0 / bitcoin.TARGET_BLOCK_TIME_S * 1e15 / 1e18
"""Hashprice when difficulty matches the hashrate: this × reward [BTC] × price [USD/BTC]
/ hashrate [EH/s] = USD per PH/s per day (144 blocks a day shared by the hashrate)."""
NEWTON_STEP_TOL = 1e-8
"""The equilibrium solve stops after a Newton step smaller than this in ln(EH/s); the
error left is of the order of its square [-]."""
NEWTON_MAX_STEPS = 50
"""Cap on the equilibrium solve's Newton steps per path and month (it takes 2-6) [-]."""
LANES = 64
"""Paths the kernels step through each part of a month together [paths]."""


if HAVE_NUMBA:
    from numba import njit, prange

    from hashpivot.kernels import twin_kernel

    @njit(cache=True, error_model="numpy", inline="always")
    def _advance(  # pragma: no cover - compiled
        x: float, mined: float, rate: float, g: float, tau: float, clock: float,
        height: float, kd: float, el: float, eb: float, sub: float, nh: float,
        a0: float, a1: float, a2: float, a3: float,
        halving_first: float, halving_day: Any, p: int, subsidy: Any, exact: bool,
    ) -> tuple[float, float, float, float, float, float, float, float, bool]:  # fmt: skip
        """A piece of ``x`` days with ``mined`` blocks at constant difficulty.

        ``a0..a3`` accumulate ∫K/D dt, ∫subsidy·K/D dt, BTC issued and blocks; returns
        the epoch clock and blocks, subsidy, next halving and the four sums, updated, and
        whether the piece reaches the next halving. Only with ``exact`` does it then
        split the piece at the halving (the subsidy changes there); without, the caller
        must redo the piece with ``exact`` (:func:`_lane_month`).
        """
        kd_x = x * kd
        a0 += kd_x
        a1 += kd_x * sub
        a2 += mined * sub
        height_after = height + a3 + mined
        a3 += mined
        eb += mined
        el += x
        crossed = height_after >= nh
        if exact and crossed:
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
        return el, eb, sub, nh, a0, a1, a2, a3, crossed

    @njit(cache=True, error_model="numpy", inline="always")
    def _predicted_log_running(  # pragma: no cover - compiled
        log_run: float, capacity_running: float, s_last: float, q_last: float,
        d_margin: float,
    ) -> float:  # fmt: skip
        """Last month's log running hashrate moved by one linearised Newton step.

        At last month's root ``u = ln S``. This month the capacities ``C_k`` have moved
        (deliveries, ageing) and the reward margin ``A`` by ``d_margin``; to first order
        ``ln S(u)`` moves by ``Σ C_k·w_k/S − 1`` (``capacity_running`` = Σ C_k·w_k at
        last month's shares ``w_k``, ``s_last`` = S) plus ``q·dA`` (``q_last`` = 2β·Σ
        C_k·w_k(1 − w_k)/S = ∂ln S/∂A), and ``g(u) = u − ln S(u)`` has slope ``1 + q``.
        No transcendental function; a guess only, kept within 1 of ``log_run`` (Newton
        then finds the root from wherever it starts, as from last month's).
        """
        if not s_last > 0.0:
            return log_run
        d = (capacity_running / s_last - 1.0 + q_last * d_margin) / (1.0 + q_last)
        return log_run + d if abs(d) <= 1.0 else log_run

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

    @njit(cache=True, error_model="numpy")
    def _lane_month(  # pragma: no cover - compiled
        st: Any, h0: Any, h1: Any, log_ratio: Any, w: Any, active: Any, days: float,
        clock: float, halving_first: float, halving_day: Any, p0: int, subsidy: Any,
        out: Any, t: int, fees: Any, exact: bool,
    ) -> bool:  # fmt: skip
        """Month ``t`` of a lane of paths ``p0, p0 + 1, ...`` (:meth:`MonthlyChain.step`).

        ``st`` ``(6, n)`` holds the lane's chain state (:data:`_H` ...), updated in place;
        ``h0``, ``h1`` the month's start and end hashrates [H/s], ``log_ratio`` ln(h1/h0);
        ``w`` ``(7, n)`` and ``active`` ``(n,)`` are scratch. The month runs in pieces
        between retargets; each pass finds, for every path of the lane still crossing an
        epoch boundary, the time of the crossing (a logarithm and two divisions that
        depend on each other) before the next pass starts, so the processor works on
        several paths' chains at once. Each path's arithmetic is the same as alone.

        Returns whether a path of the lane reaches a halving in the month. Without
        ``exact`` the month is then not right: the caller runs it again with ``exact``
        from the state it started from (:func:`_month_of_lane`). A halving comes every
        210 000 blocks, about once in 48 months, so most months take the loops that
        carry no halving branch (with it the loops cost about 40 % more) and give the
        same numbers as with it.
        """
        n = st.shape[1]
        halving = False
        for j in range(n):
            g = log_ratio[j] * (1.0 / days)
            if abs(g) < _MIN_ABS_G:
                g = _MIN_ABS_G
            w[_G, j] = g
            w[_RATE, j] = h0[j] * st[_KD, j]
            w[_TAU, j] = 0.0
            for k in range(_A0, _A3 + 1):
                w[k, j] = 0.0
            active[j] = True
        for _ in range(_MAX_PASSES):
            crossing = False
            for j in range(n):
                if not active[j]:
                    continue
                g, rate, tau = w[_G, j], w[_RATE, j], w[_TAU, j]
                to_boundary = _RETARGET - st[_EB, j]
                y = g * to_boundary / rate
                # x_b >= to_boundary / (rate·(1 + max(y, 0))) (ln(1+y) >= y/(1+y)): when
                # that bound is already past the month's end, skip the logarithm
                if to_boundary > (days - tau) * (1.0 + 1e-9) * (rate * (1.0 + max(y, 0.0))):
                    active[j] = False
                    continue
                x_b = math.log1p(max(y, -1.0 + 1e-15)) / g
                if not x_b <= days - tau:
                    active[j] = False
                    continue
                kd = st[_KD, j]
                el, _, sub, nh, a0, a1, a2, a3, crossed = _advance(
                    x_b, to_boundary, rate, g, tau, clock, st[_H, j], kd, st[_EL, j],
                    st[_EB, j], st[_SUB, j], st[_NH, j], w[_A0, j], w[_A1, j], w[_A2, j],
                    w[_A3, j], halving_first, halving_day, p0 + j, subsidy, exact,
                )  # fmt: skip
                halving = halving or crossed
                ratio = min(max(el * _DAYS_TO_TARGET_RATIO, _CLAMP_LO), _CLAMP_HI)
                st[_EL, j], st[_EB, j], st[_SUB, j], st[_NH, j] = 0.0, 0.0, sub, nh
                st[_KD, j] = kd * ratio
                w[_TAU, j] = tau + x_b
                w[_RATE, j] = rate * ((1.0 + y) * ratio)
                w[_A0, j], w[_A1, j], w[_A2, j], w[_A3, j] = a0, a1, a2, a3
                crossing = True
            if not crossing:
                break
        for j in range(n):  # the rest of the month, at the last difficulty
            g, rate, tau, kd = w[_G, j], w[_RATE, j], w[_TAU, j], st[_KD, j]
            x = days - tau
            rate_end = kd * h1[j]
            gx = g * x
            mined = rate * x * (1.0 + 0.5 * gx) if abs(gx) < 1e-5 else (rate_end - rate) / g
            el, eb, sub, nh, a0, a1, a2, a3, crossed = _advance(
                x, mined, rate, g, tau, clock, st[_H, j], kd, st[_EL, j], st[_EB, j],
                st[_SUB, j], st[_NH, j], w[_A0, j], w[_A1, j], w[_A2, j], w[_A3, j],
                halving_first, halving_day, p0 + j, subsidy, exact,
            )  # fmt: skip
            halving = halving or crossed
            height = st[_H, j] + a3
            st[_H, j], st[_EL, j], st[_EB, j], st[_SUB, j], st[_NH, j] = height, el, eb, sub, nh
            lr = log_ratio[j]
            mean_h = 0.5 * (h0[j] + h1[j]) if abs(lr) < 1e-9 else (h1[j] - h0[j]) / lr
            _record(out, p0 + j, t, height, kd, fees[p0 + j, t], days, a0, a1, a2, a3, mean_h)
        return halving

    @njit(cache=True, error_model="numpy")
    def _month_of_lane(  # pragma: no cover - compiled
        st: Any, saved: Any, h0: Any, h1: Any, log_ratio: Any, w: Any, active: Any,
        days: float, clock: float, halving_first: float, halving_day: Any, p0: int,
        subsidy: Any, out: Any, t: int, fees: Any,
    ) -> None:  # fmt: skip
        """:func:`_lane_month` without the halving branch, again with it if one comes.

        ``saved`` ``(6, n)`` is scratch for the lane's state at the start of the month.
        """
        saved[:, :] = st
        if _lane_month(
            st, h0, h1, log_ratio, w, active, days, clock, halving_first, halving_day, p0,
            subsidy, out, t, fees, False,
        ):  # fmt: skip
            st[:, :] = saved
            _lane_month(
                st, h0, h1, log_ratio, w, active, days, clock, halving_first, halving_day,
                p0, subsidy, out, t, fees, True,
            )  # fmt: skip

    def _chain_loop(  # pragma: no cover - compiled
        h_start: Any, h_end: Any, fees: Any, days: Any, month_start_day: Any, st0: Any,
        halving_first: float, n_halvings: int, subsidy: Any,
    ) -> tuple[Any, Any]:  # fmt: skip
        n_p, n_m = h_end.shape
        out = np.empty((6, n_p, n_m))
        halving_day = np.full((n_p, n_halvings), np.nan)
        for lane in prange((n_p + LANES - 1) // LANES):
            p0 = lane * LANES
            n = min(LANES, n_p - p0)
            st = st0[:, p0 : p0 + n].copy()
            h0 = h_start[p0 : p0 + n].copy()
            h1 = np.empty(n)
            log_ratio = np.empty(n)
            w = np.empty((_SCRATCH, n))
            saved = np.empty((6, n))
            active = np.empty(n, np.bool_)
            for t in range(n_m):
                for j in range(n):
                    h1[j] = h_end[p0 + j, t]
                    log_ratio[j] = math.log(h1[j] / h0[j])
                _month_of_lane(
                    st, saved, h0, h1, log_ratio, w, active, days[t], month_start_day[t],
                    halving_first, halving_day, p0, subsidy, out, t, fees,
                )  # fmt: skip
                h0[:] = h1
        return out, halving_day

    def _supply_loop(  # pragma: no cover - compiled
        price: Any, fees: Any, noise_factor: Any, build: Any, log_cost: Any, days: Any,
        month_start_day: Any, tier_factor: Any, tier_width: Any, cap0: Any, pipe0: Any,
        mlp0: Any, shock0: Any, st0: Any, h0_h_s: float, log_h0: float, params: Any,
        halving_first: float, n_halvings: int, subsidy: Any,
    ) -> tuple[Any, Any]:  # fmt: skip
        """The supply-curve month loop (:func:`supply._run_months`), by lanes.

        Each step of a month runs over a lane of :data:`LANES` paths before the next
        step: the tiers' and pipeline stages' updates then vectorise over the paths,
        and the logarithms, exponentials and retarget passes of different paths overlap.
        Each path's arithmetic is that of one path alone, in the same order.

        Newton's method for the running hashrate starts from a first-order prediction
        of the month's root instead of last month's (:func:`_predicted_log_running`):
        about 2.9 steps a month instead of 3.7, to the same root within the steps'
        tolerance (the error left after the last step is of the order of its square,
        below 1e-15); the months that follow carry differences of rounding size.
        """
        n_p, n_m = price.shape
        n_k = cap0.shape[0]
        n_s = pipe0.shape[0]
        stage_rate, two_beta, alpha, rho, innov_sd = params[:5]
        target_margin, build_response, retire, min_running = params[5:9]
        out = np.empty((6, n_p, n_m))
        halving_day = np.full((n_p, n_halvings), np.nan)
        for lane in prange((n_p + LANES - 1) // LANES):
            p0 = lane * LANES
            n = min(LANES, n_p - p0)
            st = st0[:, p0 : p0 + n].copy()
            cap = cap0[:, p0 : p0 + n].copy()
            pipe = pipe0[:, p0 : p0 + n].copy()
            mlp = mlp0[p0 : p0 + n].copy()
            shock = shock0[p0 : p0 + n].copy()
            h0 = np.full(n, h0_h_s)
            log_run = np.full(n, log_h0)  # ln of the running hashrate [ln EH/s]
            margin = np.empty(n)
            slope = np.empty(n)
            solving = np.empty(n, np.bool_)
            h1 = np.empty(n)
            log_ratio = np.empty(n)
            x = np.empty(n)
            e = np.empty(n)
            running = np.empty(n)
            flow = np.empty((max(n_k, n_s), n))
            w = np.empty((_SCRATCH, n))
            saved = np.empty((6, n))
            active = np.empty(n, np.bool_)
            # at the last Newton step of the month: each tier's running share, the
            # running capacity, its log slope 2β·Σ C·w(1 − w)/S and the reward margin
            share_k = np.zeros((n_k, n))
            s_last = np.zeros(n)
            q_last = np.zeros(n)
            margin_last = np.zeros(n)
            for t in range(n_m):
                for j in range(n):  # log margin of the frontier machine
                    p = p0 + j
                    kd, sub = st[_KD, j], st[_SUB, j]
                    hp = _HP_USD_FACTOR / (_K / kd) * (sub + fees[p, t]) * price[p, t]
                    x[j] = math.log(hp) - log_cost[t]
                for j in range(n):  # equilibrium log profitability at 1 EH/s
                    p = p0 + j
                    reward = st[_SUB, j] + fees[p, t]
                    margin[j] = math.log(EQUILIBRIUM_HP_FACTOR * reward * price[p, t]) - log_cost[t]
                for k in range(n_s):  # deliveries: supply._deliver
                    for j in range(n):
                        flow[k, j] = pipe[k, j] * stage_rate
                for k in range(n_s):
                    for j in range(n):
                        pipe[k, j] -= flow[k, j]
                for k in range(1, n_s):
                    for j in range(n):
                        pipe[k, j] += flow[k - 1, j]
                for j in range(n):
                    cap[0, j] += flow[n_s - 1, j]
                    solving[j] = True
                if t > 0:
                    for j in range(n):
                        capacity_running = 0.0
                        for k in range(n_k):
                            capacity_running += cap[k, j] * share_k[k, j]
                        log_run[j] = _predicted_log_running(
                            log_run[j], capacity_running, s_last[j], q_last[j],
                            margin[j] - margin_last[j],
                        )  # fmt: skip
                # the running hashrate its own hashprice keeps running, by Newton steps
                # over the lane's paths (supply.equilibrium_log_running)
                for _ in range(NEWTON_MAX_STEPS):
                    more = False
                    for j in range(n):
                        if not solving[j]:
                            continue
                        e[j] = math.exp(two_beta * (log_run[j] - margin[j]))
                        running[j] = 0.0
                        slope[j] = 0.0
                    for k in range(n_k):
                        for j in range(n):
                            if solving[j]:
                                share = 1.0 / (tier_factor[k] * e[j] + 1.0)
                                share_k[k, j] = share
                                running[j] += cap[k, j] * share
                                slope[j] += cap[k, j] * (share * (1.0 - share))
                    for j in range(n):
                        if not solving[j]:
                            continue
                        g = log_run[j] - math.log(running[j])
                        q = two_beta * slope[j] / running[j]
                        s_last[j], q_last[j], margin_last[j] = running[j], q, margin[j]
                        step = g / (1.0 + q)
                        log_run[j] -= step
                        if abs(step) >= NEWTON_STEP_TOL:
                            more = True
                        else:
                            solving[j] = False
                    if not more:
                        break
                for j in range(n):
                    running[j] = math.exp(log_run[j])
                for j in range(n):
                    r = max(running[j], min_running)
                    running[j] = r
                    h1[j] = r * 1e18 * noise_factor[t, p0 + j]
                for j in range(n):
                    log_ratio[j] = math.log(h1[j] / h0[j])
                _month_of_lane(
                    st, saved, h0, h1, log_ratio, w, active, days[t], month_start_day[t],
                    halving_first, halving_day, p0, subsidy, out, t, fees,
                )  # fmt: skip
                h0[:] = h1
                for j in range(n):  # orders: supply._orders_eh_s
                    m = mlp[j] + alpha * (x[j] - mlp[j])
                    mlp[j] = m
                    s = rho * shock[j] + innov_sd * float(build[t, p0 + j])
                    shock[j] = s
                    e[j] = math.exp(-m)
                    log_ratio[j] = math.exp(-s)  # scratch: the required margin's factor
                for j in range(n):
                    on_order = 0.0
                    for k in range(n_s):
                        on_order += pipe[k, j]
                    supply_line = running[j] + on_order
                    expected = 1.0 - supply_line / running[j] * e[j]
                    required = 1.0 - (1.0 - target_margin) * log_ratio[j]
                    pipe[0, j] += build_response * supply_line * max(expected - required, 0.0)
                for k in range(n_k - 1):  # ageing: supply._age
                    for j in range(n):
                        flow[k, j] = cap[k, j] / tier_width[k]
                for j in range(n):
                    cap[n_k - 1, j] *= 1.0 - retire
                for k in range(n_k - 1):
                    for j in range(n):
                        cap[k, j] -= flow[k, j]
                for k in range(n_k - 1):
                    for j in range(n):
                        cap[k + 1, j] += flow[k, j]
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
    h0_eh_s: float,
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
        a["pipeline"], a["mean_log_profit"], a["order_shock"], a["state"], h0_eh_s * 1e18,
        math.log(h0_eh_s), np.ascontiguousarray(params, dtype=np.float64),
        float(halving_heights[0]) if len(halving_heights) else 0.0,
        len(halving_heights), SUBSIDY_BTC_BY_EPOCH,
    )  # fmt: skip
    return dict(zip(OUTPUT_KEYS, out, strict=True)), halving_day
