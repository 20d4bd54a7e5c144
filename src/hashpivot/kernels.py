"""Compiled inner loops of the Monte Carlo, with plain-NumPy twins that define them.

The mining cash flows of a site are a sum over its fleets of coefficients times a
running indicator (:class:`hashpivot.projection.FleetCoefficients`). NumPy evaluates that
with a handful of full-size temporaries per fleet; the numba kernel fuses the loop over
fleets into one pass over ``(paths, months)``, in parallel over paths, which is several
times faster and allocates nothing but its outputs. Both give the same numbers (a test
holds them to 1e-12); the NumPy twin is used when numba is not installed.

References
----------
.. [1] Lam, S.K., Pitrou, A. and Seibert, S. (2015), "Numba: a LLVM-based Python JIT
   compiler", Proc. LLVM-HPC 2015. https://doi.org/10.1145/2833157.2833162 ;
   ``numba.prange`` over paths for path-dependent recursions, https://numba.readthedocs.io/en/stable/user/parallel.html

"""

from __future__ import annotations

import contextlib
import threading
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

try:  # numba is a dependency, but the package still works (slower) without it
    from numba import njit, prange

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised only where numba is absent
    HAVE_NUMBA = False

_MINING_LANE = 64
"""Paths of the company mining kernel that share one set of month buffers [paths]."""


@contextlib.contextmanager
def kernel_threads(n: int) -> Iterator[None]:
    """Run the compiled kernels on ``n`` threads inside the block (numba's setting)."""
    if not HAVE_NUMBA:
        yield
        return
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(n, int(numba.config.NUMBA_NUM_THREADS))))  # type: ignore[attr-defined]
    try:
        yield
    finally:
        numba.set_num_threads(before)


_here = threading.local()


@contextlib.contextmanager
def serial_kernels() -> Iterator[None]:
    """Run the compiled kernels single-threaded, and without the GIL, in this thread.

    For work split across Python threads (chunks of paths, each on its own core): each
    thread then uses one core instead of every thread asking numba for all of them (and
    numba's fallback "workqueue" layer refuses parallel kernels run from two threads at
    once), and the serial twins of :func:`twin_kernel` release the GIL, so the threads
    overlap.
    """
    before = getattr(_here, "serial", False)
    _here.serial = True
    try:
        yield
    finally:
        _here.serial = before


def kernels_are_serial() -> bool:
    """Whether this thread is inside :func:`serial_kernels`."""
    return bool(getattr(_here, "serial", False))


def twin_kernel(py_func: Callable[..., Any], **options: Any) -> Callable[..., Any]:
    """``py_func`` compiled twice: parallel over its ``prange`` loop, and serial + nogil.

    Calls go to the serial twin inside :func:`serial_kernels`, else to the parallel one.
    The twins are compiled from copies with distinct qualified names, so numba's on-disk
    cache keeps them apart. Both give the same numbers: paths never interact.
    """
    parallel = njit(parallel=True, **options)(py_func)
    copy = types.FunctionType(
        py_func.__code__, py_func.__globals__, f"{py_func.__name__}_serial",
        py_func.__defaults__, py_func.__closure__,
    )  # fmt: skip
    copy.__qualname__ = f"{py_func.__qualname__}_serial"
    copy.__module__ = py_func.__module__
    serial = njit(nogil=True, **options)(copy)

    def call(*args: Any) -> Any:
        return (serial if kernels_are_serial() else parallel)(*args)

    call.__doc__ = py_func.__doc__
    call.__name__ = py_func.__name__
    call.parallel, call.serial = parallel, serial  # type: ignore[attr-defined]
    return call


def thread_count() -> int:
    """Threads the compiled kernels run on (numba's setting; 1 without numba) [-]."""
    if not HAVE_NUMBA:
        return 1
    import numba

    return int(numba.get_num_threads())


def ar1_accumulate_numpy(z: FloatArray, phi: float) -> FloatArray:
    """``z[..., m] += φ·z[..., m−1]`` for m = 1, 2, ... in place: AR(1) states from shocks."""
    for m in range(1, z.shape[-1]):
        z[..., m] += phi * z[..., m - 1]
    return z


if HAVE_NUMBA:

    def _ar1_accumulate_loop(z: Any, phi: float) -> None:  # pragma: no cover - compiled
        n_r, n_m = z.shape
        for r in prange(n_r):
            for m in range(1, n_m):
                z[r, m] += phi * z[r, m - 1]

    _ar1_accumulate_numba = twin_kernel(_ar1_accumulate_loop, cache=True)


def ar1_accumulate(z: FloatArray, phi: float, use_numba: bool = True) -> FloatArray:
    """:func:`ar1_accumulate_numpy` (same numbers, bit for bit), compiled when possible.

    NumPy steps through the months one strided column at a time; the kernel runs each
    path's months in one pass.
    """
    if use_numba and HAVE_NUMBA and z.ndim == 2 and z.flags.c_contiguous:
        _ar1_accumulate_numba(z, float(phi))
        return z
    return ar1_accumulate_numpy(z, phi)


if HAVE_NUMBA:

    def _episode_month_means_loop(  # pragma: no cover - compiled
        counts: Any, first: Any, start: Any, end: Any, level: Any, months: int
    ) -> Any:
        n = counts.shape[0]
        out = np.empty((n, months))
        for r in prange(n):
            in_month = np.zeros(months + 1)  # kink weights in each month (+ overflow)
            moment = np.zeros(months + 1)  # and weight × time
            lo, hi = first[r], first[r] + counts[r]
            for i in range(lo, hi):  # an episode adds +level at its start ...
                m = min(int(start[i]), months)
                in_month[m] += level[i]
                moment[m] += level[i] * start[i]
            for i in range(lo, hi):  # ... and -level at its end
                m = min(int(end[i]), months)
                w = -level[i]
                in_month[m] += w
                moment[m] += w * end[i]
            alive = 0.0
            for m in range(months):
                alive += in_month[m]
                out[r, m] = max(alive + m * in_month[m] - moment[m], 0.0)
        return out

    _episode_month_means_numba = twin_kernel(_episode_month_means_loop, cache=True)


