"""The dispatch orchestrator: ``Dispatch(sites, market, hashprice).run()`` and its result.

Profit, per site and month::

    profit = mining revenue + power credits + DR income + 4CP savings
             − energy cost (index purchases, PPA block payments, adders) − DR penalties

AI load is firm and its energy is reported apart (``ai_energy_cost_usd``, usually passed
through to the tenant), so it is not in the profit. 4CP savings are measured against a
firm load of the same MW (mining at full draw plus the AI load), whose transmission
charge is the same whatever the dispatch. ``firm_profit_usd`` is the profit if every
mining MW ran every hour; ``flexibility_value_usd = profit − firm profit`` is what the
ability to curtail earns (converted MW lose it: AI colocation guarantees uptime,
https://coincompare.eu/bitcoin-mining-and-ercot-the-data-tells-the-story/ ).

Derived ratios are computed after summing (never averaged): ``uptime_frac`` = mining
energy / energy at full draw; ``avg_power_price_usd_per_mwh`` = (energy cost − power
credits) / mining energy, the net realised price of each MWh consumed.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot.dispatch import core, kernel, lp
from hashpivot.dispatch.io import HourCalendar, MarketData
from hashpivot.dispatch.spec import (
    HOURS_PER_YEAR,
    DispatchSiteSpec,
    DispatchTierSpec,
    sites_from_scenario,
)
from hashpivot.errors import SpecError
from hashpivot.spec import Scenario

FloatArray = npt.NDArray[np.float64]
HashpriceInput = float | pd.DataFrame | pd.Series | npt.ArrayLike

RATIO_COLUMNS = ("uptime_frac", "avg_power_price_usd_per_mwh", "curtailed_energy_mwh")
"""Columns derived from the sums after aggregation."""

SUMMARY_KEYS = (
    "hours",
    "uptime_frac",
    "energy_mwh",
    "potential_energy_mwh",
    "curtailed_energy_mwh",
    "energy_cost_usd",
    "avg_power_price_usd_per_mwh",
    "btc_mined",
    "mining_revenue_usd",
    "curtailment_savings_usd",
    "power_credits_usd",
    "four_cp_savings_usd",
    "dr_income_usd",
    "dr_penalty_usd",
    "profit_usd",
    "firm_profit_usd",
    "flexibility_value_usd",
    "ai_energy_mwh",
    "ai_energy_cost_usd",
)
"""Keys of every summary, monthly and yearly row, in display order."""

MIN_RATE_SHARE_FRAC = 1e-9
"""Smallest share of the mining MW converted to AI for which the flexibility lost per
MW-year is reported [-]. Below it the loss drowns in the rounding of the flexibility
totals (relative error about 1e-4 at this share on five years of hours), so the rate is
NaN, as for no conversion at all (:func:`loss_per_mw_year`)."""


def with_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """Add uptime, net realised power price and curtailed energy to a frame of sums."""
    out = frame.copy()
    energy = out["energy_mwh"].to_numpy(dtype=np.float64)
    potential = out["potential_energy_mwh"].to_numpy(dtype=np.float64)
    net_cost = (out["energy_cost_usd"] - out["power_credits_usd"]).to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["uptime_frac"] = np.where(potential > 0, energy / potential, np.nan)
        out["avg_power_price_usd_per_mwh"] = np.where(energy > 0, net_cost / energy, np.nan)
    out["curtailed_energy_mwh"] = potential - energy
    return out


@dataclass(frozen=True)
class DispatchResult:
    """Monthly sums of a dispatch run, ``{metric: (sites, paths, months)}``, and context.

    Attributes
    ----------
    sites
        The site specs dispatched.
    calendar
        Operating hours and months.
    sums
        Metric sums per site, path and month (see :data:`hashpivot.dispatch.kernel.METRICS`).
    mining_mw_hourly
        Mining load per site, path and hour, when kept. [MW]
    site_prices
        Each site's node prices ``(paths, hours)``. [USD/MWh]
    hashprice
        The hashprice input mapped to months or hours.
    notes
        Every data rule applied and modelling caveat of the run.

    """

    sites: tuple[DispatchSiteSpec, ...]
    calendar: HourCalendar
    sums: dict[str, FloatArray]
    mining_mw_hourly: npt.NDArray[np.float32] | None
    site_prices: tuple[npt.NDArray[np.floating[Any]], ...]
    hashprice: core.Hashprice
    notes: tuple[str, ...]
    seed: int | None = None

    @property
    def n_paths(self) -> int:
        """Number of price paths."""
        return int(self.sums["energy_mwh"].shape[1])

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame: one row per site, path and month, with sums and ratios."""
        n_sites, n_paths, _ = self.sums["energy_mwh"].shape
        idx = pd.MultiIndex.from_product(
            [[s.name for s in self.sites], range(n_paths), self.calendar.months.astype(str)],
            names=["site", "path", "month"],
        )
        frame = pd.DataFrame({k: v.reshape(-1) for k, v in self.sums.items()}, index=idx)
        frame["hours"] = np.tile(self.calendar.hours_per_month, n_sites * n_paths)
        return with_ratios(frame).reset_index()

    def _grouped(self, site: str | None, by_year: bool) -> pd.DataFrame:
        pick = self._site_slice(site)
        sums = {k: v[pick].sum(axis=0).mean(axis=0) for k, v in self.sums.items()}
        frame = pd.DataFrame(sums)
        frame["hours"] = self.calendar.hours_per_month
        period = self.calendar.months
        key = period.year.astype(str) if by_year else period.astype(str)
        frame.insert(0, "year" if by_year else "month", np.asarray(key))
        grouped = frame.groupby(frame.columns[0], sort=False).sum().reset_index()
        return with_ratios(grouped)[[grouped.columns[0], *SUMMARY_KEYS]]

    def _site_slice(self, site: str | None) -> slice:
        if site is None:
            return slice(None)
        names = [s.name for s in self.sites]
        if site not in names:
            raise SpecError([f"site {site!r}: not in this run; sites: {', '.join(names)}"])
        i = names.index(site)
        return slice(i, i + 1)

    def monthly(self, site: str | None = None) -> pd.DataFrame:
        """Per month: summed over sites (or one site), mean over paths, with ratios."""
        return self._grouped(site, by_year=False)

    def yearly(self, site: str | None = None) -> pd.DataFrame:
        """Per calendar year: summed over sites (or one site), mean over paths."""
        return self._grouped(site, by_year=True)

    def path_totals(self, metric: str = "flexibility_value_usd") -> FloatArray:
        """One metric summed over sites and months, per path ``(paths,)``."""
        return np.asarray(self.sums[metric].sum(axis=(0, 2)))

    def summary(self, site: str | None = None) -> dict[str, Any]:
        """Totals over the whole run (mean over paths), with ratios."""
        frame = self.monthly(site)
        totals = frame[list(SUMMARY_KEYS)].sum().to_frame().T
        row = with_ratios(totals).iloc[0]
        out: dict[str, Any] = {k: float(row[k]) for k in SUMMARY_KEYS}
        out["hours"] = int(out["hours"])
        out["paths"] = self.n_paths
        out["first_day"] = str(self.calendar.delivery_date[0])
        out["last_day"] = str(self.calendar.delivery_date[-1])
        out["mining_mw"] = float(sum(s.mining_mw for s in self._sites(site)))
        out["ai_mw"] = float(sum(s.ai_mw for s in self._sites(site)))
        return out

    def _sites(self, site: str | None) -> tuple[DispatchSiteSpec, ...]:
        return self.sites[self._site_slice(site)]

    def _repr_html_(self) -> str:
        """Compact HTML summary for Jupyter: totals over the run, mean over paths."""
        from hashpivot.display import summary_html

        names = ", ".join(s.name for s in self.sites)
        return summary_html(f"Dispatch of {names}: {self.n_paths} path(s)", self.summary())

    def to_dict(self) -> dict[str, Any]:
        """Summary, monthly and yearly rows, per-site summaries and notes, JSON-ready."""
        out = self.summary()
        out["monthly"] = self.monthly().to_dict(orient="records")
        out["yearly"] = self.yearly().to_dict(orient="records")
        out["sites"] = [
            {
                "site": s.name,
                "power_market": s.power_market,
                "node": s.node or None,
                "load_zone": s.load_zone or None,
                **self.summary(s.name),
            }
            for s in self.sites
        ]
        out["notes"] = list(self.notes)
        if self.seed is not None:
            out["seed"] = self.seed
        return out


