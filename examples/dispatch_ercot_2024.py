"""Q5, dispatch on ERCOT 2024: what hourly flexibility was worth, and what AI load gives up.

Runs the hourly dispatch (:class:`hashpivot.Dispatch`) of the default scenario's fleets on
ERCOT's 2024 real-time LZ_WEST prices (every site priced at LZ_WEST, as the README's
dispatch example), with 2024 daily hashprice and 4CP avoidance on system load, then the
flexibility lost when ``--ai-mw`` MW of each site become firm AI load.

The data are not part of the package: pass the folder holding
``ercot_lz_rtm_hourly_2024_2025.csv``, ``ercot_native_load_hourly_2023_2025.csv`` and
``btc_network_daily.csv`` (default
``../shared/data``, the project's shared data folder; ``SOURCES.md`` there says where
each file comes from).

    python examples/dispatch_ercot_2024.py [--data FOLDER] [--ai-mw MW]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import hashpivot as hp
from hashpivot.dispatch import (
    DispatchSiteSpec,
    read_hashprice_history,
    read_market,
    resolve_nodes,
    sites_from_scenario,
)
from hashpivot.dispatch.io import value_columns

FILES = {
    "prices": "ercot_lz_rtm_hourly_2024_2025.csv",
    "load": "ercot_native_load_hourly_2023_2025.csv",
    "hashprice": "btc_network_daily.csv",
}
"""The three public data files the example reads (see the data folder's SOURCES.md)."""


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Print the 2024 dispatch summary and the flexibility lost to AI; return the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"), help="data folder")
    parser.add_argument("--ai-mw", type=float, default=20.0, help="MW per site made firm AI")
    args = parser.parse_args(argv)

    missing = [name for name in FILES.values() if not (args.data / name).is_file()]
    if missing:
        sys.exit(
            f"dispatch_ercot_2024: {args.data} lacks {', '.join(missing)}; pass --data FOLDER "
            "with the ERCOT and network CSVs (the project's ../shared/data)"
        )
    prices = args.data / FILES["prices"]
    sites = sites_from_scenario(hp.default_scenario())
    sites = resolve_nodes(sites, value_columns(prices), "LZ_WEST", same_node=True)
    # 4CP avoidance at the ERCOT sites: curtail when system load nears the summer peak
    sites = tuple(
        DispatchSiteSpec.model_validate(s.model_dump() | {"four_cp": {"strategy": "heuristic"}})
        if s.has_four_cp
        else s
        for s in sites
    )
    market = read_market(prices, ["LZ_WEST"], args.data / FILES["load"], year=2024)
    engine = hp.Dispatch(
        list(sites), market, read_hashprice_history(args.data / FILES["hashprice"])
    )
    result = engine.run()
    s = result.summary()
    print(f"ERCOT 2024, LZ_WEST real time, {len(sites)} sites, {s['mining_mw']:.1f} MW of fleets")
    for key in ("uptime_frac", "avg_power_price_usd_per_mwh", "btc_mined", "revenue_usd",
                "curtailment_savings_usd", "four_cp_savings_usd", "profit_usd",
                "flexibility_value_usd"):  # fmt: skip
        if key in s:
            print(f"  {key:<32} {s[key]:>16,.3f}")
    lost = engine.flexibility_lost(args.ai_mw).summary()
    print(f"flexibility lost if {args.ai_mw:g} MW per site become firm AI load:")
    for key, value in lost.items():
        if isinstance(value, float):
            print(f"  {key:<32} {value:>16,.1f}")
    return s


if __name__ == "__main__":
    main()
