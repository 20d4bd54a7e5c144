"""Deterministic mining projection: one orchestrator, one result object.

``Projection(scenario).run()`` grows the BTC price at the scenario's constant monthly
rate, runs a network model along that price path (:func:`deterministic_market`), and
computes every fleet's monthly economics with the functions of :mod:`hashpivot.mining`.

The base path's network model is the scenario's ``network_model`` by default: the supply
curve of the Monte Carlo with every shock at zero (its median path), so that hashprice
stays in equilibrium with the fleet that can run at it. ``fixed_growth`` stays available
by name: hashrate grows at the market block's ``network_hashrate_growth_frac_per_month``
on the exact daily chain (what mining calculators assume).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot import bitcoin, conversion, mining
from hashpivot.hardware import get_asic
from hashpivot.network import chain
from hashpivot.network import models as network
from hashpivot.network.supply import SupplyShocks, frontier_efficiency_j_per_th
from hashpivot.spec import FleetSpec, Scenario, SiteSpec, add_months

FloatArray = npt.NDArray[np.float64]

FLOW_COLUMNS = (
    "btc_mined",
    "revenue_usd",
    "power_cost_usd",
    "other_opex_usd",
    "gross_margin_usd",
    "energy_mwh",
    "potential_energy_mwh",
    "depreciation_usd",
    "asic_capex_usd",
)
"""Columns that add up over fleets and months."""


@dataclass(frozen=True)
class FleetArrays:
    """Per-fleet constants stacked along axis 0."""

    site: list[str]
    fleet: list[str]
    count: FloatArray
    unit_th_s: FloatArray
    unit_w: FloatArray
    efficiency_j_per_th: FloatArray
    uptime_frac: FloatArray
    pue: FloatArray
    pool_fee_frac: FloatArray
    opex_usd_per_mw_month: FloatArray
    power_usd_per_mwh: FloatArray
    escalator_frac_per_year: FloatArray
    capex_usd_per_th: FloatArray
    shutdown_when_unprofitable: FloatArray
    useful_life_months: FloatArray
    start_month: FloatArray
    """Month the fleet is installed: 0 for the scenario's fleets, the replacement month for
    the machines that replace one. [months]"""
    replaces: npt.NDArray[np.int64]
    """Row of the fleet this one replaces, −1 for the scenario's own fleets. [-]"""

    @property
    def bought_usd(self) -> FloatArray:
        """What each fleet's ASICs cost at its price (NaN where none is known) [USD]."""
        return np.asarray(self.count * self.unit_th_s * self.capex_usd_per_th)


def _fleet_row(site: SiteSpec, fleet: FleetSpec, name: str) -> dict[str, Any]:
    """Constants of one of the scenario's fleets."""
    asic = get_asic(fleet.asic_model)
    th_s, power_w, j_per_th = fleet.unit()
    capex = fleet.capex_usd_per_th
    return {
        "site": site.name,
        "fleet": name,
        "count": fleet.count,
        "unit_th_s": th_s,
        "unit_w": power_w,
        "efficiency_j_per_th": j_per_th,
        "uptime_frac": fleet.uptime_frac,
        "pue": site.mining_pue,
        "pool_fee_frac": site.pool_fee_frac,
        "opex_usd_per_mw_month": site.other_opex_usd_per_mw_month,
        "power_usd_per_mwh": site.power.price_usd_per_mwh,
        "escalator_frac_per_year": site.power.escalator_frac_per_year,
        "capex_usd_per_th": asic.price_usd_per_th if capex is None else capex,
        "shutdown_when_unprofitable": site.shutdown_when_unprofitable,
        "useful_life_months": fleet.useful_life_months,
        "start_month": 0,
        "replaces": -1,
    }


