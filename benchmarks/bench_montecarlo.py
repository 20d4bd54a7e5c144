"""Monte Carlo benchmark: the engine as `hashpivot run` runs it, a same-cores floor, a scalar loop.

Prints one JSON object. All timings come from this one process, side by side:

- ``seconds``: ``Simulation(scenario).run`` with the default variants, as ``hashpivot
  run`` builds it (hybrid, pure mining and the AI-share frontier 0, 0.25, ..., 1: six
  company variants on the same paths), of a 5-site company with mining and AI leases,
  including sampling and the network model, on every core the kernels use;
  ``single_variant_seconds``: the hybrid company alone (``frontier_shares=()``,
  ``compare_pure_mining=False``), beside it;
- ``floor_seconds``: drawing the same random numbers (the same generator methods, sizes
  and dtypes the samplers call, recorded on one block of 1 000 paths and replayed for
  every block) on the same number of threads, each thread its own
  ``numpy.random.Generator``, into preallocated arrays where the method takes ``out``;
- ``naive_seconds``: a scalar reference in Python floats (invariants hoisted out of the
  path loop) of the per-path work for every variant: the GBM BTC price from the engine's
  own normals, each fleet's run/stop decision and mining cash flow, each lease's rent
  with its sampled tenant default, G&A, tax, free cash flow and the DCF with a Gordon
  terminal value. It is timed on ``--naive-paths`` paths and scaled per path. It takes
  the network model's hashprice from the engine (``naive_covers`` says so):
  ``speedup_vs_naive`` is therefore a lower bound. ``naive_max_rel_diff`` is the largest
  relative difference of its NPVs (every variant) and prices from the engine's on those
  paths; it must stay below 1e-9.

``seconds``, ``single_variant_seconds`` and ``floor_seconds`` are each the fastest of
``--repeat`` runs, alternated, so a busy moment of the machine does not land on one side
only. ``load_average_1min`` says how busy the machine was. On a busy machine wall times
mostly measure the scheduler, so the CPU seconds of every thread of the process are
reported beside them (``cpu_seconds``, ``floor_cpu_seconds``, ``cpu_ratio_vs_floor``):
on an idle machine with as many free cores as threads the two ratios agree.

Targets (issue 21) at 100 000 × 120 × 5 on 2 cores, default variants: ratio_vs_floor ≤ 8,
peak_rss_mb < 1024.

Usage: python benchmarks/bench_montecarlo.py [--paths N] [--months M] [--sites K] --json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from hashpivot import kernels
from hashpivot.company import engine
from hashpivot.finance import monthly_rate
from hashpivot.markets._random import block_rng, driver_stream
from hashpivot.projection import fleet_installed_frac, stack_fleets
from hashpivot.simulation import BLOCK_PATHS, Simulation, market_paths
from hashpivot.spec import Scenario, default_scenario

MONTH_YEARS = 1.0 / 12.0


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


# --------------------------------------------------------------------------- floor


@dataclass(frozen=True)
class Draw:
    """One call of a generator method: name, shape and keyword arguments (dtype, ...)."""

    method: str
    shape: tuple[int, ...]
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]


class _RecordingGenerator:
    """Stands in for ``numpy.random.Generator`` and records every call that returns numbers."""

    calls: ClassVar[list[Draw]] = []
    _real = np.random.Generator

    def __init__(self, bit_generator: np.random.BitGenerator) -> None:
        self._gen = _RecordingGenerator._real(bit_generator)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._gen, name)
        if not callable(attr):
            return attr

        def recorded(*a: Any, **k: Any) -> Any:
            out = attr(*a, **k)
            if isinstance(out, np.ndarray) and out.size:
                params = tuple(x for x in a if isinstance(x, float))  # lam, scale, low, high
                kwargs = {key: v for key, v in k.items() if key != "size"}
                kwargs["dtype"] = out.dtype
                _RecordingGenerator.calls.append(
                    Draw(name, out.shape, params, tuple(sorted(kwargs.items())))
                )
            return out

        return recorded


def record_draws(sim: Simulation, seed: int) -> list[Draw]:
    """The generator calls the simulation makes for one block of 1 000 paths."""
    real_gen, real_rng = np.random.Generator, np.random.default_rng
    _RecordingGenerator.calls = []
    np.random.Generator = _RecordingGenerator  # type: ignore[misc]
    np.random.default_rng = lambda s=None: _RecordingGenerator(np.random.PCG64(s))  # type: ignore[assignment]
    try:
        sim.run(paths=BLOCK_PATHS, seed=seed)
    finally:
        np.random.Generator, np.random.default_rng = real_gen, real_rng  # type: ignore[misc]
    return list(_RecordingGenerator.calls)


def _replay(rng: np.random.Generator, draws: list[Draw], buffers: list[np.ndarray | None]) -> None:
    for d, buf in zip(draws, buffers, strict=True):
        kw = dict(d.kwargs)
        if buf is not None:  # the methods that fill a preallocated array
            getattr(rng, d.method)(out=buf, dtype=buf.dtype)
        elif d.method == "integers":
            rng.integers(0, 1 << 20, size=d.shape, dtype=kw["dtype"])
        elif d.method in ("poisson", "geometric", "exponential", "uniform"):
            getattr(rng, d.method)(*_floor_params(d), size=d.shape)
        else:
            getattr(rng, d.method)(size=d.shape)


def _floor_params(d: Draw) -> tuple[float, ...]:
    """Parameters for the methods that need them: those recorded, else typical ones."""
    if d.args:
        return tuple(float(x) for x in d.args)
    return {"poisson": (0.5,), "geometric": (0.1,), "exponential": (1.0,), "uniform": (0.0, 1.0)}[
        d.method
    ]


def floor_time(draws: list[Draw], blocks: int, threads: int, seed: int) -> tuple[float, float]:
    """Wall and CPU seconds to draw the recorded numbers for ``blocks`` blocks on ``threads``."""

    def work(t: int) -> None:
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, t])))
        buffers = [
            np.empty(d.shape, dtype=dict(d.kwargs)["dtype"])
            if d.method in ("standard_normal", "random")
            else None
            for d in draws
        ]
        for _ in range(t, blocks, threads):
            _replay(rng, draws, buffers)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        t0, c0 = time.perf_counter(), time.process_time()
        list(pool.map(work, range(threads)))
        return time.perf_counter() - t0, time.process_time() - c0


def timed(fn: Any) -> tuple[Any, float, float]:
    """``fn()``, its wall seconds and the CPU seconds of every thread of this process."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