def resolve_nodes(
    sites: Sequence[DispatchSiteSpec],
    columns: Sequence[str],
    node: str | None = None,
    same_node: bool = False,
    source: str = "prices",
) -> tuple[DispatchSiteSpec, ...]:
    """The sites with the price column each one uses, checked against a file's ``columns``.

    Each site keeps its own ``node``. ``node`` overrides it in a one-site run; with
    ``same_node`` it prices every site at ``node`` (a proxy: each site keeps its market's
    tariffs, so 4CP stays with the ERCOT sites). A site whose node is empty or not among
    ``columns`` is refused with a message naming the site, its node and the columns.
    """
    if same_node and not node:
        raise SpecError(["same_node: needs a node to price every site at"], "command line")
    if node and len(sites) > 1 and not same_node:
        names = ", ".join(s.name for s in sites)
        msg = (
            f"node {node!r}: overrides the node of a one-site run only; this run has "
            f"{len(sites)} sites ({names}): pick one site, or price every site at {node!r} "
            "with the same-node option"
        )
        raise SpecError([msg], "command line")
    out = [s.model_copy(update={"node": node}) if node else s for s in sites]
    problems = [_node_problem(s, columns) for s in out if s.node not in columns]
    if problems:
        raise SpecError(problems, source)
    return tuple(out)