def _replacement_row(
    scenario: Scenario, fleet: FleetSpec, old: dict[str, Any], old_row: int
) -> dict[str, Any]:
    """The machines that replace a fleet: same count and power, frontier J/TH of the date.

    The frontier is the network model's (the ASIC fit behind ``network_model``,
    :func:`hashpivot.network.supply.frontier_efficiency_j_per_th`), so the company's new
    machines are those the network builds on the same date.
    """
    month = int(fleet.replace_after_months or 0)
    date = add_months(scenario.start_date, month)
    j_per_th = float(frontier_efficiency_j_per_th(scenario.network_model, [date])[0])
    return old | {
        "fleet": f"{old['fleet']} → replaced {date:%Y-%m}",
        "unit_th_s": old["unit_w"] / j_per_th,
        "efficiency_j_per_th": j_per_th,
        "capex_usd_per_th": fleet.replacement_capex_usd_per_w * j_per_th,
        "start_month": month,
        "replaces": old_row,
    }


def stack_fleets(scenario: Scenario) -> FleetArrays:
    """Per-fleet constants of every site, stacked along axis 0 in scenario order.

    Each site's fleets come first, then the machines that replace those with a
    ``replace_after_months`` (:func:`_replacement_row`).
    """
    rows: list[dict[str, Any]] = []
    for site in scenario.sites:
        seen: list[str] = []
        first = len(rows)
        for fleet in site.fleets:
            model = get_asic(fleet.asic_model).model
            seen.append(model)
            n_same = seen.count(model)
            rows.append(_fleet_row(site, fleet, model if n_same == 1 else f"{model} #{n_same}"))
        for i, fleet in enumerate(site.fleets):
            if fleet.replace_after_months is not None:
                rows.append(_replacement_row(scenario, fleet, rows[first + i], first + i))
    cols = {k: [r[k] for r in rows] for k in FleetArrays.__dataclass_fields__}
    arrays = {
        k: np.asarray(v, dtype=np.float64)
        for k, v in cols.items()
        if k not in ("site", "fleet", "replaces")
    }
    replaces = np.asarray(cols["replaces"], dtype=np.int64)
    return FleetArrays(site=cols["site"], fleet=cols["fleet"], replaces=replaces, **arrays)


@dataclass(frozen=True)
class FleetCoefficients:
    """Per-fleet, per-month constants of the mining economics, each ``(fleets, months)``.

    Everything a fleet earns and spends in a month is one of these times its running
    indicator (and, for BTC, the month's hashprice): the market-dependent part is a
    comparison and a few multiplications, which keeps the Monte Carlo cheap.

    Attributes
    ----------
    hashrate_ph_s
        Average hashrate while running (installed × TH/s × uptime). [PH/s]
    btc_per_hashprice
        BTC mined per unit of hashprice: PH/s × days × (1 − pool fee). [PH·day]
    energy_mwh
        Energy drawn in the month while running, cooling included. [MWh]
    power_price_usd_per_mwh
        Contract price, escalated. [USD/MWh]
    opex_usd
        Variable opex while running. [USD]
    opex_usd_per_mwh
        The same per MWh drawn. [USD/MWh]
    hashprice_per_power_usd
        Hashprice at which revenue pays 1 USD/MWh of power: 24·J/TH·PUE·1e-3/(1 − fee),
        so a fleet runs while hashprice ≥ this × (power price + opex per MWh).
        [USD/PH/day per USD/MWh]
    shutdown
        1 where the fleet may be switched off, 0 where it always runs. [-]
    depreciation_usd
        Straight-line ASIC depreciation. [USD]
    installed_frac
        Share of the fleet still installed after conversions. [-]

    """

    hashrate_ph_s: FloatArray
    btc_per_hashprice: FloatArray
    energy_mwh: FloatArray
    power_price_usd_per_mwh: FloatArray
    opex_usd: FloatArray
    opex_usd_per_mwh: FloatArray
    hashprice_per_power_usd: FloatArray
    shutdown: FloatArray
    depreciation_usd: FloatArray
    installed_frac: FloatArray


