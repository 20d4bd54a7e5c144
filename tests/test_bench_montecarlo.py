"""The Monte Carlo benchmark's references: the scalar loop reproduces the engine, the
floor replays the draws the samplers make (benchmarks/bench_montecarlo.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from hashpivot.simulation import BLOCK_PATHS, Simulation

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_montecarlo.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_montecarlo", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_montecarlo"] = module
    spec.loader.exec_module(module)
    return module


def test_scalar_reference_reproduces_every_variant_of_the_engine(bench: ModuleType) -> None:
    # Two sites so the scalar loop runs in well under a second; every default variant.
    sim = Simulation(bench.company_of(2, 36))
    result = sim.run(paths=BLOCK_PATHS, seed=3)
    out = bench.naive_check(sim, result, seed=3, k=5, repeat=1)
    assert out["max_rel_diff"] < 1e-9
    assert out["seconds_per_path"] > 0


def test_scalar_reference_would_see_a_wrong_tax_rate(bench: ModuleType) -> None:
    # The comparison can fail: the engine run with another tax rate disagrees.
    sc = bench.company_of(2, 36)
    other = sc.model_copy(update={"company": sc.company.model_copy(update={"tax_rate_frac": 0.35})})
    result = Simulation(other).run(paths=BLOCK_PATHS, seed=3)
    out = bench.naive_check(Simulation(sc), result, seed=3, k=5, repeat=1)
    assert out["max_rel_diff"] > 1e-6


def test_floor_replays_the_recorded_draws(bench: ModuleType) -> None:
    sim = Simulation(bench.company_of(2, 36))
    draws = bench.record_draws(sim, seed=3)
    methods = {d.method for d in draws}
    assert {"standard_normal", "random", "poisson"} <= methods
    dtypes = {str(dict(d.kwargs)["dtype"]) for d in draws}
    assert "float32" in dtypes  # the network's shocks
    assert "float64" in dtypes
    wall, cpu = bench.floor_time(draws, blocks=2, threads=2, seed=3)
    assert wall > 0
    assert cpu > 0
    assert np.isfinite(wall)


def test_scalar_reference_over_the_default_horizon_with_fleet_replacement(
    bench: ModuleType,
) -> None:
    # Ten years: the default fleets are replaced within the horizon, so the scalar loop
    # must carry the replacement capex the engine invests.
    from hashpivot.company import engine

    sc = bench.company_of(2, 120)
    tl = engine.Timeline.from_start(sc.start_date, sc.horizon_months)
    assert engine.mining_plan(sc, tl).capex_usd.sum() > 0
    sim = Simulation(sc)
    out = bench.naive_check(sim, sim.run(paths=BLOCK_PATHS, seed=4), seed=4, k=3, repeat=1)
    assert out["max_rel_diff"] < 1e-9
