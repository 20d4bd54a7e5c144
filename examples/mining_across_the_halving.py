"""Q1, mining across the halving: what one PH/s and the whole fleet earn around 2028.

Runs the packaged default scenario's deterministic base path (:class:`hashpivot.Projection`:
the supply-curve network with every shock at zero), then prints hashprice and BTC mined by
month around the halving the chain reaches, and the fleet's yearly economics.

    python examples/mining_across_the_halving.py [--months N]
"""

from __future__ import annotations

import argparse

import pandas as pd

import hashpivot as hp
from hashpivot import bitcoin


def main(argv: list[str] | None = None) -> pd.DataFrame:
    """Print the months around the halving and the yearly totals; return the monthly frame."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=60, help="months projected")
    args = parser.parse_args(argv)

    scenario = hp.default_scenario()
    result = hp.Projection(scenario).run(args.months)
    net = result.network.set_index("month")
    fleet = result.aggregate("company", "M").set_index("period")
    monthly = net[["btc_price_usd", "network_hashrate_eh_s", "hashprice_usd_per_ph_day"]].join(
        fleet[["btc_mined", "revenue_usd", "gross_margin_usd"]]
    )
    halvings = result.summary()["halvings"]
    print(f"{scenario.name}: {args.months} months from {scenario.start_date}")
    # the subsidy per block halves at each multiple of 210 000 blocks (bitcoin.subsidy_btc)
    for h in halvings:
        before = float(bitcoin.subsidy_btc(h["height"] - 1))
        after = float(bitcoin.subsidy_btc(h["height"]))
        print(f"halving at block {h['height']:,} in {h['date'][:7]}: {before} → {after} BTC/block")
        when = pd.Timestamp(h["date"])
        window = monthly.loc[when - pd.DateOffset(months=2) : when + pd.DateOffset(months=2)]
        print(window.round(2).to_string())
    yearly = result.aggregate("company", "Y")
    print(yearly[["period", "btc_mined", "revenue_usd", "gross_margin_usd"]].round(0).to_string())
    return monthly


if __name__ == "__main__":
    main()