def fleet_coefficients(
    f: FleetArrays, active_frac: FloatArray, days_in_month: npt.NDArray[np.int64]
) -> FleetCoefficients:
    """The market-independent part of every fleet's monthly economics, ``(fleets, months)``."""
    col = (slice(None), None)
    months = np.arange(len(days_in_month))
    hours = days_in_month * mining.HOURS_PER_DAY
    installed = f.count[col] * active_frac
    hashrate = mining.fleet_hashrate_ph_s(installed, f.unit_th_s[col], f.uptime_frac[col])
    draw_mw = mining.fleet_power_mw(installed, f.unit_w[col], f.uptime_frac[col], f.pue[col])
    capacity_mw = mining.fleet_power_mw(installed, f.unit_w[col], 1.0, f.pue[col])
    # breakeven (mining.breakeven_power_fleet_usd_per_mwh) >= price  <=>  hashprice >= k·price
    k = 24.0 * f.efficiency_j_per_th * f.pue * 1e-3 / (1.0 - f.pool_fee_frac)
    capex = np.nan_to_num(f.bought_usd)[col]
    start = f.start_month[col]
    life = f.useful_life_months[col]
    return FleetCoefficients(
        hashrate_ph_s=hashrate,
        btc_per_hashprice=hashrate * days_in_month * (1.0 - f.pool_fee_frac[col]),
        energy_mwh=mining.energy_mwh(draw_mw, hours),
        power_price_usd_per_mwh=mining.escalated_price_usd_per_mwh(
            f.power_usd_per_mwh[col], f.escalator_frac_per_year[col], months
        ),
        opex_usd=capacity_mw * f.opex_usd_per_mw_month[col],
        opex_usd_per_mwh=f.opex_usd_per_mw_month[col] / (hours * f.uptime_frac[col]),
        hashprice_per_power_usd=np.broadcast_to(k[col], installed.shape).copy(),
        shutdown=np.broadcast_to(f.shutdown_when_unprofitable[col], installed.shape).copy(),
        depreciation_usd=np.where((months >= start) & (months < start + life), capex / life, 0.0)
        * active_frac,
        installed_frac=active_frac,
    )


def running_indicator(
    c: FleetCoefficients,
    i: int,
    hashprice_usd_per_ph_day: FloatArray,
    power_price_factor: FloatArray | None = None,
) -> FloatArray:
    """1 where fleet ``i`` runs (revenue covers power and variable opex), else 0 ``(..., months)``.

    The cash breakeven: hashprice × (1 − fee) / (24·J/TH·PUE·1e-3) ≥ power price + opex
    per MWh (:func:`hashpivot.mining.breakeven_power_fleet_usd_per_mwh`).
    """
    if not c.shutdown[i, 0]:
        return np.ones_like(hashprice_usd_per_ph_day)
    price = c.power_price_usd_per_mwh[i]
    if power_price_factor is not None:
        price = price * power_price_factor
    threshold = c.hashprice_per_power_usd[i] * (price + c.opex_usd_per_mwh[i])
    return np.asarray(hashprice_usd_per_ph_day >= threshold, dtype=np.float64)


