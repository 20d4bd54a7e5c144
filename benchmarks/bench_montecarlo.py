"""Monte Carlo benchmark: vectorised engine vs the random-number floor and a per-path loop.

Prints one JSON object: ``paths, months, sites, seconds, floor_seconds, ratio_vs_floor,
naive_seconds, speedup_vs_naive, naive_max_rel_diff, peak_rss_mb``. All timings come
from this one process, side by side:

- ``seconds``: ``Simulation(...).run`` of a 5-site company with mining and AI leases (the
  hybrid company only, no frontier sweep), including sampling and the network model, on
  every core (chunks of paths in parallel threads);
- ``floor_seconds``: drawing the same count of random numbers with
  ``numpy.random.Generator`` (the count the samplers report);
- ``naive_seconds``: a straightforward per-path, per-month Python loop computing the same
  cash flows from the same market arrays, timed on ``--naive-paths`` paths and scaled;
  ``naive_max_rel_diff`` checks that it reproduces the engine's numbers.

``seconds``, ``floor_seconds`` and ``naive_seconds`` are each the fastest of ``--repeat``
runs (the first two alternated), so a busy moment of the machine does not land on one
side only.

Targets (DESIGN §6) at 100 000 × 120 × 5 on 2 cores: ratio_vs_floor ≤ 3,
speedup_vs_naive ≥ 100, peak_rss_mb < 2048.

Usage: python benchmarks/bench_montecarlo.py [--paths N] [--months M] [--sites K] --json
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time

import numpy as np

from hashpivot.company import engine
from hashpivot.projection import fleet_installed_frac, stack_fleets
from hashpivot.simulation import BLOCK_PATHS, Simulation, market_paths
from hashpivot.spec import Scenario, default_scenario


def company_of(n_sites: int, months: int) -> Scenario:
    """The default company grown to ``n_sites`` sites (copies of its sites, renamed)."""
    base = default_scenario()
    sites = []
    for i in range(n_sites):
        src = base.sites[i % len(base.sites)]
        if not src.conversions:
            src = src.model_copy(update={"conversions": ()})
        sites.append(src.model_copy(update={"name": f"{src.name} {i + 1}"}))
    return base.model_copy(update={"sites": tuple(sites), "horizon_months": months})


def naive_company_ebitda(scenario: Scenario, market: engine.MarketArrays, paths: int) -> np.ndarray:
    """Company EBITDA per path and month, one path, month and fleet at a time (pure Python)."""
    tl = engine.Timeline.from_start(scenario.start_date, scenario.horizon_months)
    f = stack_fleets(scenario)
    active = fleet_installed_frac(scenario, f, tl.n)
    lease_flows = [
        engine.lease_project(c.lease, c, s, tl, engine.MarketArrays(
            market.btc_price_usd[:1], market.hashprice_btc_per_ph_day[:1]), None, i)
        for i, s in enumerate(scenario.sites) for c in s.conversions if c.lease is not None
    ]  # fmt: skip
    out = np.zeros((paths, tl.n))
    for p in range(paths):
        u = None if market.default_uniform is None else market.default_uniform[p]
        for m in range(tl.n):
            days = int(tl.days_in_month[m])
            hours = days * 24.0
            price = float(market.btc_price_usd[p, m])
            hp_btc = float(market.hashprice_btc_per_ph_day[p, m])
            total = -scenario.company.ga_usd_per_month
            for k in range(len(f.site)):
                power = f.power_usd_per_mwh[k] * (1 + f.escalator_frac_per_year[k]) ** (m / 12)
                breakeven = (
                    hp_btc
                    * price
                    * (1 - f.pool_fee_frac[k])
                    / (24 * f.efficiency_j_per_th[k] * f.pue[k] * 1e-3)
                )
                opex_mwh = f.opex_usd_per_mw_month[k] / (hours * f.uptime_frac[k])
                if breakeven < power + opex_mwh:
                    continue
                n = f.count[k] * active[k, m]
                ph = n * f.unit_th_s[k] * f.uptime_frac[k] / 1e3
                btc = hp_btc * ph * days * (1 - f.pool_fee_frac[k])
                mw = n * f.unit_w[k] * f.uptime_frac[k] * f.pue[k] / 1e6
                cap_mw = n * f.unit_w[k] * f.pue[k] / 1e6
                total += btc * price - mw * hours * power - cap_mw * f.opex_usd_per_mw_month[k]
            for j, lf in enumerate(lease_flows):
                rev = float(lf["revenue_usd"][0, m])
                if u is not None:  # replace the expected share by the sampled default
                    lease = [c.lease for s in scenario.sites for c in s.conversions if c.lease][j]
                    assert lease is not None
                    phases = [tl.index_of(ph.date) for ph in lease.energisation]
                    since = m - min(phases)
                    share_exp = float(engine._rent_share(lease, np.array([float(since)]), None)[0])
                    pd_ = lease.tenant_default_prob_per_year
                    tau = 12 * math.log(u[j]) / math.log1p(-pd_) if pd_ > 0 else math.inf
                    share = 1.0 if since < tau else lease.recovery_frac
                    rev = rev / share_exp * share if share_exp > 0 else 0.0
                total += rev - float(lf["power_cost_usd"][0, m]) - float(lf["opex_usd"][0, m])
            out[p, m] = total
    return out


class _CountingGenerator:
    """Stands in for ``numpy.random.Generator`` and counts the numbers each call returns."""

    drawn = 0
    _real = np.random.Generator

    def __init__(self, bit_generator: np.random.BitGenerator) -> None:
        self._gen = _CountingGenerator._real(bit_generator)

    def __getattr__(self, name: str):
        attr = getattr(self._gen, name)
        if not callable(attr):
            return attr

        def counted(*a, **k):
            out = attr(*a, **k)
            _CountingGenerator.drawn += int(np.size(out))
            return out

        return counted


def count_random_draws(sim: Simulation, seed: int) -> int:
    """Random numbers the simulation draws for one block of 1 000 paths (counted, not guessed)."""
    real_gen, real_rng = np.random.Generator, np.random.default_rng
    _CountingGenerator.drawn = 0
    np.random.Generator = _CountingGenerator  # type: ignore[misc]
    np.random.default_rng = lambda s=None: _CountingGenerator(np.random.PCG64(s))  # type: ignore[assignment]
    try:
        sim.run(paths=BLOCK_PATHS, seed=seed)
    finally:
        np.random.Generator, np.random.default_rng = real_gen, real_rng  # type: ignore[misc]
    return _CountingGenerator.drawn


def floor_time(n_draws: int, seed: int) -> float:
    """Seconds to draw ``n_draws`` standard normals with ``numpy.random.Generator``."""
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    for _ in range(max(1, math.ceil(n_draws / 10_000_000))):
        rng.standard_normal(min(n_draws, 10_000_000))
    return time.perf_counter() - t0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--paths", type=int, default=100_000)
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--sites", type=int, default=5)
    ap.add_argument("--naive-paths", type=int, default=50)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--repeat", type=int, default=5, help="timed runs of each; the fastest of each counts"
    )
    ap.add_argument("--json", action="store_true", help="print JSON only")
    args = ap.parse_args(argv)
    sc = company_of(args.sites, args.months)
    sim = Simulation(sc, frontier_shares=(), compare_pure_mining=False)
    n_draws = count_random_draws(sim, args.seed) * args.paths // BLOCK_PATHS

    runs, floors = [], []
    for _ in range(args.repeat):  # alternated, so both see the same machine
        t0 = time.perf_counter()
        result = sim.run(paths=args.paths, seed=args.seed)
        runs.append(time.perf_counter() - t0)
        floors.append(floor_time(n_draws, args.seed))
    seconds, floor_seconds = min(runs), min(floors)

    tl = engine.Timeline.from_start(sc.start_date, sc.horizon_months)
    market, _ = market_paths(sc, tl, args.seed, 0, 1)
    k = min(args.naive_paths, BLOCK_PATHS)
    sub = engine.MarketArrays(
        market.btc_price_usd[:k], market.hashprice_btc_per_ph_day[:k], None, None,
        None if market.default_uniform is None else market.default_uniform[:k],
    )  # fmt: skip
    naive_runs = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        naive = naive_company_ebitda(sc, sub, k)
        naive_runs.append(time.perf_counter() - t0)
    naive_seconds = min(naive_runs) * args.paths / k
    fast = engine.consolidate(sc, engine.project_flows(sc, tl, sub), sub)["ebitda_usd"]
    rel = float(np.max(np.abs(naive - fast)) / max(np.max(np.abs(fast)), 1.0))

    out = {
        "paths": result.paths,
        "months": args.months,
        "sites": args.sites,
        "repeat": args.repeat,
        "seconds": round(seconds, 3),
        "floor_seconds": round(floor_seconds, 3),
        "random_draws": n_draws,
        "ratio_vs_floor": round(seconds / floor_seconds, 2),
        "naive_seconds": round(naive_seconds, 1),
        "speedup_vs_naive": round(naive_seconds / seconds, 1),
        "naive_max_rel_diff": rel,
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
