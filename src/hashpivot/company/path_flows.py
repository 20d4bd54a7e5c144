"""Monthly cash flows per path, by site and segment, for a slice of a Monte Carlo's paths.

:meth:`hashpivot.simulation.Simulation.run` reduces each chunk as it goes (NPV, yearly
EBITDA, segment means), so that 100 000 paths fit in memory. When the flows themselves
are wanted (to audit a path, chart one future, or take them to a spreadsheet),
:meth:`~hashpivot.simulation.Simulation.cash_flows` recomputes them for any slice of
paths: the market paths come from the same seeded blocks, so path ``i`` here is path
``i`` of the run, with the same NPV.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot.company import engine
from hashpivot.spec import Scenario

FloatArray = npt.NDArray[np.float64]

COMPANY_FLOWS = ("ebitda_usd", "taxes_usd", "free_cash_flow_usd", "cash_flow_to_equity_usd")
"""Company-level flows kept per path and month (:func:`engine.consolidate`) [USD]."""


@dataclass(frozen=True)
class PathCashFlows:
    """Monthly flows of one company variant on paths ``first_path ... first_path + paths − 1``.

    ``projects`` holds each project's flows ``(paths, months)`` (mining per site, each
    lease and GPU cloud, corporate G&A), labelled by site and segment; ``company`` the
    consolidated flows of :data:`COMPANY_FLOWS`; ``npv_usd`` the enterprise value per
    path, as in the run.
    """

    variant: str
    seed: int
    first_path: int
    month_start: pd.DatetimeIndex
    projects: tuple[engine.ProjectFlows, ...]
    company: dict[str, FloatArray]
    npv_usd: FloatArray

    @property
    def paths(self) -> int:
        """Paths held [paths]."""
        return int(self.npv_usd.shape[0])

    def flow(self, project: engine.ProjectFlows, name: str) -> FloatArray:
        """One flow of one project ``(paths, months)``; ``ebitda_usd`` is derived [USD, BTC]."""
        shape = (self.paths, len(self.month_start))
        if name == "ebitda_usd":
            return np.broadcast_to(project.ebitda_usd, shape)
        if name not in engine.FLOWS:
            msg = f"unknown flow {name!r}; one of ebitda_usd, {', '.join(engine.FLOWS)}"
            raise KeyError(msg)
        return np.broadcast_to(project.flows[name], shape)

    def by_site_segment(self, name: str = "ebitda_usd") -> dict[tuple[str, str], FloatArray]:
        """``name`` summed over the projects of each (site, segment) ``(paths, months)``."""
        out: dict[tuple[str, str], FloatArray] = {}
        for p in self.projects:
            key = (p.site, p.segment)
            value = self.flow(p, name)
            out[key] = value + out[key] if key in out else np.array(value)
        return out

    def by_segment(self, name: str = "ebitda_usd") -> dict[str, FloatArray]:
        """``name`` summed over sites for each segment ``(paths, months)``."""
        out: dict[str, FloatArray] = {}
        for (_, segment), value in self.by_site_segment(name).items():
            out[segment] = value + out[segment] if segment in out else value
        return out

    def to_frame(self) -> pd.DataFrame:
        """Long frame: one row per path, month and project, a column per flow.

        Columns: ``path`` (the run's path number), ``month`` (YYYY-MM), ``site``,
        ``segment``, ``project``, ``ebitda_usd`` and every flow of :data:`engine.FLOWS`.
        """
        frames = []
        for p in self.projects:
            cols = self._path_month() | {"site": p.site, "segment": p.segment}
            cols["project"] = p.project
            for name in ("ebitda_usd", *engine.FLOWS):
                cols[name] = self.flow(p, name).ravel()
            frames.append(pd.DataFrame(cols))
        out = pd.concat(frames, ignore_index=True)
        return out.sort_values(["path", "month"], kind="stable", ignore_index=True)

    def company_frame(self) -> pd.DataFrame:
        """Company flows per path and month: ``path``, ``month`` and :data:`COMPANY_FLOWS`."""
        cols = self._path_month()
        for name in COMPANY_FLOWS:
            shape = (self.paths, len(self.month_start))
            cols[name] = np.broadcast_to(self.company[name], shape).ravel()
        return pd.DataFrame(cols)

    def _path_month(self) -> dict[str, object]:
        """``path`` and ``month`` columns, path-major, for frames of ``(paths, months)``."""
        n_p, n_m = self.paths, len(self.month_start)
        return {
            "path": np.repeat(np.arange(self.first_path, self.first_path + n_p), n_m),
            "month": np.tile(self.month_start.strftime("%Y-%m").to_numpy(), n_p),
        }


def slice_market(market: engine.MarketArrays, rows: slice) -> engine.MarketArrays:
    """The same market inputs for a slice of its paths."""

    def cut(a: FloatArray | None) -> FloatArray | None:
        return None if a is None else np.ascontiguousarray(a[rows])

    return engine.MarketArrays(
        np.ascontiguousarray(market.btc_price_usd[rows]),
        np.ascontiguousarray(market.hashprice_btc_per_ph_day[rows]),
        cut(market.gpu_price_index),
        cut(market.power_price_factor),
        cut(market.default_uniform),
    )


def variant_cash_flows(
    variant: str,
    scenario: Scenario,
    tl: engine.Timeline,
    market: engine.MarketArrays,
    seed: int,
    first_path: int,
) -> PathCashFlows:
    """Flows of the company ``scenario`` on ``market`` (paths from ``first_path``)."""
    projects = engine.project_flows(scenario, tl, market)
    full = engine.consolidate(scenario, projects, market)
    npv = engine.company_value(scenario, full["free_cash_flow_usd"]).enterprise_value_usd
    company = {k: np.asarray(full[k]) for k in COMPANY_FLOWS}
    return PathCashFlows(
        variant, seed, first_path, tl.month_start, tuple(projects), company, np.asarray(npv)
    )