def fleet_month_arrays(
    f: FleetArrays,
    active_frac: FloatArray,
    hashprice_btc_per_ph_day: FloatArray,
    price_usd: FloatArray,
    days_in_month: npt.NDArray[np.int64],
) -> dict[str, FloatArray]:
    """Economics of every fleet in every month of one path, as arrays ``(fleets, months)``."""
    c = fleet_coefficients(f, active_frac, days_in_month)
    hashprice_usd = hashprice_btc_per_ph_day * price_usd
    running = (
        np.stack([running_indicator(c, i, hashprice_usd) for i in range(len(f.site))])
        if len(f.site)
        else np.zeros((0, *np.shape(hashprice_usd)))  # AI conversions without a fleet
    )
    btc = running * c.btc_per_hashprice * hashprice_btc_per_ph_day
    breakeven = mining.breakeven_power_fleet_usd_per_mwh(
        hashprice_usd, f.efficiency_j_per_th[:, None], f.pool_fee_frac[:, None], f.pue[:, None]
    )
    out = {
        "running": running,
        "hashrate_ph_s": c.hashrate_ph_s * running,
        "btc_mined": btc,
        "revenue_usd": btc * price_usd,
        "energy_mwh": c.energy_mwh * running,
        "potential_energy_mwh": c.energy_mwh,
        "installed_frac": c.installed_frac,
        "depreciation_usd": c.depreciation_usd,
        "power_price_usd_per_mwh": c.power_price_usd_per_mwh,
        "power_cost_usd": c.energy_mwh * running * c.power_price_usd_per_mwh,
        "other_opex_usd": c.opex_usd * running,
        "breakeven_power_usd_per_mwh": breakeven,
    }
    out["gross_margin_usd"] = out["revenue_usd"] - out["power_cost_usd"] - out["other_opex_usd"]
    out["asic_capex_usd"] = fleet_capex_usd(f, active_frac)
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def _fleet_month_frame(
    f: FleetArrays, net: network.NetworkPath, price_usd: FloatArray, active_frac: FloatArray
) -> pd.DataFrame:
    """Economics of every fleet (rows) in every month (columns), as a long frame."""
    cal = net.calendar
    values = fleet_month_arrays(
        f, active_frac, net.hashprice_btc_per_ph_day, price_usd, cal.days_in_month
    )
    n_f = len(f.site)
    frame = pd.DataFrame({k: v.ravel() for k, v in values.items()})
    frame.insert(0, "month", np.tile(cal.month_start, n_f))
    frame.insert(1, "site", np.repeat(f.site, cal.n_months))
    frame.insert(2, "fleet", np.repeat(f.fleet, cal.n_months))
    return frame


def _network_frame(net: network.NetworkPath, price_usd: FloatArray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "month": net.calendar.month_start,
            "btc_price_usd": price_usd,
            "network_hashrate_eh_s": net.network_hashrate_eh_s,
            "difficulty": net.difficulty,
            "height_end": net.height_end,
            "blocks": net.blocks,
            "issued_btc": net.issued_btc,
            "fees_btc": net.fees_btc,
            "hashprice_usd_per_ph_day": net.hashprice_btc_per_ph_day * price_usd,
            "hashprice_btc_per_ph_day": net.hashprice_btc_per_ph_day,
        }
    )


