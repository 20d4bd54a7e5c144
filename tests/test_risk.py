import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hashpivot import risk


def test_cvar_of_uniform_grid() -> None:
    x = np.arange(1, 101, dtype=float)  # worst 5 are 1..5
    assert risk.cvar(x) == pytest.approx(3.0)
    d = risk.distribution(x)
    assert d["mean"] == pytest.approx(50.5)
    assert d["p50"] == pytest.approx(50.5)
    assert d["cvar5"] <= d["var5"] <= d["p50"]


def test_normal_cvar_matches_analytic() -> None:
    # ES of N(0,1) at 5 %: -phi(z)/0.05 with z = -1.6449 -> -2.0627 (standard result).
    x = np.random.default_rng(1).standard_normal(400_000)
    assert risk.cvar(x) == pytest.approx(-2.0627, abs=0.02)


@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=200))
def test_cvar_below_mean(values) -> None:
    assert risk.cvar(values) <= np.mean(values) + 1e-6


def test_prob_negative_any_period() -> None:
    v = np.array([[1, 2, 3], [1, -1, 3], [-5, 2, 3], [1, 1, 1]], dtype=float)
    assert risk.prob_negative_any_period(v) == 0.5


def test_btc_exposure_of_linear_cash_flow() -> None:
    price = np.linspace(50_000, 150_000, 101)
    mining = 2.0 * price - 100_000  # operating leverage: elasticity 2*100k/100k = 2
    out = risk.btc_exposure(mining, price)
    assert out["corr"] == pytest.approx(1.0)
    assert out["beta"] == pytest.approx(2.0)
    flat = risk.btc_exposure(np.full(101, 5.0), price)
    assert flat["beta"] == pytest.approx(0.0)


def test_variance_reduction() -> None:
    rng = np.random.default_rng(0)
    pure = rng.standard_normal(10_000)
    hybrid = 0.5 * pure + 3.0
    assert risk.variance_reduction_frac(hybrid, pure) == pytest.approx(0.75)