# --------------------------------------------------------------------------- scalar reference


@dataclass
class _Fleet:
    btc_coef: list[float]  # BTC per (BTC/PH/day of hashprice), per month
    power_usd: list[float]  # power bill when running, per month
    opex_usd: list[float]  # fixed opex, per month
    threshold_per_price: list[float]  # hashprice per USD of BTC price below which it stops
    shutdown: bool


@dataclass
class _Lease:
    rent_usd: list[float]  # contracted rent when the tenant pays, per month
    cost_usd: list[float]  # power + opex, per month
    since: list[int]  # months since first energisation
    recovery_frac: float
    log1p_neg_p: float  # ln(1 − annual default probability); 0 when it cannot default


@dataclass
class _Variant:
    fleets: list[_Fleet]
    leases: list[_Lease]
    fixed_usd: list[float]  # G&A, per month (a cost)
    depreciation_usd: list[float]
    invest_usd: list[float]  # conversion and fleet replacement capex − ASIC sales
    tax_frac: float
    discount: list[float]
    terminal_factor: float  # TV = mean of the last 12 FCF × this, discounted


def _hoist(sc: Scenario, tl: engine.Timeline) -> _Variant:
    """Everything that does not depend on the path, as Python floats."""
    f = stack_fleets(sc)
    active = fleet_installed_frac(sc, f, tl.n)
    fleets = []
    for k in range(len(f.site)):
        ups, pue, fee = f.uptime_frac[k], f.pue[k], f.pool_fee_frac[k]
        btc, power, opex, thr = [], [], [], []
        for m in range(tl.n):
            days = int(tl.days_in_month[m])
            hours = days * 24.0
            n = f.count[k] * active[k, m]
            p = f.power_usd_per_mwh[k] * (1 + f.escalator_frac_per_year[k]) ** (m / 12)
            opex_mwh = f.opex_usd_per_mw_month[k] / (hours * ups)
            # runs while hashprice·(1−fee)/(24·J/TH·PUE·1e-3) ≥ power + opex per MWh
            thr.append((p + opex_mwh) * 24 * f.efficiency_j_per_th[k] * pue * 1e-3 / (1 - fee))
            btc.append(n * f.unit_th_s[k] * ups / 1e3 * days * (1 - fee))
            power.append(n * f.unit_w[k] * ups * pue / 1e6 * hours * p)
            opex.append(n * f.unit_w[k] * pue / 1e6 * f.opex_usd_per_mw_month[k])
        fleets.append(_Fleet(btc, power, opex, thr, bool(f.shutdown_when_unprofitable[k])))
    one = engine.MarketArrays(np.ones((1, tl.n)), np.ones((1, tl.n)))
    leases, capex, dep = [], np.zeros(tl.n), np.zeros(tl.n)
    for i, s in enumerate(sc.sites):
        for c in s.conversions:
            if c.lease is None:
                continue
            lease = c.lease
            # uniform 0: default month at infinity, the full contracted rent
            with np.errstate(divide="ignore"):
                fl = engine.lease_project(lease, c, s, tl, one, np.zeros(1), i)
            phase0 = min(tl.index_of(ph.date) for ph in lease.energisation)
            p = lease.tenant_default_prob_per_year
            leases.append(
                _Lease(
                    [float(x) for x in fl["revenue_usd"][0]],
                    [float(x) for x in fl["power_cost_usd"][0] + fl["opex_usd"][0]],
                    [m - phase0 for m in range(tl.n)],
                    lease.recovery_frac,
                    math.log1p(-p) if 0 < p < 1 else 0.0,
                )
            )
            capex += fl["capex_usd"][0]
            dep += fl["depreciation_usd"][0]
    plan = engine.mining_plan(sc, tl)
    co = sc.company
    r = monthly_rate(co.wacc_frac_per_year)
    g = monthly_rate(co.terminal_growth_frac_per_year)
    disc = [(1 + r) ** -(m + 1) for m in range(tl.n)]
    return _Variant(
        fleets, leases, [co.ga_usd_per_month] * tl.n,
        [float(x) for x in dep + plan.depreciation_usd],
        [float(x) for x in capex + plan.invest_usd],
        co.tax_rate_frac, disc, (1 + g) / (r - g) * (1 + r) ** -tl.n,
    )  # fmt: skip


