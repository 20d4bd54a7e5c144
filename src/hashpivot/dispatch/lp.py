"""Dispatch with minimum-load and ramp limits: one LP per site and price path (HiGHS).

Variables ``x[s, t]`` in [0, 1] are the running share of merit-order segment ``s`` in
hour ``t``; the mining load is ``L[t] = Σ_s MW_s·x[s, t]``.

Objective (maximise)::

    Σ_s Σ_t MW_s · (margin[s, t] − penalty·event[s, t])

with ``margin`` the closed-form margin per MWh
(:func:`~hashpivot.dispatch.kernel.segment_margin`) and the penalty on committed MW that
keep running in a demand-response event.

Constraint families (names used in messages):

* ``Segment-forced-off``: ``x[s, t] = 0`` in 4CP hours (heuristic flags, or the true
  peaks under perfect foresight) and, for committed segments, in event hours where the
  closed form complies;
* ``Site-ramp-up`` / ``Site-ramp-down``: ``±(L[t] − L[t−1]) ≤ ramp_mw_per_hour``;
* ``Site-min-load``: ``L[t] ≥ lb[t]``, with ``lb = min(min_load_mw, capacity left by
  the obligations, relaxed around them as fast as the ramp allows)``, so a grid
  obligation always overrides the minimum load and the LP stays feasible.

References
----------
.. [1] An LP is needed only for ancillary holding, ramps or 4CP budgets (without them
   the dispatch is closed-form, :mod:`hashpivot.dispatch.kernel`).
.. [2] HiGHS via ``scipy.optimize.linprog(method="highs")``. Huangfu & Hall (2018),
   "Parallelizing the dual revised simplex method", Math. Prog. Comp. 10, 119–142.
   https://doi.org/10.1007/s12532-017-0130-5

"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from hashpivot.dispatch.core import SiteParams
from hashpivot.dispatch.kernel import ChunkInputs, segment_margin
from hashpivot.dispatch.spec import OperatingLimitsSpec
from hashpivot.errors import HashpivotError

if TYPE_CHECKING:
    import scipy.sparse as sp

FloatArray = npt.NDArray[np.float64]


class DispatchLPError(HashpivotError):
    """The dispatch LP did not reach an optimum; the message names the constraint families."""


@dataclass(frozen=True)
class LPSolution:
    """Run shares ``(segments, hours)`` and the objective value [USD]."""

    run_frac: FloatArray
    objective_usd: float


def objective_coefficients(site: SiteParams, ci: ChunkInputs) -> tuple[FloatArray, FloatArray]:
    """Margin per hour ``MW_s·(...)`` and upper bounds (0 or 1), each ``(segments, hours)``.

    ``ci`` must hold a single path.
    """
    n_hours = ci.price.shape[1]
    coef = np.zeros((len(site.segments), n_hours))
    upper = np.ones((len(site.segments), n_hours))
    peaks = np.zeros(n_hours, dtype=bool)
    if site.four_cp_strategy == "perfect_foresight" and ci.cp_hours is not None:
        peaks[ci.cp_hours[0]] = True
    for s, seg in enumerate(site.segments):
        upper[s, peaks] = 0.0
        margin = segment_margin(seg, site, ci)[0]
        if seg.committed and ci.events is not None:
            event = ci.events[0]
            comply = event & (margin - site.dr_usd_per_mw_hour < site.penalty_usd_per_mwh)
            upper[s, comply] = 0.0
            margin = margin - site.penalty_usd_per_mwh * (event & ~comply)
        if ci.cp_flags is not None:
            upper[s, ci.cp_flags[0]] = 0.0
        coef[s] = seg.power_mw * margin
    return coef, upper


def min_load_bound(
    capacity_mw: FloatArray, min_load_mw: float, ramp_mw_per_hour: float | None
) -> FloatArray:
    """Lower bound of the load: the minimum load, relaxed where obligations cap capacity.

    ``lb[t] = min(min_load, min_f(cap[f] + ramp·|t − f|))``: a ramp-feasible envelope
    under the capacity left in each hour, computed with two running minima.
    """
    cap = np.asarray(capacity_mw, dtype=np.float64)
    if ramp_mw_per_hour is None:
        return np.minimum(min_load_mw, cap)
    t = np.arange(cap.shape[0], dtype=np.float64)
    r = ramp_mw_per_hour
    forward = np.minimum.accumulate(cap - r * t) + r * t
    backward = np.minimum.accumulate((cap + r * t)[::-1])[::-1] - r * t
    return np.minimum(min_load_mw, np.minimum(forward, backward))


def _load_matrix(mw: FloatArray, n_hours: int) -> sp.csr_matrix:
    """``(hours, segments·hours)`` matrix mapping x to the load ``L[t]``."""
    import scipy.sparse as sp  # imported when an LP is built: keeps the CLI's start fast

    n_seg = mw.shape[0]
    rows = np.tile(np.arange(n_hours), n_seg)
    cols = np.arange(n_seg * n_hours)
    vals = np.repeat(mw, n_hours)
    return sp.csr_matrix((vals, (rows, cols)), shape=(n_hours, n_seg * n_hours))


def solve_site_lp(
    site: SiteParams, ci: ChunkInputs, limits: OperatingLimitsSpec, label: str = ""
) -> LPSolution:
    """Solve the dispatch LP of one site on one price path (``ci`` holds one path)."""
    import scipy.sparse as sp
    from scipy.optimize import linprog

    coef, upper = objective_coefficients(site, ci)
    n_seg, n_hours = coef.shape
    mw = np.array([s.power_mw for s in site.segments])
    load = _load_matrix(mw, n_hours)
    blocks, rhs, names = [], [], []
    if limits.ramp_mw_per_hour is not None and n_hours > 1:
        diff = load[1:] - load[:-1]
        ramp = np.full(n_hours - 1, limits.ramp_mw_per_hour)
        blocks += [diff, -diff]
        rhs += [ramp, ramp]
        names += ["Site-ramp-up", "Site-ramp-down"]
    if limits.min_load_mw > 0:
        lb = min_load_bound(mw @ upper, limits.min_load_mw, limits.ramp_mw_per_hour)
        blocks.append(-load)
        rhs.append(-lb)
        names.append("Site-min-load")
    a_ub = sp.vstack(blocks, format="csr") if blocks else None
    b_ub = np.concatenate(rhs) if rhs else None
    bounds = np.column_stack([np.zeros(n_seg * n_hours), upper.ravel()])
    res = linprog(-coef.ravel(), A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if res.status != 0:
        families = ", ".join(["Segment-forced-off", *names])
        msg = (
            f"dispatch LP for site {site.name!r}{label}: {res.message.strip()} "
            f"(status {res.status}); constraint families: {families}"
        )
        raise DispatchLPError(msg)
    x = np.clip(res.x.reshape(n_seg, n_hours), 0.0, 1.0)
    return LPSolution(x, float(-res.fun))