def _node_problem(site: DispatchSiteSpec, columns: Sequence[str]) -> str:
    have = ", ".join(columns)
    if not site.node:
        return f"site {site.name!r}: no node given; name its price column (columns: {have})"
    close = difflib.get_close_matches(site.node, list(columns), n=3, cutoff=0.5)
    hint = f"; closest: {', '.join(close)}" if close else ""
    return (
        f"site {site.name!r}: node {site.node!r} is not a column of the price file{hint}; "
        f"columns: {have}"
    )


class Dispatch:
    """Hourly dispatch of one or more sites against one market data set.

    Parameters
    ----------
    sites
        Site specs; each uses its ``node`` or, when empty, ``node``.
    market
        Prices (and optional system load) on one calendar, one or more paths.
    hashprice
        Constant, monthly or daily hashprice; see
        :func:`hashpivot.dispatch.core.hashprice_by_hour`.
    btc_price_usd
        BTC price for BTC mined, unless the hashprice input carries its own. [USD/BTC]
    node
        Default price column for sites without one; default: the only loaded node.
    n_threads, chunk_paths
        Parallelism of the closed-form kernel.

    """

    def __init__(
        self,
        sites: Sequence[DispatchSiteSpec],
        market: MarketData,
        hashprice: HashpriceInput,
        btc_price_usd: float | npt.ArrayLike | None = None,
        node: str | None = None,
        n_threads: int | None = None,
        chunk_paths: int = 32,
    ) -> None:
        if not sites:
            raise SpecError(["sites: at least one site is needed"])
        self.sites = tuple(sites)
        self.market = market
        self.hashprice_input = hashprice
        self.btc_price_usd = btc_price_usd
        self.node = node
        self.n_threads = n_threads
        self.chunk_paths = chunk_paths
        self.hashprice = core.hashprice_by_hour(market.calendar, hashprice, btc_price_usd)

    @classmethod
    def from_scenario(
        cls,
        scenario: Scenario,
        market: MarketData,
        hashprice: HashpriceInput,
        btc_price_usd: float | npt.ArrayLike | None = None,
        node: str | None = None,
    ) -> Dispatch:
        """Dispatch a scenario's sites: each site's fleets as tiers, its power contract.

        See :func:`~hashpivot.dispatch.spec.sites_from_scenario` for how a site becomes a
        dispatch site; the other arguments are those of :class:`Dispatch`.
        """
        return cls(sites_from_scenario(scenario), market, hashprice, btc_price_usd, node)

    def site_node(self, site: DispatchSiteSpec) -> str:
        """The price column a site uses."""
        if site.node:
            return site.node
        if self.node:
            return self.node
        nodes = list(self.market.prices_usd_per_mwh)
        if len(nodes) == 1:
            return nodes[0]
        msg = f"site {site.name!r}: node is empty and several nodes are loaded ({', '.join(nodes)})"
        raise SpecError([msg])

    def with_sites(
        self, sites: Sequence[DispatchSiteSpec], market: MarketData | None = None
    ) -> Dispatch:
        """The same dispatch with other sites (or another market), sharing the hashprice."""
        return Dispatch(
            sites,
            market or self.market,
            self.hashprice_input,
            self.btc_price_usd,
            self.node,
            self.n_threads,
            self.chunk_paths,
        )

    def _site_data(self, site: DispatchSiteSpec, notes: list[str]) -> kernel.SiteData:
        cal, load = self.market.calendar, self.market.system_load_mw
        strategy = site.four_cp.strategy
        if not site.has_four_cp:
            notes.append(
                f"site {site.name!r} ({site.power_market or 'market not stated'}): no 4CP, "
                "an ERCOT tariff (PUCT Subst. R. 25.192)"
            )
            peaks, flags = None, None
        elif load is None:
            if strategy != "none":
                msg = f"site {site.name!r}: four_cp.strategy {strategy!r} needs system load data"
                raise SpecError([msg + " (give a load file)"])
            note = "no system load given: 4CP savings are not evaluated (0)"
            if note not in notes:
                notes.append(note)
            peaks, flags = None, None
        else:
            peaks = core.four_cp_hours(load, cal)
            flags = None
            if strategy == "heuristic":
                flags = core.four_cp_heuristic_flags(load, cal, site.four_cp)
        node = self.site_node(site)
        if node not in self.market.prices_usd_per_mwh:
            loaded = ", ".join(self.market.prices_usd_per_mwh)
            msg = f"site {site.name!r}: node {node!r} has no prices loaded; loaded nodes: {loaded}"
            raise SpecError([msg], self.market.source)
        return kernel.SiteData(self.market.price(node), peaks, flags)

    def run(self, keep_hourly: bool | None = None) -> DispatchResult:
        """Dispatch every site over every path; LP for sites with min-load or ramp limits."""
        keep = self.market.n_paths == 1 if keep_hourly is None else keep_hourly
        notes = list(self.market.notes)
        if isinstance(self.hashprice_input, pd.DataFrame):
            notes.append(
                "hashprice: daily history matched by operating day (Central) to the UTC day "
                "of the history, an approximation of at most 6 hours"
            )
        params = [core.site_params(s) for s in self.sites]
        data = [self._site_data(s, notes) for s in self.sites]
        cal = self.market.calendar
        # a site without fleet tiers mines nothing: no LP to solve, whatever its limits
        by_lp = [bool(s.tiers) and s.limits.needs_lp() for s in self.sites]
        closed = [i for i in range(len(self.sites)) if not by_lp[i]]
        shape = (len(self.sites), self.market.n_paths, len(cal.months))
        sums = {k: np.zeros(shape) for k in kernel.METRICS}
        hourly = np.zeros((*shape[:2], cal.n_hours), np.float32) if keep else None
        if closed:
            part, part_hourly = kernel.dispatch_arrays(
                [params[i] for i in closed],
                [data[i] for i in closed],
                self.hashprice,
                cal,
                self.chunk_paths,
                self.n_threads,
                keep,
            )
            for j, i in enumerate(closed):
                for k in kernel.METRICS:
                    sums[k][i] = part[k][j]
                if hourly is not None and part_hourly is not None:
                    hourly[i] = part_hourly[j]
        for i, site in enumerate(self.sites):
            if by_lp[i]:
                self._run_lp(i, params[i], data[i], sums, hourly)
                notes.append(f"site {site.name!r}: dispatched by LP (min-load / ramp limits)")
        prices = tuple(d.price for d in data)
        return DispatchResult(self.sites, cal, sums, hourly, prices, self.hashprice, tuple(notes))

    def _run_lp(
        self,
        i: int,
        params: core.SiteParams,
        data: kernel.SiteData,
        sums: dict[str, FloatArray],
        hourly: npt.NDArray[np.float32] | None,
    ) -> None:
        cal, limits = self.market.calendar, self.sites[i].limits
        for p in range(self.market.n_paths):
            rows = slice(p, p + 1)
            ci = kernel.chunk_inputs(params, data, self.hashprice, cal, rows)
            sol = lp.solve_site_lp(params, ci, limits, label=f" path {p}")
            runs = [sol.run_frac[s][None, :] for s in range(sol.run_frac.shape[0])]
            out, load = kernel.run_chunk(params, ci, runs, keep_hourly=hourly is not None)
            for k, v in out.items():
                sums[k][i, p] = v[0]
            if hourly is not None and load is not None:
                hourly[i, p] = load[0]

    def flexibility_lost(
        self,
        ai_mw: float,
        order: Literal["least_efficient_first", "pro_rata"] = "least_efficient_first",
    ) -> FlexibilityLoss:
        """Flexibility value lost when ``ai_mw`` of each site's mining become firm AI load."""
        before = self.run()
        converted = [convert_site_to_ai(s, ai_mw, order) for s in self.sites]
        after = self.with_sites(converted).run()
        return FlexibilityLoss(ai_mw, order, before, after)

    def four_cp_comparison(self) -> dict[str, dict[str, float]]:
        """4CP savings and profit of each strategy at the ERCOT sites, the rest unchanged."""
        out = {}
        for strategy in ("none", "heuristic", "perfect_foresight"):
            sites = [
                s.model_copy(
                    update={"four_cp": s.four_cp.model_copy(update={"strategy": strategy})}
                )
                if s.has_four_cp
                else s
                for s in self.sites
            ]
            summary = self.with_sites(sites).run(keep_hourly=False).summary()
            out[strategy] = {
                k: summary[k] for k in ("four_cp_savings_usd", "profit_usd", "uptime_frac")
            }
        return out