def episode_month_means(
    counts: npt.NDArray[np.int64],
    start: FloatArray,
    end: FloatArray,
    level: FloatArray,
    months: int,
) -> FloatArray:
    """Month means of the summed levels of episodes ``[start, end)`` by row ``(rows, months)``.

    Row ``r`` owns episodes ``counts[:r].sum()`` onwards, ``counts[r]`` of them, times in
    months from the horizon's start. Compiled twin of
    :func:`hashpivot.markets.fees.episode_month_means_numpy`: the same sums in the same
    order, so the same numbers bit for bit (``tests/test_kernels.py``).
    """
    counts = np.ascontiguousarray(counts, dtype=np.int64)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    out: FloatArray = _episode_month_means_numba(
        counts, first, np.ascontiguousarray(start, dtype=np.float64),
        np.ascontiguousarray(end, dtype=np.float64),
        np.ascontiguousarray(level, dtype=np.float64), int(months),
    )  # fmt: skip
    return out


def site_mining_numpy(
    hp_btc: FloatArray,
    price_usd: FloatArray,
    factor: FloatArray | None,
    coef: dict[str, FloatArray],
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """BTC mined, power cost and opex of one site ``(paths, months)``, fleet by fleet.

    ``coef`` holds the site's fleet coefficients, each ``(fleets, months)``:
    ``btc_per_hashprice``, ``power_cost_usd`` (energy × contract price),
    ``opex_usd``, ``threshold_k`` (hashprice per USD/MWh), ``power_price_usd_per_mwh``,
    ``opex_usd_per_mwh``, and ``shutdown`` ``(fleets,)``. A fleet runs in a month while
    hashprice ≥ k·(power price × factor + opex per MWh), or always when it may not shut down.
    """
    hp_usd = hp_btc * price_usd
    fac = 1.0 if factor is None else factor
    btc_coef = np.zeros(hp_btc.shape)
    power = np.zeros(hp_btc.shape)
    opex = np.zeros(hp_btc.shape)
    for i in range(coef["btc_per_hashprice"].shape[0]):
        if coef["shutdown"][i]:
            threshold = coef["threshold_k"][i] * (
                coef["power_price_usd_per_mwh"][i] * fac + coef["opex_usd_per_mwh"][i]
            )
            run = (hp_usd >= threshold).astype(np.float64)
        else:
            run = np.ones(hp_btc.shape)
        btc_coef += run * coef["btc_per_hashprice"][i]
        power += run * coef["power_cost_usd"][i]
        opex += run * coef["opex_usd"][i]
    return btc_coef * hp_btc, power * fac, opex


if HAVE_NUMBA:

    def _site_mining_loop(  # pragma: no cover - compiled
        hp_btc: Any, price: Any, factor: Any, has_factor: bool, bph: Any, cost: Any,
        opex: Any, k: Any, pp: Any, opm: Any, shut: Any,
    ) -> Any:  # fmt: skip
        n_p, n_m = hp_btc.shape
        n_f = bph.shape[0]
        out_btc = np.empty((n_p, n_m))
        out_power = np.empty((n_p, n_m))
        out_opex = np.empty((n_p, n_m))
        for p in prange(n_p):
            for m in range(n_m):
                hpb = hp_btc[p, m]
                hpu = hpb * price[p, m]
                fac = factor[p, m] if has_factor else 1.0
                b = 0.0
                pw = 0.0
                ox = 0.0
                for i in range(n_f):
                    if shut[i] == 0 or hpu >= k[i, m] * (pp[i, m] * fac + opm[i, m]):
                        b += bph[i, m]
                        pw += cost[i, m]
                        ox += opex[i, m]
                out_btc[p, m] = b * hpb
                out_power[p, m] = pw * fac
                out_opex[p, m] = ox
        return out_btc, out_power, out_opex

    _site_mining_numba = twin_kernel(_site_mining_loop, cache=True)

    def _company_mining_loop(  # pragma: no cover - compiled
        hp_btc: Any, price: Any, factor: Any, has_factor: bool, site_start: Any, bph: Any,
        cost: Any, opex: Any, k: Any, pp: Any, opm: Any, shut: Any,
    ) -> Any:  # fmt: skip
        """Revenue and EBITDA of all sites, a lane of paths at a time.

        A fleet's month is added times a 0/1 factor rather than under a branch, so the
        loops over months vectorise (about 5x faster than branching per month). Without
        power price multipliers every site's power price is fixed, so all fleets add
        into one set of sums; with them, each site's power cost takes its multiplier.
        """
        n_p, n_m = hp_btc.shape
        n_s = site_start.shape[0] - 1
        n_f = bph.shape[0]
        out_revenue = np.zeros((n_p, n_m))
        out_ebitda = np.zeros((n_p, n_m))
        # the hashprice each fleet needs at a factor of 1; fleets that never shut down need
        # none
        threshold = k * (pp + opm)
        for i in range(n_f):
            if shut[i] == 0:
                threshold[i] = -np.inf
        for lane in prange((n_p + _MINING_LANE - 1) // _MINING_LANE):
            hpu = np.empty(n_m)
            fac = np.ones(n_m)
            b = np.empty(n_m)
            pw = np.empty(n_m)
            ox = np.empty(n_m)
            need_f = np.empty(n_m)
            for p in range(lane * _MINING_LANE, min((lane + 1) * _MINING_LANE, n_p)):
                for m in range(n_m):
                    hpu[m] = hp_btc[p, m] * price[p, m]
                for s in range(n_s if has_factor else 1):
                    first, last = (site_start[s], site_start[s + 1]) if has_factor else (0, n_f)
                    if has_factor:
                        for m in range(n_m):
                            fac[m] = factor[p, m, s]
                    b[:] = 0.0
                    pw[:] = 0.0
                    ox[:] = 0.0
                    for i in range(first, last):
                        need = threshold[i]
                        if has_factor and shut[i] != 0:
                            need = need_f
                            for m in range(n_m):
                                need[m] = k[i, m] * (pp[i, m] * fac[m] + opm[i, m])
                        for m in range(n_m):
                            on = 1.0 if hpu[m] >= need[m] else 0.0
                            b[m] += on * bph[i, m]
                            pw[m] += on * cost[i, m]
                            ox[m] += on * opex[i, m]
                    for m in range(n_m):
                        revenue = b[m] * hp_btc[p, m] * price[p, m]
                        out_revenue[p, m] += revenue
                        out_ebitda[p, m] += revenue - pw[m] * fac[m] - ox[m]
        return out_revenue, out_ebitda

    _company_mining_numba = twin_kernel(_company_mining_loop, cache=True)

    def _lease_rent_loop(  # pragma: no cover - compiled
        ebitda: Any, rent: Any, rent_after: Any, alive_months: Any, mining_total: Any,
        lease_total: Any,
    ) -> None:  # fmt: skip
        """Add each lease's rent into ``ebitda`` in place; path totals before and of it."""
        n_p, n_m = ebitda.shape
        n_j = rent.shape[0]
        for p in prange(n_p):
            mt = 0.0
            lt = 0.0
            for m in range(n_m):
                e = ebitda[p, m]
                mt += e
                r = 0.0
                for j in range(n_j):
                    r += rent[j, m] if m < alive_months[p, j] else rent_after[j, m]
                ebitda[p, m] = e + r
                lt += r
            mining_total[p] = mt
            lease_total[p] = lt

    _lease_rent_numba = twin_kernel(_lease_rent_loop, cache=True)

    def _variant_value_loop(  # pragma: no cover - compiled
        mining_ebitda: Any, rent: Any, rent_after: Any, alive_months: Any, common: Any,
        depreciation: Any, invest: Any, discount: Any, tax_frac: float, n_last: int,
        terminal_factor: float, mining_total: Any, lease_total: Any, yearly: Any, npv: Any,
    ) -> None:  # fmt: skip
        """EBITDA, tax, free cash flow and DCF of each path in one pass (see the twin)."""
        n_p, n_m = mining_ebitda.shape
        n_j = rent.shape[0]
        n_y = yearly.shape[1]
        for p in prange(n_p):
            mt = 0.0
            lt = 0.0
            pv = 0.0
            last = 0.0
            for y in range(n_y):
                yearly[p, y] = 0.0
            for m in range(n_m):
                e = mining_ebitda[p, m]
                mt += e
                r = 0.0
                for j in range(n_j):
                    r += rent[j, m] if m < alive_months[p, j] else rent_after[j, m]
                lt += r
                e = e + r + common[m]
                yearly[p, m // 12] += e
                ebt = e - depreciation[m]
                fcf = e - tax_frac * (ebt if ebt > 0.0 else 0.0) - invest[m]
                pv += fcf * discount[m]
                if m >= n_m - n_last:
                    last += fcf
            mining_total[p] = mt
            lease_total[p] = lt
            npv[p] = pv + last * terminal_factor

    _variant_value_numba = twin_kernel(_variant_value_loop, cache=True)

    def _joint_variants_loop(  # pragma: no cover - compiled
        hp_btc: Any, price: Any, threshold: Any, sums: Any, rent: Any, rent_after: Any,
        alive_months: Any, n_leases: Any, common: Any, depreciation: Any, invest: Any,
        discount: Any, tax_frac: Any, n_last: int, terminal_factor: Any, mining_total: Any,
        lease_total: Any, yearly: Any, npv: Any, mining_revenue: Any, keep: Any,
        ebitda_out: Any, fcf_out: Any,
    ) -> None:  # fmt: skip
        """:func:`variant_value` of every variant, mining included, a lane at a time.

        A path's month runs the fleets whose thresholds its hashprice reaches: the ``k``
        lowest of the month, ``k`` counted once for all variants; each variant's mined
        BTC per hashprice, power and opex are then ``sums[:, v, m, k]``
        (:func:`running_fleet_sums`). Each month's flows are found in arrays over the
        months (the loops vectorise), then summed in month order. Variant ``v`` with
        ``keep[v] >= 0`` also stores its monthly EBITDA and free cash flow in
        ``ebitda_out[keep[v]]`` and ``fcf_out[keep[v]]``.
        """
        n_p, n_m = hp_btc.shape
        n_f = threshold.shape[0]
        n_v = sums.shape[1]
        n_y = yearly.shape[2]
        for lane in prange((n_p + _MINING_LANE - 1) // _MINING_LANE):
            hpu = np.empty(n_m)
            running = np.empty(n_m, np.int64)
            mining = np.empty(n_m)
            rent_m = np.empty(n_m)
            ebitda = np.empty(n_m)
            fcf = np.empty(n_m)
            for p in range(lane * _MINING_LANE, min((lane + 1) * _MINING_LANE, n_p)):
                for m in range(n_m):
                    hpu[m] = hp_btc[p, m] * price[p, m]
                    running[m] = 0
                for i in range(n_f):
                    for m in range(n_m):
                        running[m] += 1 if hpu[m] >= threshold[i, m] else 0
                for v in range(n_v):
                    rent_m[:] = 0.0
                    for j in range(n_leases[v]):
                        alive = alive_months[v, p, j]
                        for m in range(n_m):
                            rent_m[m] += rent[v, j, m] if m < alive else rent_after[v, j, m]
                    tax = tax_frac[v]
                    for m in range(n_m):
                        k = running[m]
                        revenue = sums[0, v, m, k] * hp_btc[p, m] * price[p, m]
                        mining_revenue[v, lane, m] += revenue
                        e = revenue - sums[1, v, m, k] - sums[2, v, m, k]
                        mining[m] = e
                        e = e + rent_m[m] + common[v, m]
                        ebitda[m] = e
                        ebt = e - depreciation[v, m]
                        fcf[m] = e - tax * (ebt if ebt > 0.0 else 0.0) - invest[v, m]
                    mt = 0.0
                    lt = 0.0
                    pv = 0.0
                    for m in range(n_m):
                        mt += mining[m]
                        lt += rent_m[m]
                        pv += fcf[m] * discount[m]
                    last = 0.0
                    for m in range(n_m - n_last, n_m):
                        last += fcf[m]
                    for y in range(n_y):
                        acc = 0.0
                        for m in range(12 * y, min(12 * y + 12, n_m)):
                            acc += ebitda[m]
                        yearly[v, p, y] = acc
                    kv = keep[v]
                    if kv >= 0:
                        for m in range(n_m):
                            ebitda_out[kv, p, m] = ebitda[m]
                            fcf_out[kv, p, m] = fcf[m]
                    mining_total[v, p] = mt
                    lease_total[v, p] = lt
                    npv[v, p] = pv + last * terminal_factor[v]

    _joint_variants_numba = twin_kernel(_joint_variants_loop, cache=True)


def add_lease_rent(
    ebitda_usd: FloatArray,
    rent_usd: FloatArray,
    rent_after_default_usd: FloatArray,
    alive_months: npt.NDArray[np.int64],
    use_numba: bool = True,
) -> tuple[FloatArray, FloatArray]:
    """Add leases' rent, with each path's sampled tenant default, to EBITDA in place.

    ``ebitda_usd`` ``(paths, months)`` gains, for every lease ``j``, ``rent_usd[j, m]``
    in the months ``m < alive_months[p, j]`` (before the tenant defaults on path ``p``)
    and ``rent_after_default_usd[j, m]`` (the recovered share) after, as
    :func:`hashpivot.company.engine.lease_project` counts it. Returns the sums over months,
    per path, of EBITDA before the rent and of the rent ``(paths,)`` [USD]. One pass over
    the paths, no ``(paths, months)`` temporaries; the NumPy twin defines it.
    """
    if not (use_numba and HAVE_NUMBA):
        before = ebitda_usd.sum(axis=1)
        months = np.arange(ebitda_usd.shape[1])
        rent = np.zeros_like(ebitda_usd)
        for j in range(rent_usd.shape[0]):
            alive = months[None, :] < alive_months[:, j : j + 1]
            rent += np.where(alive, rent_usd[j], rent_after_default_usd[j])
        ebitda_usd += rent
        return before, rent.sum(axis=1)
    mining_total = np.empty(ebitda_usd.shape[0])
    lease_total = np.empty(ebitda_usd.shape[0])
    _lease_rent_numba(
        ebitda_usd, np.ascontiguousarray(rent_usd, dtype=np.float64),
        np.ascontiguousarray(rent_after_default_usd, dtype=np.float64),
        np.ascontiguousarray(alive_months, dtype=np.int64), mining_total, lease_total,
    )  # fmt: skip
    return mining_total, lease_total


def variant_value(
    mining_ebitda_usd: FloatArray,
    rent_usd: FloatArray,
    rent_after_default_usd: FloatArray,
    alive_months: npt.NDArray[np.int64],
    rows: dict[str, FloatArray],
    tax_frac: float,
    n_last: int,
    terminal_factor: float,
    use_numba: bool = True,
) -> dict[str, FloatArray]:
    """Yearly EBITDA and DCF value of each path, from mining EBITDA and the leases' rent.

    Month ``m`` of path ``p``: EBITDA ``e = mining + Σ_j rent (rent_after from the month
    alive_months[p, j] on) + rows["common_ebitda_usd"]``; free cash flow ``e −
    tax_frac·max(e − rows["depreciation_usd"], 0) − rows["invest_usd"]``; value ``Σ fcf ×
    rows["discount"] + (sum of the last n_last months' fcf) × terminal_factor``.
    These are :func:`hashpivot.company.engine.company_ebitda_fcf` and
    :func:`hashpivot.finance.dcf`'s Gordon case written per path (the Monte Carlo checks
    that they still agree before it uses them: ``simulation.variant_plan``). Returns
    ``npv_usd`` ``(paths,)``, ``ebitda_usd_by_year`` ``(paths, years)`` and the sums over
    months of mining EBITDA and of the rent ``(paths,)`` [USD].
    """
    n_p, n_m = mining_ebitda_usd.shape
    years = -(-n_m // 12)
    if not (use_numba and HAVE_NUMBA):
        ebitda = mining_ebitda_usd.copy()
        mining_total, lease_total = add_lease_rent(
            ebitda, rent_usd, rent_after_default_usd, alive_months, use_numba=False
        )
        ebitda += rows["common_ebitda_usd"]
        fcf = ebitda - tax_frac * np.maximum(ebitda - rows["depreciation_usd"], 0.0)
        fcf -= rows["invest_usd"]
        npv = fcf @ rows["discount"] + fcf[:, n_m - n_last :].sum(axis=1) * terminal_factor
        padded = np.pad(ebitda, ((0, 0), (0, years * 12 - n_m)))
        yearly = padded.reshape(n_p, years, 12).sum(axis=2)
        return {"npv_usd": npv, "ebitda_usd_by_year": yearly,
                "mining_ebitda_total_usd": mining_total, "rent_total_usd": lease_total}  # fmt: skip
    out = {
        "npv_usd": np.empty(n_p),
        "ebitda_usd_by_year": np.empty((n_p, years)),
        "mining_ebitda_total_usd": np.empty(n_p),
        "rent_total_usd": np.empty(n_p),
    }
    f64 = {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in rows.items()}
    _variant_value_numba(
        np.ascontiguousarray(mining_ebitda_usd, dtype=np.float64),
        np.ascontiguousarray(rent_usd, dtype=np.float64),
        np.ascontiguousarray(rent_after_default_usd, dtype=np.float64),
        np.ascontiguousarray(alive_months, dtype=np.int64), f64["common_ebitda_usd"],
        f64["depreciation_usd"], f64["invest_usd"], f64["discount"], float(tax_frac), n_last,
        float(terminal_factor), out["mining_ebitda_total_usd"], out["rent_total_usd"],
        out["ebitda_usd_by_year"], out["npv_usd"],
    )  # fmt: skip
    return out


FLEET_SUM_KEYS = ("btc_per_hashprice", "power_cost_usd", "opex_usd")
"""The fleet coefficients :func:`running_fleet_sums` adds up, in its order."""


def running_fleet_sums(threshold: FloatArray, fleets: dict[str, FloatArray]) -> FloatArray:
    """Each variant's coefficients summed over the fleets that run, by how many run.

    The result is ``(3, variants, months, fleets + 1)``. A fleet runs in a month when
    hashprice reaches its threshold ``(fleets, months)``, so the fleets that run are those
    with the ``k`` lowest thresholds of the month, for some ``k`` from 0 to all. Entry
    ``[c, v, m, k]`` is the sum of coefficient :data:`FLEET_SUM_KEYS` ``[c]``
    (``fleets[key]`` ``(variants, fleets, months)``) over those ``k`` fleets, added in
    fleet order as a sum over the running fleets adds them (the same number to the bit).
    Equal thresholds run together, so no count stops among them.
    """
    thr = np.asarray(threshold, dtype=np.float64)
    n_f, n_m = thr.shape
    order = np.argsort(thr, axis=0, kind="stable")
    rank = np.empty((n_f, n_m), dtype=np.int64)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(n_f)[:, None], (n_f, n_m)), axis=0)
    # among[i, m, k]: fleet i has one of the k lowest thresholds of month m
    among = rank[:, :, None] < np.arange(n_f + 1)
    coef = [np.asarray(fleets[k], dtype=np.float64) for k in FLEET_SUM_KEYS]
    out = np.zeros((len(coef), coef[0].shape[0], n_m, n_f + 1))
    for i in range(n_f):  # fleet by fleet, in order
        for c, x in enumerate(coef):
            out[c] += np.where(among[i], x[:, i, :, None], 0.0)
    return out


def joint_variants(
    hp_btc: FloatArray,
    price_usd: FloatArray,
    threshold: FloatArray,
    fleets: dict[str, FloatArray],
    leases: dict[str, Any],
    rows: dict[str, FloatArray],
    n_last: int,
    keep_flows: tuple[int, ...] = (),
    fleet_sums: FloatArray | None = None,
) -> dict[str, FloatArray]:
    """:func:`company_mining` + :func:`variant_value` of several company variants at once.

    For variants whose fleets share their run/stop thresholds ``(fleets, months)`` (the
    same sites and machines with fixed power prices; only the installed counts differ),
    each fleet's on/off state is found once per path and month, and every variant's
    mining, rent, EBITDA, tax, free cash flow and value follow in the same pass, without
    ``(paths, months)`` arrays. ``fleets`` holds ``btc_per_hashprice, power_cost_usd,
    opex_usd`` ``(variants, fleets, months)``; ``leases`` holds ``rent_usd,
    rent_after_default_usd`` ``(variants, leases, months)``, ``alive_months`` ``(variants,
    paths, leases)`` and ``n_leases`` ``(variants,)``; ``rows`` holds
    ``common_ebitda_usd, depreciation_usd, invest_usd`` ``(variants, months)``,
    ``discount`` ``(months,)``, ``tax_frac, terminal_factor`` ``(variants,)``. Returns
    per variant the outputs of :func:`variant_value` plus ``mining_revenue_usd``, the
    mining revenue summed over paths by month ``(variants, months)`` [USD]; for the
    variants at the positions ``keep_flows``, in that order, also their monthly EBITDA
    and free cash flow, ``ebitda_usd`` and ``free_cash_flow_usd`` ``(len(keep_flows),
    paths, months)`` [USD]. ``fleet_sums`` is :func:`running_fleet_sums` of ``threshold``
    and ``fleets``, made here unless given. Needs numba (the per-variant functions are
    the definition and the fallback).
    """
    if fleet_sums is None:
        fleet_sums = running_fleet_sums(threshold, fleets)
    n_v = fleet_sums.shape[1]
    n_p, n_m = hp_btc.shape
    keep = np.full(n_v, -1, dtype=np.int64)
    keep[list(keep_flows)] = np.arange(len(keep_flows))
    n_keep = len(keep_flows)
    flows_shape = (n_keep, n_p, n_m) if n_keep else (0, 1, 1)
    ebitda_m, fcf_m = np.empty(flows_shape), np.empty(flows_shape)
    n_lanes = (n_p + _MINING_LANE - 1) // _MINING_LANE
    out = {
        "npv_usd": np.empty((n_v, n_p)),
        "ebitda_usd_by_year": np.empty((n_v, n_p, -(-n_m // 12))),
        "mining_ebitda_total_usd": np.empty((n_v, n_p)),
        "rent_total_usd": np.empty((n_v, n_p)),
    }
    lane_revenue = np.zeros((n_v, n_lanes, n_m))

    def c(a: Any, dtype: Any = np.float64) -> Any:
        return np.ascontiguousarray(a, dtype=dtype)

    _joint_variants_numba(
        c(hp_btc), c(np.broadcast_to(price_usd, hp_btc.shape)), c(threshold), c(fleet_sums),
        c(leases["rent_usd"]), c(leases["rent_after_default_usd"]),
        c(leases["alive_months"], np.int64), c(leases["n_leases"], np.int64),
        c(rows["common_ebitda_usd"]), c(rows["depreciation_usd"]), c(rows["invest_usd"]),
        c(rows["discount"]), c(rows["tax_frac"]), int(n_last), c(rows["terminal_factor"]),
        out["mining_ebitda_total_usd"], out["rent_total_usd"], out["ebitda_usd_by_year"],
        out["npv_usd"], lane_revenue, keep, ebitda_m, fcf_m,
    )  # fmt: skip
    out["mining_revenue_usd"] = lane_revenue.sum(axis=1)
    if n_keep:
        out["ebitda_usd"], out["free_cash_flow_usd"] = ebitda_m, fcf_m
    return out


if HAVE_NUMBA:

    def _path_risk_loop(  # pragma: no cover - compiled
        ebitda: Any, fcf: Any, price: Any, sustaining: Any, service: Any, cash0: float,
        n_years: int, fcf_year: Any, min_cash: Any, min_dscr: Any, slope: Any, mean: Any,
    ) -> None:  # fmt: skip
        """The risk inputs of :func:`path_risk`, one path at a time (see the twin)."""
        n_p, n_m = ebitda.shape
        full = n_m // 12
        service_y = np.zeros(max(full, 1))
        for y in range(full):
            acc = 0.0
            for m in range(12 * y, 12 * y + 12):
                acc += service[m]
            service_y[y] = acc
        n_x = n_m - 1
        for p in prange(n_p):
            cum = 0.0
            low = 0.0
            total = 0.0
            for m in range(n_m):
                cum += fcf[p, m] - sustaining[m] - service[m]
                low = min(low, cum)
                total += ebitda[p, m]
            fcf_year[p] = cum / n_years
            min_cash[p] = cash0 + low
            mean[p] = total / n_m
            best = np.inf
            for y in range(full):
                if service_y[y] > 0.0:
                    e_y = 0.0
                    for m in range(12 * y, 12 * y + 12):
                        e_y += ebitda[p, m]
                    r = e_y / service_y[y]
                    if r < best or r != r:  # NaN wins, as in NumPy's min
                        best = r
            min_dscr[p] = np.nan if best == np.inf else best
            # OLS slope of ΔEBITDA on the BTC return, centred as ts_beta_per_path does
            sx = 0.0
            sy = 0.0
            for m in range(1, n_m):
                sx += price[p, m] / price[p, m - 1] - 1.0
                sy += ebitda[p, m] - ebitda[p, m - 1]
            mx = sx / n_x
            my = sy / n_x
            sxx = 0.0
            sxy = 0.0
            for m in range(1, n_m):
                xc = price[p, m] / price[p, m - 1] - 1.0 - mx
                sxx += xc * xc
                sxy += xc * (ebitda[p, m] - ebitda[p, m - 1] - my)
            slope[p] = sxy / sxx if sxx > 0.0 else np.nan

    _path_risk_numba = twin_kernel(_path_risk_loop, cache=True, error_model="numpy")


def path_risk(
    ebitda_usd: FloatArray,
    fcf_usd: FloatArray,
    btc_price_usd: FloatArray,
    sustaining_capex_usd: FloatArray,
    debt_service_usd: FloatArray,
    cash0_usd: float,
    use_numba: bool = True,
) -> dict[str, FloatArray]:
    """Per-path inputs of the Monte Carlo's risk object from monthly flows, each ``(paths,)``.

    From EBITDA, unlevered free cash flow and BTC price ``(paths, months)`` and the
    sustaining capex and debt service rows ``(months,)`` [USD]: free cash flow after
    both per year of 12 months (``fcf_after_debt_usd_per_year``), the lowest month-end
    cash from ``cash0_usd`` (``min_cash_usd``), the lowest annual DSCR (``min_dscr``),
    the time-series slope of EBITDA changes on BTC returns (``ebitda_ts_slope_usd``) and
    mean monthly EBITDA (``ebitda_usd_per_month``). The NumPy branch is the definition,
    :mod:`hashpivot.risk`'s functions; the compiled one reads each path once, without
    ``(paths, months)`` temporaries, and gives the same numbers to rounding.
    """
    n_p, n_m = ebitda_usd.shape
    years = -(-n_m // 12)
    if not (use_numba and HAVE_NUMBA) or n_m < 2:
        from hashpivot import risk

        levered = risk.levered_fcf_usd(fcf_usd, sustaining_capex_usd, debt_service_usd)
        return {
            "fcf_after_debt_usd_per_year": levered.sum(axis=1) / years,
            "min_cash_usd": risk.min_cash_usd(cash0_usd, levered),
            "min_dscr": risk.min_annual_dscr(ebitda_usd, debt_service_usd),
            "ebitda_ts_slope_usd": risk.ts_beta_per_path(ebitda_usd, btc_price_usd),
            "ebitda_usd_per_month": np.asarray(ebitda_usd).mean(axis=1),
        }
    keys = ("fcf_after_debt_usd_per_year", "min_cash_usd", "min_dscr", "ebitda_ts_slope_usd",
            "ebitda_usd_per_month")  # fmt: skip
    out = {k: np.empty(n_p) for k in keys}

    def c(a: Any) -> Any:
        return np.ascontiguousarray(a, dtype=np.float64)

    _path_risk_numba(
        c(ebitda_usd), c(fcf_usd), c(np.broadcast_to(btc_price_usd, (n_p, n_m))),
        c(np.broadcast_to(sustaining_capex_usd, (n_m,))),
        c(np.broadcast_to(debt_service_usd, (n_m,))), float(cash0_usd), years,
        *(out[k] for k in keys),
    )  # fmt: skip
    return out


def company_mining(
    hp_btc: FloatArray,
    price_usd: FloatArray,
    factor: FloatArray | None,
    site_start: npt.NDArray[np.int64],
    coef: dict[str, FloatArray],
    use_numba: bool = True,
) -> tuple[FloatArray, FloatArray]:
    """Mining revenue and EBITDA of all sites together ``(paths, months)`` [USD].

    ``coef`` is as for :func:`site_mining_numpy` with the fleets of every site, grouped
    by site: site ``s`` has fleets ``site_start[s]:site_start[s + 1]`` and power price
    multiplier ``factor[..., s]`` (``(paths, months, sites)``; None is 1). Each site's
    flows are :func:`site_mining`'s, to rounding: revenue = BTC mined × price and EBITDA
    = revenue − power − opex, summed over sites in one pass.
    """
    if not (use_numba and HAVE_NUMBA):
        revenue = np.zeros(np.shape(hp_btc))
        ebitda = np.zeros(np.shape(hp_btc))
        for s in range(len(site_start) - 1):
            rows = slice(int(site_start[s]), int(site_start[s + 1]))
            fac = None if factor is None else factor[..., s]
            btc, power, opex = site_mining_numpy(
                hp_btc, price_usd, fac, {k: v[rows] for k, v in coef.items()}
            )
            site_revenue = btc * price_usd
            revenue += site_revenue
            ebitda += site_revenue - power - opex
        return revenue, ebitda
    c = {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in coef.items()}
    hp = np.ascontiguousarray(hp_btc, dtype=np.float64)
    pr = np.ascontiguousarray(np.broadcast_to(price_usd, hp.shape), dtype=np.float64)
    fac = np.ones((1, 1, 1)) if factor is None else np.ascontiguousarray(factor, dtype=np.float64)
    out: tuple[FloatArray, FloatArray] = _company_mining_numba(
        hp, pr, fac, factor is not None, np.ascontiguousarray(site_start, dtype=np.int64),
        c["btc_per_hashprice"], c["power_cost_usd"], c["opex_usd"], c["threshold_k"],
        c["power_price_usd_per_mwh"], c["opex_usd_per_mwh"], c["shutdown"],
    )  # fmt: skip
    return out


def site_mining(
    hp_btc: FloatArray,
    price_usd: FloatArray,
    factor: FloatArray | None,
    coef: dict[str, FloatArray],
    use_numba: bool = True,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """:func:`site_mining_numpy`, compiled with numba when it is available."""
    if not (use_numba and HAVE_NUMBA):
        return site_mining_numpy(hp_btc, price_usd, factor, coef)
    c = {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in coef.items()}
    hp = np.ascontiguousarray(hp_btc, dtype=np.float64)
    pr = np.ascontiguousarray(np.broadcast_to(price_usd, hp.shape), dtype=np.float64)
    fac = np.ones((1, 1)) if factor is None else np.ascontiguousarray(factor, dtype=np.float64)
    out: tuple[FloatArray, FloatArray, FloatArray] = _site_mining_numba(
        hp, pr, fac, factor is not None, c["btc_per_hashprice"], c["power_cost_usd"],
        c["opex_usd"], c["threshold_k"], c["power_price_usd_per_mwh"], c["opex_usd_per_mwh"],
        c["shutdown"],
    )  # fmt: skip
    return out


if HAVE_NUMBA:

    def _columns_loop(  # pragma: no cover - compiled
        dst: Any, src: Any, factor: Any, has_factor: bool, col0: int
    ) -> None:
        n_p, n_m = src.shape
        tile = 64
        for p_start in prange((n_p + tile - 1) // tile):
            p_lo = p_start * tile
            p_hi = min(p_lo + tile, n_p)
            for m in range(n_m):
                for p in range(p_lo, p_hi):
                    v = src[p, m] * factor[p, m] if has_factor else src[p, m]
                    dst[m, col0 + p] = v

    _columns_numba = twin_kernel(_columns_loop, cache=True)


def store_columns(
    dst: npt.NDArray[Any], src: FloatArray, col0: int, factor: FloatArray | None = None
) -> None:
    """``dst[:, col0:col0 + paths] = (src × factor).T``: paths by month into months by path.

    For fan charts, which need each month's paths side by side. The kernel goes through
    ``src`` in tiles of paths, so both arrays are read and written a cache line at a time.
    """
    n_p = src.shape[0]
    if not HAVE_NUMBA:
        dst[:, col0 : col0 + n_p] = (src if factor is None else src * factor).T
        return
    fac = np.ones((1, 1)) if factor is None else factor
    _columns_numba(dst, src, fac, factor is not None, col0)


QUANTILE_BINS = 4096
"""Bins of the histogram that narrows each row's order statistics down [-]."""
assert np.iinfo(np.uint16).max >= QUANTILE_BINS + 2  # each value's bin is kept as uint16
QUANTILE_SAMPLE = 2048
"""Values of a row sampled to place the histogram's bins [-]."""


def quantile_ranks(
    n: int, quantiles: tuple[float, ...]
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """Order statistics (0-based ranks) bracketing each quantile of ``n`` values, and weights.

    NumPy's default ("linear") quantile: the virtual index v = q·(n − 1) lies between the
    ranks ⌊v⌋ and ⌊v⌋ + 1 (capped at n − 1), with weight v − ⌊v⌋ on the upper one
    (Hyndman and Fan 1996, definition 7).
    """
    v = np.asarray(quantiles, dtype=np.float64) * (n - 1)
    below = np.floor(v).astype(np.int64)
    above = np.minimum(below + 1, n - 1)
    return np.stack([below, above], axis=1).astype(np.int64), v - below


def row_quantiles_numpy(a: npt.NDArray[Any], quantiles: tuple[float, ...]) -> FloatArray:
    """``quantiles`` of each row of ``a`` ``(quantiles, rows)``: NumPy's linear method."""
    return np.asarray(np.quantile(a, quantiles, axis=1), dtype=np.float64)


if HAVE_NUMBA:

    @njit(cache=True, inline="always")
    def _lerp(a: float, b: float, t: float) -> float:  # pragma: no cover - compiled
        """Linear interpolation a + (b − a)·t, from the nearer end (NumPy's ``_lerp``)."""
        d = b - a
        return b - d * (1.0 - t) if t >= 0.5 else a + d * t

    @njit(cache=True, inline="always")
    def _bin(v: float, lo: float, hi: float, scale: float, n_bins: int) -> int:  # pragma: no cover
        """Bin of ``v``: 0 below ``lo``, ``n_bins + 1`` above ``hi``, else 1 .. ``n_bins``.

        Monotone in ``v``, so the values of rank k lie in the bin where the cumulative
        count passes k. The index is computed from a float only once it is known finite
        and in range: infinite values or bounds put everything between the bounds into
        bin 1 (still monotone), never an index outside the counts.
        """
        if v < lo:
            return 0
        if v > hi:
            return n_bins + 1
        x = (v - lo) * scale
        if not x >= 0.0:  # NaN, from an infinite value or bound (inf · 0): the first bin
            return 1
        if x >= n_bins:  # never turn a huge float into an integer
            return n_bins
        return 1 + int(x)

    def _row_quantiles_loop(  # pragma: no cover - compiled
        a: Any, ranks: Any, weights: Any, n_bins: int
    ) -> Any:
        n_r, n = a.shape
        n_q = ranks.shape[0]
        out = np.empty((n_q, n_r))
        step = max(n // QUANTILE_SAMPLE, 1)
        for r in prange(n_r):
            row = a[r]
            # the bins span the middle 98 % of an evenly spaced sample of the row, so
            # heavy tails do not crowd the bulk of the values into a few bins
            sample = row[::step].copy()  # sorted in the row's type: one sort to compile
            sample.sort()
            cut = sample.size // 100
            lo, hi = float(sample[cut]), float(sample[sample.size - 1 - cut])
            scale = n_bins / (hi - lo) if hi > lo else 0.0
            counts = np.zeros(n_bins + 2, np.int64)
            bins = np.empty(n, np.uint16)  # each value's bin, for the second pass
            nan = False
            for i in range(n):
                v = row[i]
                if v != v:
                    nan = True
                    break
                b = _bin(float(v), lo, hi, scale, n_bins)
                bins[i] = b
                counts[b] += 1
            if nan:
                out[:, r] = np.nan
                continue
            first = np.empty(n_bins + 3, np.int64)  # rank of each bin's first value
            first[0] = 0
            for b in range(n_bins + 2):
                first[b + 1] = first[b] + counts[b]
            # the bins holding a wanted rank get a slot in a buffer of their values
            offset = np.full(n_bins + 2, -1, np.int64)
            size = 0
            bin_of = np.empty(ranks.shape, np.int64)
            for q in range(n_q):
                for i in range(2):
                    b = np.searchsorted(first, ranks[q, i], side="right") - 1
                    bin_of[q, i] = b
                    if offset[b] < 0:
                        offset[b] = size
                        size += counts[b]
            buf = np.empty(size, a.dtype)  # b − a below rounds to the input's type
            fill = offset.copy()
            for i in range(n):
                b = bins[i]
                if offset[b] >= 0:
                    buf[fill[b]] = row[i]
                    fill[b] += 1
            for b in range(n_bins + 2):
                if offset[b] >= 0:
                    buf[offset[b] : offset[b] + counts[b]].sort()
            for q in range(n_q):
                x = np.empty(2, a.dtype)
                for i in range(2):
                    b = bin_of[q, i]
                    x[i] = buf[offset[b] + ranks[q, i] - first[b]]
                out[q, r] = _lerp(x[0], x[1], weights[q])
        return out

    _row_quantiles_numba = twin_kernel(_row_quantiles_loop, cache=True)


def row_quantiles(
    a: npt.NDArray[Any], quantiles: tuple[float, ...], use_numba: bool = True
) -> FloatArray:
    """``quantiles`` of each row of ``a`` ``(quantiles, rows)``, as :func:`row_quantiles_numpy`.

    The kernel finds each row's order statistics exactly with a histogram (bins placed
    on a sorted sample of the row, one pass to count and note each value's bin, one to
    keep only the values of the few bins that hold a wanted rank, then a sort of those),
    instead of partitioning the
    whole row: several times faster, the same numbers to the last bit of NumPy's linear
    interpolation.
    """
    if not (use_numba and HAVE_NUMBA) or a.ndim != 2 or a.shape[1] == 0:
        return row_quantiles_numpy(a, quantiles)
    ranks, weights = quantile_ranks(a.shape[1], quantiles)
    out: FloatArray = _row_quantiles_numba(np.ascontiguousarray(a), ranks, weights, QUANTILE_BINS)
    return out