@dataclass
class ProjectionResult:
    """Result of :class:`Projection`: monthly fleet economics and the network path.

    Attributes
    ----------
    fleets
        One row per (month, site, fleet) with every flow and rate.
    network
        One row per month: BTC price, hashrate, difficulty, blocks, hashprice.
    halvings
        Halvings inside the horizon as ``(height, date)``.
    capex_usd
        ASIC capex per (site, fleet), NaN where no price is known; a replacing fleet's is
        paid in its replacement month (``asic_capex_usd`` of ``fleets``). [USD]
    network_model
        Network model of the base path (:data:`BASE_PATH_MODELS`).
    start_month
        Month each (site, fleet) is installed: 0, or its replacement month. [months]

    """

    scenario: Scenario
    fleets: pd.DataFrame
    network: pd.DataFrame
    halvings: list[tuple[int, dt.date]]
    capex_usd: pd.Series
    network_model: str = "supply_curve"
    start_month: pd.Series | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def aggregate(
        self, level: Literal["company", "site", "fleet"] = "company", freq: Literal["M", "Y"] = "M"
    ) -> pd.DataFrame:
        """Flows summed by month or calendar year, for the company, each site or fleet."""
        frame = self.fleets.copy()
        frame["period"] = frame["month"].dt.year if freq == "Y" else frame["month"]
        keys = ["period"] + {"company": [], "site": ["site"], "fleet": ["site", "fleet"]}[level]
        out = frame.groupby(keys, sort=False)[list(FLOW_COLUMNS)].sum().reset_index()
        out = out.sort_values("period", kind="stable", ignore_index=True)
        cost = out["power_cost_usd"] + out["other_opex_usd"]
        out["cash_cost_per_btc_usd"] = mining.cost_per_btc_usd(cost, out["btc_mined"])
        out["all_in_cost_per_btc_usd"] = mining.cost_per_btc_usd(
            cost + out["depreciation_usd"], out["btc_mined"]
        )
        return out

    def payback(self) -> pd.DataFrame:
        """ASIC capex payback per fleet, in months; NaN means it does not pay back."""
        margin = self.fleets.pivot_table(
            index=["site", "fleet"], columns="month", values="gross_margin_usd", sort=False
        )
        capex = self.capex_usd.reindex(margin.index)
        months = mining.payback_months(margin.to_numpy(), capex.to_numpy())
        if self.start_month is not None:  # a replacing fleet pays back from its purchase
            months = months - self.start_month.reindex(margin.index).to_numpy()
        out = pd.DataFrame(
            {"capex_usd": capex.to_numpy(), "payback_months": months}, index=margin.index
        )
        installed = self.fleets.groupby(["site", "fleet"], sort=False)["installed_frac"].max()
        out["verdict"] = [
            "never installed (its MW were converted)"
            if not live
            else "no capex price known"
            if math.isnan(c)
            else ("does not pay back" if math.isnan(m) else f"pays back in {int(m)} months")
            for c, m, live in zip(
                out["capex_usd"],
                out["payback_months"],
                installed.reindex(margin.index).to_numpy() > 0,
                strict=True,
            )
        ]
        return out.reset_index()

    def site_breakeven(self) -> pd.DataFrame:
        """First-month breakeven power price per site (revenue = power cost) [USD/MWh]."""
        first = self.fleets[self.fleets["month"] == self.fleets["month"].min()].copy()
        first["weighted"] = first["breakeven_power_usd_per_mwh"] * first["potential_energy_mwh"]
        g = first.groupby("site", sort=False)
        out = pd.DataFrame(
            {
                "power_price_usd_per_mwh": g["power_price_usd_per_mwh"].mean(),
                "breakeven_power_usd_per_mwh": g["weighted"].sum()
                / g["potential_energy_mwh"].sum(),
                "worst_fleet_breakeven_usd_per_mwh": g["breakeven_power_usd_per_mwh"].min(),
            }
        )
        return out.reset_index()

    def summary(self) -> dict[str, Any]:
        """Headline numbers of the projection, JSON-ready."""
        total = self.fleets[list(FLOW_COLUMNS)].sum()
        cost = total["power_cost_usd"] + total["other_opex_usd"]
        first = self.network.iloc[0]
        return {
            "scenario": self.scenario.name,
            "start_month": str(self.network["month"].iloc[0].date()),
            "months": len(self.network),
            "network_model": self.network_model,
            "btc_mined": float(total["btc_mined"]),
            "revenue_usd": float(total["revenue_usd"]),
            "power_cost_usd": float(total["power_cost_usd"]),
            "other_opex_usd": float(total["other_opex_usd"]),
            "gross_margin_usd": float(total["gross_margin_usd"]),
            "cash_cost_per_btc_usd": float(mining.cost_per_btc_usd(cost, total["btc_mined"])),
            "all_in_cost_per_btc_usd": float(
                mining.cost_per_btc_usd(cost + total["depreciation_usd"], total["btc_mined"])
            ),
            "hashprice_usd_per_ph_day_first_month": float(first["hashprice_usd_per_ph_day"]),
            "fleet_hashrate_eh_s": float(
                self.fleets.loc[self.fleets["month"] == first["month"], "hashrate_ph_s"].sum() / 1e3
            ),
            "halvings": [{"height": h, "date": str(d)} for h, d in self.halvings],
        }

    def to_frame(self) -> pd.DataFrame:
        """Tidy long frame: month, site, fleet, metric, value."""
        return self.fleets.melt(id_vars=["month", "site", "fleet"], var_name="metric")

    def to_dict(self, freq: Literal["M", "Y"] = "Y") -> dict[str, Any]:
        """Everything a script needs, JSON-ready."""
        agg = self.aggregate("company", freq)
        agg["period"] = agg["period"].astype(str)
        return {
            "summary": self.summary(),
            "company": agg.to_dict(orient="records"),
            "sites_breakeven": self.site_breakeven().to_dict(orient="records"),
            "payback": self.payback().to_dict(orient="records"),
        }