def convert_site_to_ai(
    site: DispatchSiteSpec,
    ai_mw: float,
    order: Literal["least_efficient_first", "pro_rata"] = "least_efficient_first",
) -> DispatchSiteSpec:
    """The site after ``ai_mw`` of its mining MW become firm AI load.

    ``least_efficient_first`` retires the highest-J/TH tiers first (the ASICs a miner
    would sell); ``pro_rata`` shrinks every tier alike. The PPA block stays a share of
    the mining MW; DR commitment and minimum load are capped at the mining MW left.
    """
    if ai_mw < 0 or ai_mw > site.mining_mw * (1 + 1e-9):
        msg = f"ai_mw: {ai_mw:g} — must be between 0 and the site's mining MW ({site.mining_mw:g})"
        raise SpecError([msg], site.name)
    tiers = _shrink_tiers(site.tiers, ai_mw, order)
    left = float(sum(t.power_mw for t in tiers))
    dr = site.demand_response
    limits = site.limits
    return site.model_copy(
        update={
            "tiers": tiers,
            "ai_mw": site.ai_mw + ai_mw,
            "demand_response": dr.model_copy(update={"committed_mw": min(dr.committed_mw, left)}),
            "limits": limits.model_copy(update={"min_load_mw": min(limits.min_load_mw, left)}),
        }
    )


