"""The compiled network month loops give the NumPy definitions' numbers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hashpivot.network import kernels as network_kernels
from hashpivot.network import supply as network_supply
from hashpivot.network.chain import NetworkPath, calendar, simulate_chain_monthly
from hashpivot.network.models import draw_shocks
from hashpivot.spec import default_scenario

pytestmark = pytest.mark.skipif(not network_kernels.HAVE_NUMBA, reason="numba not installed")

KEYS = (
    "network_hashrate_eh_s",
    "difficulty",
    "height_end",
    "blocks",
    "issued_btc",
    "fees_btc",
    "hashprice_btc_per_ph_day",
    "halving_day",
)


# Month flows (and hashprice, a flow per hash) are differences of block heights (~1e6):
# their rounding is relative to the height, so they are compared relative to the flow
# scaled up by height / blocks.
FLOW_KEYS = ("blocks", "issued_btc", "fees_btc", "hashprice_btc_per_ph_day")


def max_rel_diff(a: NetworkPath, b: NetworkPath) -> dict[str, float]:
    out = {}
    for k in KEYS:
        x, y = np.asarray(getattr(a, k)), np.asarray(getattr(b, k))
        assert np.array_equal(np.isnan(x), np.isnan(y)), k
        scale = np.maximum(np.abs(x), 1e-300)
        if k in FLOW_KEYS:
            scale = scale * np.asarray(a.height_end) / np.maximum(np.asarray(a.blocks), 1e-9)
        rel = np.abs(x - y) / scale
        out[k] = float(np.max(rel[~np.isnan(rel)], initial=0.0))
    return out


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    growth=st.floats(-0.05, 0.08),
    vol=st.floats(0.0, 0.3),
    months=st.integers(1, 80),
    height=st.floats(800_000, 1_100_000),
)
def test_chain_kernel_equals_numpy(
    seed: int, growth: float, vol: float, months: int, height: float
) -> None:
    # any month-end hashrates, including 4x-clamped collapses and several halvings
    rng = np.random.default_rng(seed)
    cal = calendar(dt.date(2026, 1, 1), months)
    h_end = 700e18 * np.exp(np.cumsum(rng.normal(growth, vol, (40, months)), axis=1))
    fees = rng.uniform(0.0, 0.5, (40, months))
    args = (h_end, 700e18, cal, height, 1.1e14, None, fees)
    a = simulate_chain_monthly(*args, use_numba=False)
    b = simulate_chain_monthly(*args, use_numba=True)
    # The two order their operations differently, so they agree to rounding, amplified
    # where a retarget falls as hashrate collapses (the crossing time is then
    # ill-conditioned): 1.9e-12 in difficulty seen after a month's -53 % drop. A
    # difference in the arithmetic itself shows at 1e-6 or more.
    assert max(max_rel_diff(a, b).values()) < 1e-10


def _supply(vol_per_month: float, use_numba: bool, paths: int = 600) -> NetworkPath:
    spec = default_scenario().network_model
    rng = np.random.default_rng(4)
    months = 120
    price = 90_000 * np.exp(np.cumsum(rng.normal(0.0, vol_per_month, (paths, months)), axis=1))
    fees = rng.uniform(0.01, 0.1, (paths, months))
    cal = calendar(dt.date(2026, 1, 1), months)
    shocks = draw_shocks(3, months, paths)
    return network_supply.simulate_supply_curve(
        spec, price, fees, cal, 900.0, 1.3e14, 930_000.0, shocks, use_numba=use_numba
    )


def test_supply_kernel_equals_numpy_path_by_path() -> None:
    # calm prices: every path agrees to rounding over 10 years
    diffs = max_rel_diff(_supply(0.03, False), _supply(0.03, True))
    assert max(diffs.values()) < 1e-8, diffs


def test_supply_kernel_equals_numpy_in_distribution_under_stress() -> None:
    # 15 %/month price volatility: in deep crashes the 4x retarget clamp and the
    # running shares amplify rounding differences (1e-16 -> 1e-9 over years) on a few
    # paths; the distribution the Monte Carlo reports agrees to far below its noise
    a, b = _supply(0.15, False), _supply(0.15, True)
    q = (0.05, 0.5, 0.95)
    for k in ("network_hashrate_eh_s", "difficulty", "hashprice_btc_per_ph_day"):
        qa = np.quantile(getattr(a, k), q, axis=0)
        qb = np.quantile(getattr(b, k), q, axis=0)
        np.testing.assert_allclose(qb, qa, rtol=1e-6)
    np.testing.assert_allclose(b.blocks.sum(axis=1).mean(), a.blocks.sum(axis=1).mean(), rtol=1e-6)
    diverged = np.abs(b.blocks.sum(axis=1) / a.blocks.sum(axis=1) - 1.0) > 1e-8
    assert diverged.mean() < 0.02


def test_supply_kernel_does_not_depend_on_thread_count() -> None:
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba runs one thread here")
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = _supply(0.15, True, paths=301)
        numba.set_num_threads(2)
        two = _supply(0.15, True, paths=301)
    finally:
        numba.set_num_threads(before)
    assert all(v == 0.0 for v in max_rel_diff(one, two).values())