BASE_PATH_MODELS = ("supply_curve", "fixed_growth")
"""Network models the deterministic base path can run, by name (the scenario's by default)."""


def _zero_shocks(months: int) -> SupplyShocks:
    """Every supply shock at zero, one path: the model's median path (no build or noise draw)."""
    z = np.zeros((months, 1), dtype=np.float32)
    one = np.zeros(1, dtype=np.float32)
    return SupplyShocks(build=z, noise=z.copy(), start=one, pipeline=one.copy())


def _single_path(net: network.NetworkPath) -> network.NetworkPath:
    """A one-path network path with its leading path axis dropped (arrays ``(months,)``)."""
    squeeze = {
        f.name: getattr(net, f.name)[0]
        for f in fields(net)
        if isinstance(getattr(net, f.name), np.ndarray)
        and f.name != "halving_heights"
        and getattr(net, f.name).ndim == 2
    }
    return replace(net, **squeeze)


def base_network_model(scenario: Scenario, network_model: str | None = None) -> str:
    """Name of the base path's network model: ``network_model``, else the scenario's.

    Raises
    ------
    UnknownNameError
        The name is not one of :data:`BASE_PATH_MODELS` (the message lists them).

    """
    name = scenario.network_model.model if network_model is None else network_model
    network.network_model(name)  # raises with the valid names
    return name


def deterministic_market(
    scenario: Scenario, months: int, network_model: str | None = None
) -> tuple[network.NetworkPath, FloatArray]:
    """Network path and monthly BTC price [USD/BTC] of the deterministic base path.

    The BTC price grows at the market block's constant monthly rate. The network follows
    the named model (default: the scenario's ``network_model.model``):

    - ``supply_curve``: :func:`hashpivot.network.supply.simulate_supply_curve` along that
      price with every shock at zero, the median path of the Monte Carlo's network
      (https://htlc.io/hash-rate-equilibrium-math; Fantazzini and Kolodin 2020, https://www.mdpi.com/1911-8074/13/11/263):
      miners run while hashprice covers their hashcost, so hashprice cannot fall below
      what the fleet that runs can bear;
    - ``fixed_growth``: hashrate grows at the market block's
      ``network_hashrate_growth_frac_per_month`` whatever hashprice does, on the exact
      daily chain (the calculators' assumption).
    """
    m = scenario.market
    growth = (1.0 + m.btc_price_growth_frac_per_month) ** np.arange(months, dtype=np.float64)
    price = np.asarray(m.btc_price_usd * growth, dtype=np.float64)
    if base_network_model(scenario, network_model) == "fixed_growth":
        net = network.fixed_growth_network(
            scenario.start_date,
            months,
            m.network_hashrate_eh_s,
            m.network_hashrate_growth_frac_per_month,
            m.block_height,
            m.difficulty,
            m.fees_btc_per_block,
        )
        return net, price
    d0 = m.difficulty
    if d0 is None:
        d0 = float(bitcoin.difficulty_for_hashrate(m.network_hashrate_eh_s * 1e18))
    net = network.network_model("supply_curve")(
        scenario.network_model,
        price[None, :],
        np.full((1, months), m.fees_btc_per_block),
        chain.calendar(scenario.start_date, months),
        m.network_hashrate_eh_s,
        float(d0),
        float(m.block_height),
        _zero_shocks(months),
        None,
    )
    return _single_path(net), price


def month_index(start_date: dt.date, date: dt.date) -> int:
    """Calendar months from ``start_date``'s month to ``date``'s month (negative before)."""
    return (date.year - start_date.year) * 12 + (date.month - start_date.month)