def _shrink_tiers(
    tiers: tuple[DispatchTierSpec, ...], ai_mw: float, order: str
) -> tuple[DispatchTierSpec, ...]:
    total = sum(t.power_mw for t in tiers)
    if order == "pro_rata":
        scale = 1.0 - ai_mw / total if total else 0.0
        shrunk = [(t, t.power_mw * scale) for t in tiers]
    elif order == "least_efficient_first":
        todo, shrunk = ai_mw, []
        for t in sorted(tiers, key=lambda x: -x.efficiency_j_per_th):
            cut = min(todo, t.power_mw)
            todo -= cut
            shrunk.append((t, t.power_mw - cut))
    else:
        msg = f"order: {order!r} — valid: least_efficient_first, pro_rata"
        raise SpecError([msg])
    return tuple(
        t.model_copy(update={"power_mw": mw}) for t, mw in shrunk if mw > 1e-9 * max(1.0, total)
    )


def loss_per_mw_year(lost_usd: float, ai_mw: float, mining_mw: float, years: float) -> float:
    """Flexibility value lost per converted MW-year [USD/MW/year], or NaN if undefined.

    ``ai_mw`` of ``mining_mw`` (all sites) become AI load for ``years``. NaN (JSON null)
    when no MW are converted, or no more than :data:`MIN_RATE_SHARE_FRAC` of the mining
    MW (the loss is then rounding noise), when ``years`` is zero, or when the quotient is
    not finite: never a division by zero, an overflow warning or an infinity.
    """
    mw_years = float(ai_mw) * float(years)
    if not (ai_mw > MIN_RATE_SHARE_FRAC * mining_mw and mw_years > 0.0):
        return math.nan
    rate = float(lost_usd) / mw_years
    return rate if math.isfinite(rate) else math.nan


@dataclass(frozen=True)
class FlexibilityLoss:
    """A site before and after ``ai_mw`` of its mining become firm AI load."""

    ai_mw: float
    order: str
    before: DispatchResult
    after: DispatchResult

    def summary(self) -> dict[str, Any]:
        """Flexibility value before and after, the loss, and the loss per MW-year.

        The loss per MW-year is NaN for a zero or negligible ``ai_mw``
        (:func:`loss_per_mw_year`).
        """
        b, a = self.before.summary(), self.after.summary()
        lost = b["flexibility_value_usd"] - a["flexibility_value_usd"]
        years = b["hours"] / HOURS_PER_YEAR
        mw_total = self.ai_mw * len(self.before.sites)
        per_mw_year = loss_per_mw_year(lost, mw_total, b["mining_mw"], years)
        out: dict[str, Any] = {
            "ai_mw": self.ai_mw,
            "conversion_order": self.order,
            "flexibility_value_before_usd": b["flexibility_value_usd"],
            "flexibility_value_after_usd": a["flexibility_value_usd"],
            "flexibility_lost_usd": lost,
            "flexibility_lost_usd_per_mw_year": per_mw_year,
            "profit_before_usd": b["profit_usd"],
            "profit_after_usd": a["profit_usd"],
        }
        for key in ("power_credits_usd", "four_cp_savings_usd", "dr_income_usd"):
            out[f"{key.removesuffix('_usd')}_lost_usd"] = b[key] - a[key]
        return out
