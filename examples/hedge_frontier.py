"""Q3, the hedge frontier: how much contracted AI revenue hedges BTC risk, over many futures.

Runs the Monte Carlo (:class:`hashpivot.Simulation`) of the packaged default scenario: the
company as it is (``hybrid``: mining plus its AI lease) and the same sites with no
conversion (``pure_mining``) on the same price, fee, GPU and power paths, then the
AI-share frontier: every site converting 0-100 % of its MW on the same lease terms.

    python examples/hedge_frontier.py [--paths N] [--seed S]
"""

from __future__ import annotations

import argparse

import pandas as pd

import hashpivot as hp


def main(argv: list[str] | None = None) -> pd.DataFrame:
    """Print the hedge (variance reduction, BTC beta) and the frontier; return the frontier."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=10_000, help="Monte Carlo paths")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    args = parser.parse_args(argv)

    result = hp.Simulation(hp.default_scenario()).run(paths=args.paths, seed=args.seed)
    s = result.summary()
    print(f"{s['scenario']}: {s['paths']:,} paths, seed {s['seed']}")
    for variant in ("pure_mining", "hybrid"):
        v = s[variant]
        ebitda = v["ebitda_usd_per_year"]
        print(
            f"{variant:>12}: EBITDA/yr mean {ebitda['mean'] / 1e6:7.1f} M USD, "
            f"sd {ebitda['std'] / 1e6:6.1f} M, BTC beta {v['btc_beta']:.2f}, "
            f"P(EBITDA < 0 in a year) {v['prob_negative_ebitda_any_year']:.1%}"
        )
    print(f"variance of annual EBITDA cut by {s['variance_reduction_frac']:.1%} (hybrid vs pure)")
    frontier = pd.DataFrame(s["frontier"])
    usd = [c for c in frontier.columns if c.endswith("_usd")]
    print(
        (frontier[usd] / 1e6).round(1).assign(ai_share_frac=frontier["ai_share_frac"]).to_string()
    )
    return frontier


if __name__ == "__main__":
    main()