def naive_run(
    variants: dict[str, _Variant],
    s0: float,
    loc: float,
    scale: float,
    normals: list[list[float]],
    hp_btc: list[list[float]],
    uniforms: list[list[float]],
) -> tuple[list[list[float]], dict[str, list[float]], dict[str, list[float]]]:
    """Prices, NPV and mean annual EBITDA per path of every variant, one path at a time."""
    prices, npv = [], {k: [] for k in variants}
    ebitda_year: dict[str, list[float]] = {k: [] for k in variants}
    for x, hp, u in zip(normals, hp_btc, uniforms, strict=True):
        log_s, price = 0.0, []
        for z in x:
            log_s += z * scale + loc
            price.append(s0 * math.exp(log_s))
        prices.append(price)
        for name, v in variants.items():
            n = len(price)
            taus = [
                12.0 * math.log(u[j]) / lz if lz != 0.0 and u[j] > 0 else math.inf
                for j, lz in enumerate(le.log1p_neg_p for le in v.leases)
            ]
            total_ebitda, pv, last12 = 0.0, 0.0, 0.0
            for m in range(n):
                pm, hpm = price[m], hp[m]
                e = -v.fixed_usd[m]
                for fl in v.fleets:
                    if fl.shutdown and hpm * pm < fl.threshold_per_price[m]:
                        continue
                    e += fl.btc_coef[m] * hpm * pm - fl.power_usd[m] - fl.opex_usd[m]
                for le, tau in zip(v.leases, taus, strict=True):
                    rent = le.rent_usd[m]
                    e += (rent if le.since[m] < tau else rent * le.recovery_frac) - le.cost_usd[m]
                fcf = e - v.tax_frac * max(e - v.depreciation_usd[m], 0.0) - v.invest_usd[m]
                pv += fcf * v.discount[m]
                total_ebitda += e
                if m >= n - 12:
                    last12 += fcf
            npv[name].append(pv + last12 / min(12, n) * v.terminal_factor)
            ebitda_year[name].append(total_ebitda / -(-n // 12))
    return prices, npv, ebitda_year


def _max_rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1.0))


def _first_paths(result: Any, n: int) -> Any:
    """A stand-in for a result holding only its first ``n`` paths' NPV and EBITDA."""
    keys = ("npv_usd", "ebitda_usd_per_year")
    variants = {name: {k: np.array(v[k][:n]) for k in keys} for name, v in result.variants.items()}
    return type("Head", (), {"variants": variants, "paths": result.paths})()


