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


# --------------------------------------------------------------------------- exposures (#20)


def test_bump_delta_hand_case() -> None:
    # differences 1, 2, 3: mean 2, sample std 1, se 1/sqrt(3)
    out = risk.bump_delta([10.0, 10.0, 10.0], [11.0, 12.0, 13.0])
    assert out["delta"] == pytest.approx(2.0)
    assert out["se"] == pytest.approx(1.0 / np.sqrt(3.0))


def test_r2_on_btc_exact_fit_and_noise() -> None:
    rng = np.random.default_rng(4)
    price = np.exp(rng.normal(11.0, 0.6, 5_000))
    assert risk.r2_on_btc(3.0 + 2.0 * np.log(price), price) == pytest.approx(1.0)
    assert risk.r2_on_btc(rng.normal(size=5_000), price) < 0.01
    # degree 1: the squared correlation with the log price (numpy's corrcoef as reference)
    y = np.log(price) + rng.normal(0.0, 0.5, 5_000)
    corr = np.corrcoef(np.log(price), y)[0, 1]
    assert risk.r2_on_btc(y, price, degree=1) == pytest.approx(corr**2)


def test_btc_buckets_hand_case() -> None:
    x = np.arange(1.0, 101.0)  # quintile edges 1, 20.8, 40.6, 60.4, 80.2, 100
    rows = risk.btc_buckets(2.0 * x, x)
    assert [r["paths"] for r in rows] == [20] * 5
    assert rows[0]["mean"] == pytest.approx(2.0 * 10.5)  # x = 1..20
    assert rows[-1]["mean"] == pytest.approx(2.0 * 90.5)  # x = 81..100
    assert rows[0]["btc_hi_usd"] == pytest.approx(20.8)


@given(st.lists(st.floats(1.0, 1e6), min_size=10, max_size=200))
def test_btc_bucket_counts_sum_to_paths(prices) -> None:
    rows = risk.btc_buckets(np.ones(len(prices)), prices)
    assert sum(r["paths"] for r in rows) == len(prices)


def test_ts_beta_recovers_a_known_slope() -> None:
    # EBITDA_t = EBITDA_{t-1} + 5e6 · r_t exactly: the slope is 5e6 USD per unit return
    rng = np.random.default_rng(5)
    r = rng.normal(0.0, 0.1, (3, 60))
    price = 50_000.0 * np.cumprod(np.concatenate([np.ones((3, 1)), 1.0 + r], axis=1), axis=1)
    ebitda = 1e7 + np.concatenate([np.zeros((3, 1)), np.cumsum(5e6 * r, axis=1)], axis=1)
    assert risk.ts_beta_per_path(ebitda, price) == pytest.approx([5e6] * 3)


def test_elasticity_warns_near_zero_only() -> None:
    far = risk.elasticity_with_warning(10.0, [100.0, 100.0, 100.0, 100.0 + 1e-9], 0.1)
    assert far["value"] == pytest.approx(1.0)  # 10 / 100 / 0.1
    assert far["warning"] == ""
    near = risk.elasticity_with_warning(10.0, [-5.0, 6.0, -4.0, 4.0], 0.1)
    assert "within 2 standard errors" in near["warning"]


def test_cash_dscr_and_levered_fcf_hand_cases() -> None:
    flows = np.array([[10.0, -30.0, 5.0], [1.0, 1.0, 1.0]])
    assert risk.min_cash_usd(15.0, flows).tolist() == [-5.0, 15.0]  # 15 + 10 - 30 = -5
    lev = risk.levered_fcf_usd(flows, np.array([1.0, 1.0, 1.0]), np.array([0.0, 2.0, 0.0]))
    assert lev.tolist() == [[9.0, -33.0, 4.0], [0.0, -2.0, 0.0]]
    ebitda = np.full((1, 24), 10.0)  # 120 a year
    service = np.concatenate([np.full(12, 5.0), np.full(12, 20.0)])  # 60, then 240
    assert risk.min_annual_dscr(ebitda, service).tolist() == [0.5]
    assert np.isnan(risk.min_annual_dscr(ebitda, np.zeros(24))).all()


def test_cvar_per_npv_given_up() -> None:
    frontier = [
        {"ai_share_frac": 0.0, "npv_mean_usd": 100.0, "npv_cvar5_usd": -50.0},
        {"ai_share_frac": 0.5, "npv_mean_usd": 80.0, "npv_cvar5_usd": -40.0},
        {"ai_share_frac": 1.0, "npv_mean_usd": 120.0, "npv_cvar5_usd": -10.0},
    ]
    out = risk.cvar_per_npv_given_up(frontier)
    assert out[1]["cvar_gain_per_usd_npv_given_up"] == pytest.approx(0.5)  # +10 for -20
    assert np.isnan(out[0]["cvar_gain_per_usd_npv_given_up"])
    assert np.isnan(out[2]["cvar_gain_per_usd_npv_given_up"])  # gives nothing up
    assert "npv_mean_usd" in out[1]
    assert out[2]["npv_mean_given_up_usd"] == pytest.approx(-20.0)  # value gained
    assert out[2]["npv_cvar5_gain_usd"] == pytest.approx(40.0)


def test_hedge_after_capex_hand_case() -> None:
    # 20 paths: pure FCF 0..19, hybrid FCF = pure/2 + 5 (variance / 4: reduction 0.75);
    # the worst 5 % is one path: CVaR5 pure 0, hybrid 5, gain 5. NPV: pure 81, 83, ..., 119
    # (mean 100, worst 81), hybrid 90 on every path: 10 given up, CVaR gain 9, 0.9 per USD.
    pure_fcf = np.arange(20.0)
    out = risk.hedge_after_capex(
        {"fcf_after_debt_usd_per_year": pure_fcf / 2 + 5, "npv_usd": np.full(20, 90.0)},
        {"fcf_after_debt_usd_per_year": pure_fcf, "npv_usd": 81.0 + 2.0 * np.arange(20.0)},
    )
    assert out["fcf_cvar5_gain_usd"] == pytest.approx(5.0)
    assert out["fcf_variance_reduction_frac"] == pytest.approx(0.75)
    assert out["npv_mean_given_up_usd"] == pytest.approx(10.0)
    assert out["npv_cvar5_gain_usd"] == pytest.approx(9.0)
    assert out["cvar_gain_per_usd_npv_given_up"] == pytest.approx(0.9)
