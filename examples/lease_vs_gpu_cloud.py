"""Q2, a lease vs a GPU cloud: one gross MW mined, leased to an AI tenant, or run as a cloud.

:func:`hashpivot.company.unit_economics.unit_economics` puts the three uses of the same MW
on one table: revenue and EBITDA per MW-year, capex per MW, payback, NPV at the company's
WACC, IRR, revenue risk (coefficient of variation) and how revenue moves if BTC halves.
The lease and GPU-cloud terms are the scenario's conversion template (the default
scenario's West Texas lease: 150 USD/kW-month, 3 % escalator, 10 years).

    python examples/lease_vs_gpu_cloud.py [--site NAME] [--years N] [--scenario FILE.yaml]
"""

from __future__ import annotations

import argparse

import pandas as pd

import hashpivot as hp
from hashpivot.company.unit_economics import unit_economics


def main(argv: list[str] | None = None) -> pd.DataFrame:
    """Print the per-MW table and which use has the highest NPV; return the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=None, help="scenario YAML (default: packaged)")
    parser.add_argument("--site", default=None, help="site name (default: the first)")
    parser.add_argument("--years", type=int, default=10, help="years evaluated")
    args = parser.parse_args(argv)

    scenario = hp.load_scenario(args.scenario) if args.scenario else hp.default_scenario()
    table = unit_economics(scenario, site=args.site, years=args.years)
    a = table.attrs
    print(f"One gross MW at {a['site']}, {a['years']} years, WACC {a['wacc_frac_per_year']:.0%}")
    shown = table.set_index("option").T
    print(shown.to_string(float_format=lambda x: f"{x:,.3g}"))
    best = table.loc[table["npv_usd_per_mw"].idxmax()]
    print(f"highest NPV per MW: {best['option']} ({best['npv_usd_per_mw'] / 1e6:,.2f} M USD)")
    return table


if __name__ == "__main__":
    main()