def naive_check(sim: Simulation, result: Any, seed: int, k: int, repeat: int) -> dict[str, Any]:
    """Time the scalar reference on ``k`` paths and compare it with the engine's run."""
    sc = sim.scenario
    tl = engine.Timeline.from_start(sc.start_date, sc.horizon_months)
    market, _ = market_paths(sc, tl, seed, 0, 1, engine.n_leases(sc))
    spec = sc.market_model.btc_price
    sigma = spec.volatility_frac_per_year  # type: ignore[union-attr]
    loc = (spec.drift_frac_per_year - 0.5 * sigma**2) * MONTH_YEARS  # type: ignore[union-attr]
    scale = sigma * math.sqrt(MONTH_YEARS)
    normals = block_rng(driver_stream(seed, "btc_price"), 0).standard_normal((BLOCK_PATHS, tl.n))
    variants = sim._variants()
    hoisted = {name: _hoist(v, tl) for name, v in variants.items()}
    nu = max(engine.n_leases(v) for v in variants.values())
    u_all = market_paths(sc, tl, seed, 0, 1, nu)[0].default_uniform
    u = [[] for _ in range(k)] if u_all is None else u_all[:k].tolist()
    args = (normals[:k].tolist(), market.hashprice_btc_per_ph_day[:k].tolist(), u)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        prices, npv, ebitda = naive_run(hoisted, float(sc.market.btc_price_usd), loc, scale, *args)
        times.append(time.perf_counter() - t0)
    diff = _max_rel(np.array(prices), market.btc_price_usd[:k])
    for name in variants:
        v = result.variants[name]
        diff = max(diff, _max_rel(np.array(npv[name]), v["npv_usd"][:k]))
        diff = max(diff, _max_rel(np.array(ebitda[name]), v["ebitda_usd_per_year"][:k]))
    return {"seconds_per_path": min(times) / k, "max_rel_diff": diff}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--paths", type=int, default=100_000)
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--sites", type=int, default=5)
    ap.add_argument("--naive-paths", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--repeat", type=int, default=3, help="timed runs of each; the fastest of each counts"
    )
    ap.add_argument("--json", action="store_true", help="print JSON only")
    args = ap.parse_args(argv)
    sc = company_of(args.sites, args.months)
    sim = Simulation(sc)  # the default variants, as `hashpivot run` builds it
    single = Simulation(sc, frontier_shares=(), compare_pure_mining=False)
    draws = record_draws(sim, args.seed)
    blocks = -(-args.paths // BLOCK_PATHS)
    threads = kernels.thread_count()
    sim.run(paths=2 * BLOCK_PATHS, seed=args.seed)  # compile / warm the caches

    runs, singles, floors = [], [], []
    head = None
    for _ in range(args.repeat):  # alternated, so all see the same machine
        result, *wall_cpu = timed(lambda: sim.run(paths=args.paths, seed=args.seed))
        runs.append(wall_cpu)
        # keep the first block's paths for the scalar check, not the whole result, so
        # peak_rss_mb is the peak of one run
        head = _first_paths(result, BLOCK_PATHS)
        del result
        floors.append(floor_time(draws, blocks, threads, args.seed))
        singles.append(timed(lambda: single.run(paths=args.paths, seed=args.seed))[1:])
    assert head is not None
    seconds, floor_seconds = min(r[0] for r in runs), min(f[0] for f in floors)
    cpu, floor_cpu = min(r[1] for r in runs), min(f[1] for f in floors)
    k = min(args.naive_paths, BLOCK_PATHS)
    naive = naive_check(sim, head, args.seed, k, args.repeat)
    paths = blocks * BLOCK_PATHS
    naive_seconds = naive["seconds_per_path"] * paths
    out = {
        "paths": paths,
        "months": args.months,
        "sites": args.sites,
        "variants": list(sim._variants()),
        "threads": threads,
        "repeat": args.repeat,
        "seconds": round(seconds, 3),
        "single_variant_seconds": round(min(s[0] for s in singles), 3),
        "floor_seconds": round(floor_seconds, 3),
        "random_draws": sum(math.prod(d.shape) for d in draws) * blocks,
        "draw_dtypes": sorted({str(dict(d.kwargs)["dtype"]) for d in draws}),
        "ratio_vs_floor": round(seconds / floor_seconds, 2),
        "single_variant_ratio_vs_floor": round(min(s[0] for s in singles) / floor_seconds, 2),
        "cpu_seconds": round(cpu, 3),
        "single_variant_cpu_seconds": round(min(s[1] for s in singles), 3),
        "floor_cpu_seconds": round(floor_cpu, 3),
        "cpu_ratio_vs_floor": round(cpu / floor_cpu, 2),
        "naive_paths": k,
        "naive_seconds": round(naive_seconds, 1),
        "naive_covers": "per path, every variant: BTC price from the engine's normals, "
        "fleet run/stop and mining flows, lease rent with sampled defaults, G&A, tax, FCF, "
        "DCF + Gordon terminal; network hashprice taken from the engine",
        "speedup_vs_naive": round(naive_seconds / seconds, 1),
        "naive_max_rel_diff": naive["max_rel_diff"],
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