def fleet_installed_frac(scenario: Scenario, f: FleetArrays, months: int) -> FloatArray:
    """Share of each fleet still installed in each month, after conversions (fleets × months).

    Each conversion frees its gross MW on its decision date: unused interconnect first,
    then the least efficient fleets of its site (:func:`conversion.displaced_frac_by_fleet`,
    ranked by the scenario's own fleets). A replaced fleet hands what is left of it to the
    machines that replace it in its replacement month (:func:`_hand_over`).
    """
    out = np.ones((len(f.site), months))
    site_of = np.asarray(f.site)
    draw_mw = mining.fleet_power_mw(f.count, f.unit_w, 1.0, f.pue)
    t = np.arange(months)
    own = f.replaces < 0
    for site in scenario.sites:
        idx = np.flatnonzero((site_of == site.name) & own)
        remaining = draw_mw[idx].copy()
        free_mw = site.power_capacity_mw - float(remaining.sum())
        for conv in sorted(site.conversions, key=lambda c: c.decision_date):
            frac = conversion.displaced_frac_by_fleet(
                remaining, f.efficiency_j_per_th[idx], conv.gross_mw, free_mw
            )
            removed_mw = remaining * frac
            free_mw = max(free_mw - conv.gross_mw, 0.0)
            start = month_index(scenario.start_date, conv.decision_date)
            share_of_original = np.divide(
                removed_mw, draw_mw[idx], out=np.zeros_like(removed_mw), where=draw_mw[idx] > 0
            )
            out[idx] -= share_of_original[:, None] * (t >= start)[None, :]
            remaining = remaining - removed_mw
    return _hand_over(f, np.clip(out, 0.0, 1.0))


def fleet_capex_usd(f: FleetArrays, installed: FloatArray) -> FloatArray:
    """ASICs bought to replace fleets, per fleet and month ``(fleets, months)`` [USD].

    A replacing fleet is bought in its ``start_month`` for the share of the old fleet still
    installed then (:func:`fleet_installed_frac`); the scenario's own fleets are owned at
    the start and cost nothing here. A price that is not known counts zero.
    """
    out = np.zeros_like(installed)
    for new in np.flatnonzero(f.replaces >= 0):
        m = int(f.start_month[new])
        if m < installed.shape[1]:
            out[new, m] = np.nan_to_num(f.bought_usd[new]) * installed[new, m]
    return out


def _hand_over(f: FleetArrays, installed: FloatArray) -> FloatArray:
    """Move each replaced fleet's installed share to its replacement from the replacement month.

    ``installed`` holds, for the scenario's own fleets, the share left after conversions;
    the replacing machines take that share from their ``start_month`` on (so a later
    conversion still frees the same MW) and the old fleet keeps it before.
    """
    out = installed.copy()
    t = np.arange(installed.shape[1])
    for new in np.flatnonzero(f.replaces >= 0):
        old = int(f.replaces[new])
        after = t >= f.start_month[new]
        out[new] = np.where(after, installed[old], 0.0)
        out[old] = np.where(after, 0.0, installed[old])
    return out


class Projection:
    """Deterministic mining projection of a scenario.

    Parameters
    ----------
    scenario
        A validated scenario.
    network_model
        Network model of the base path (:data:`BASE_PATH_MODELS`); default: the
        scenario's ``network_model.model``.

    """

    def __init__(self, scenario: Scenario, network_model: str | None = None) -> None:
        self.scenario = scenario
        self.network_model = base_network_model(scenario, network_model)

    def run(self, months: int | None = None) -> ProjectionResult:
        """Project ``months`` months (default: the scenario's horizon)."""
        sc = self.scenario
        n = sc.horizon_months if months is None else months
        net, price_usd = deterministic_market(sc, n, self.network_model)
        fleets = stack_fleets(sc)
        active = fleet_installed_frac(sc, fleets, n)
        index = pd.MultiIndex.from_arrays([fleets.site, fleets.fleet], names=["site", "fleet"])
        return ProjectionResult(
            scenario=sc,
            fleets=_fleet_month_frame(fleets, net, price_usd, active),
            network=_network_frame(net, price_usd),
            halvings=network.halving_dates(net, sc.start_date),
            capex_usd=pd.Series(fleets.bought_usd, index=index),
            network_model=self.network_model,
            start_month=pd.Series(fleets.start_month, index=index),
        )
