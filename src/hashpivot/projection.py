"""Deterministic mining projection: one orchestrator, one result object.

``Projection(scenario).run()`` grows BTC price and network hashrate at the scenario's
constant monthly rates, simulates the chain (retargets, halvings) day by day, and
computes every fleet's monthly economics with the functions of :mod:`hashpivot.mining`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot import mining, network
from hashpivot.hardware import get_asic
from hashpivot.spec import Scenario

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
)
"""Columns that add up over fleets and months."""


@dataclass(frozen=True)
class _FleetArrays:
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


def _stack_fleets(scenario: Scenario) -> _FleetArrays:
    rows: list[dict[str, Any]] = []
    for site in scenario.sites:
        seen: list[str] = []
        for fleet in site.fleets:
            asic = get_asic(fleet.asic_model)
            th_s, power_w, j_per_th = fleet.unit()
            capex = fleet.capex_usd_per_th
            seen.append(asic.model)
            n_same = seen.count(asic.model)
            rows.append(
                {
                    "site": site.name,
                    "fleet": asic.model if n_same == 1 else f"{asic.model} #{n_same}",
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
                }
            )
    cols = {k: [r[k] for r in rows] for k in _FleetArrays.__dataclass_fields__}
    arrays = {
        k: np.asarray(v, dtype=np.float64) for k, v in cols.items() if k not in ("site", "fleet")
    }
    return _FleetArrays(site=cols["site"], fleet=cols["fleet"], **arrays)


def _fleet_month_frame(
    f: _FleetArrays, net: network.NetworkPath, price_usd: FloatArray
) -> pd.DataFrame:
    """Economics of every fleet (rows) in every month (columns), as a long frame."""
    cal = net.calendar
    months = np.arange(cal.n_months)
    col = (slice(None), None)
    power_price = mining.escalated_price_usd_per_mwh(
        f.power_usd_per_mwh[col], f.escalator_frac_per_year[col], months
    )
    hashprice_usd = net.hashprice_btc_per_ph_day * price_usd
    breakeven = mining.breakeven_power_fleet_usd_per_mwh(
        hashprice_usd, f.efficiency_j_per_th[col], f.pool_fee_frac[col], f.pue[col]
    )
    running = np.where(
        f.shutdown_when_unprofitable[col] > 0, (breakeven >= power_price).astype(float), 1.0
    )
    hashrate_ph_s = mining.fleet_hashrate_ph_s(f.count, f.unit_th_s, f.uptime_frac)[col] * running
    potential_mw = mining.fleet_power_mw(f.count, f.unit_w, f.uptime_frac, f.pue)[col]
    draw_mw = potential_mw * running
    capacity_mw = mining.fleet_power_mw(f.count, f.unit_w, 1.0, f.pue)[col]
    btc = mining.btc_mined(
        net.hashprice_btc_per_ph_day, hashrate_ph_s, cal.days_in_month, f.pool_fee_frac[col]
    )
    hours = cal.days_in_month * mining.HOURS_PER_DAY
    energy = mining.energy_mwh(draw_mw, hours)
    capex = np.nan_to_num(f.count * f.unit_th_s * f.capex_usd_per_th)[col]
    values = {
        "running": running,
        "hashrate_ph_s": hashrate_ph_s,
        "btc_mined": btc,
        "revenue_usd": btc * price_usd,
        "energy_mwh": energy,
        "potential_energy_mwh": mining.energy_mwh(potential_mw, hours),
        "depreciation_usd": np.where(
            months < f.useful_life_months[col], capex / f.useful_life_months[col], 0.0
        ),
        "power_price_usd_per_mwh": power_price,
        "power_cost_usd": energy * power_price,
        "other_opex_usd": np.broadcast_to(capacity_mw * f.opex_usd_per_mw_month[col], btc.shape),
        "breakeven_power_usd_per_mwh": breakeven,
    }
    values["gross_margin_usd"] = (
        values["revenue_usd"] - values["power_cost_usd"] - values["other_opex_usd"]
    )
    n_f = len(f.site)
    frame = pd.DataFrame({k: np.asarray(v).ravel() for k, v in values.items()})
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
        ASIC capex per (site, fleet), NaN where no price is known. [USD]

    """

    scenario: Scenario
    fleets: pd.DataFrame
    network: pd.DataFrame
    halvings: list[tuple[int, dt.date]]
    capex_usd: pd.Series
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
        out = pd.DataFrame(
            {"capex_usd": capex.to_numpy(), "payback_months": months}, index=margin.index
        )
        out["verdict"] = [
            "no capex price known"
            if math.isnan(c)
            else ("does not pay back" if math.isnan(m) else f"pays back in {int(m)} months")
            for c, m in zip(out["capex_usd"], out["payback_months"], strict=True)
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


class Projection:
    """Deterministic mining projection of a scenario.

    Parameters
    ----------
    scenario
        A validated scenario.

    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario

    def run(self, months: int | None = None) -> ProjectionResult:
        """Project ``months`` months (default: the scenario's horizon)."""
        sc = self.scenario
        n = sc.horizon_months if months is None else months
        m = sc.market
        net = network.fixed_growth_network(
            sc.start_date,
            n,
            m.network_hashrate_eh_s,
            m.network_hashrate_growth_frac_per_month,
            m.block_height,
            m.difficulty,
            m.fees_btc_per_block,
        )
        growth = (1.0 + m.btc_price_growth_frac_per_month) ** np.arange(n, dtype=np.float64)
        price_usd = np.asarray(m.btc_price_usd * growth, dtype=np.float64)
        fleets = _stack_fleets(sc)
        capex = pd.Series(
            fleets.count * fleets.unit_th_s * fleets.capex_usd_per_th,
            index=pd.MultiIndex.from_arrays([fleets.site, fleets.fleet], names=["site", "fleet"]),
        )
        return ProjectionResult(
            scenario=sc,
            fleets=_fleet_month_frame(fleets, net, price_usd),
            network=_network_frame(net, price_usd),
            halvings=network.halving_dates(net, sc.start_date),
            capex_usd=capex,
        )
