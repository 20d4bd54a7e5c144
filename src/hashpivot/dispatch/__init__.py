"""Hourly dispatch and grid flexibility: curtailment, 4CP, demand response, power credits.

Layers (DESIGN §3):

* functions — :mod:`hashpivot.dispatch.core` (closed-form kernel over hours × paths),
  :mod:`hashpivot.dispatch.lp` (min-load and ramp limits, HiGHS),
  :mod:`hashpivot.dispatch.flex` (month-and-hour block bootstrap);
* specs — :mod:`hashpivot.dispatch.spec`;
* inputs — :mod:`hashpivot.dispatch.io` (ERCOT layouts, DST, data rules);
* orchestrator — :class:`Dispatch` returning :class:`DispatchResult`.

Examples
--------
>>> from hashpivot.dispatch import Dispatch, DispatchSiteSpec, DispatchTierSpec
>>> from hashpivot.dispatch.io import HourCalendar, MarketData
>>> import numpy as np
>>> cal = HourCalendar.regular("2024-01-01", 48)
>>> market = MarketData(cal, {"N": np.full((1, 48), 30.0)})
>>> tier = DispatchTierSpec(efficiency_j_per_th=20, power_mw=10)
>>> site = DispatchSiteSpec(name="s", tiers=(tier,))
>>> round(Dispatch([site], market, 50.0, 90_000.0).run().summary()["uptime_frac"], 3)
1.0

"""

from hashpivot.dispatch.engine import (
    Dispatch,
    DispatchResult,
    FlexibilityLoss,
    convert_site_to_ai,
    resolve_nodes,
)
from hashpivot.dispatch.flex import FlexibilityMonteCarlo, flexibility_monte_carlo
from hashpivot.dispatch.io import HourCalendar, MarketData, read_hashprice_history, read_market
from hashpivot.dispatch.spec import (
    DataRulesSpec,
    DemandResponseSpec,
    DispatchContractSpec,
    DispatchSiteSpec,
    DispatchTierSpec,
    FourCPSpec,
    OperatingLimitsSpec,
    sites_from_scenario,
)

__all__ = [
    "DataRulesSpec",
    "DemandResponseSpec",
    "Dispatch",
    "DispatchContractSpec",
    "DispatchResult",
    "DispatchSiteSpec",
    "DispatchTierSpec",
    "FlexibilityLoss",
    "FlexibilityMonteCarlo",
    "FourCPSpec",
    "HourCalendar",
    "MarketData",
    "OperatingLimitsSpec",
    "convert_site_to_ai",
    "flexibility_monte_carlo",
    "read_hashprice_history",
    "read_market",
    "resolve_nodes",
    "sites_from_scenario",
]
