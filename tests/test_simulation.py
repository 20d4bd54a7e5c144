import json

import numpy as np
import pytest

from hashpivot.simulation import Simulation, ai_share_variant, pure_mining
from hashpivot.spec import default_scenario


@pytest.fixture(scope="module")
def small():
    sc = default_scenario()
    return Simulation(sc, frontier_shares=(0.0, 0.5, 1.0)).run(paths=2000, seed=11)


def test_same_seed_same_numbers(small) -> None:
    again = Simulation(default_scenario(), frontier_shares=(0.0, 0.5, 1.0)).run(paths=2000, seed=11)
    assert json.dumps(small.summary()) == json.dumps(again.summary())


def test_results_do_not_depend_on_chunk_size(small) -> None:
    sc = default_scenario()
    chunked = Simulation(sc, frontier_shares=(0.0, 0.5, 1.0)).run(
        paths=2000, seed=11, chunk_paths=1000
    )
    for name in ("hybrid", "pure_mining"):
        np.testing.assert_array_equal(
            small.variants[name]["npv_usd"], chunked.variants[name]["npv_usd"]
        )


def test_hybrid_is_less_volatile_than_pure_mining(small) -> None:
    s = small.summary()
    assert (
        s["hybrid"]["ebitda_usd_per_year"]["std"] < s["pure_mining"]["ebitda_usd_per_year"]["std"]
    )
    assert s["variance_reduction_frac"] > 0
    assert s["hybrid"]["btc_beta"] < s["pure_mining"]["btc_beta"]


def test_summary_keys(small) -> None:
    s = small.summary()
    assert s["paths"] == 2000
    for variant in ("pure_mining", "hybrid"):
        for block in ("npv_usd", "ebitda_usd_per_year"):
            assert {"mean", "std", "p5", "p50", "p95", "cvar5"} <= set(s[variant][block])
    assert [p["ai_share_frac"] for p in s["frontier"]] == [0.0, 0.5, 1.0]


def test_frontier_zero_share_is_pure_mining(small) -> None:
    np.testing.assert_allclose(
        small.variants["ai_share_0.00"]["npv_usd"], small.variants["pure_mining"]["npv_usd"]
    )


def test_variants_conserve_mw() -> None:
    sc = default_scenario()
    half = ai_share_variant(sc, 0.5)
    for site, orig in zip(half.sites, sc.sites, strict=True):
        assert sum(c.gross_mw for c in site.conversions) == pytest.approx(
            0.5 * orig.power_capacity_mw
        )
    assert all(not s.conversions for s in pure_mining(sc).sites)


def test_fans_are_ordered(small) -> None:
    for q in small.fans.values():
        assert np.all(np.diff(q, axis=0) >= -1e-6)
