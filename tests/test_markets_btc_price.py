"""BTC price models against analytic moments (Monte Carlo within k standard errors)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

from hashpivot.errors import SpecError, UnknownNameError
from hashpivot.markets import (
    BTC_PRICE_MODELS,
    CsvPriceSpec,
    GbmPriceSpec,
    JumpPriceSpec,
    RegimePriceSpec,
    RegimeStateSpec,
    btc_price_model,
    sample_btc_price_usd,
)
from hashpivot.markets.btc_price import sample_regime_states, stationary_distribution

START = dt.date(2025, 1, 1)
S0 = 100_000.0
PATHS = 20_000


def _log_returns(price: np.ndarray) -> np.ndarray:
    return np.diff(np.log(np.column_stack([np.full(price.shape[0], S0), price])), axis=1)


def _within(estimate: float, expected: float, se: float, k: float = 3.0) -> None:
    assert abs(estimate - expected) < k * se, f"{estimate} vs {expected} (SE {se})"


def test_gbm_log_return_moments_match_analytic() -> None:
    mu, sigma, months = 0.1, 0.5, 24
    spec = GbmPriceSpec(drift_frac_per_year=mu, volatility_frac_per_year=sigma)
    price = sample_btc_price_usd(spec, S0, START, months, PATHS, seed=11)
    r = _log_returns(price).ravel()
    n = r.size
    mean, var = (mu - 0.5 * sigma**2) / 12, sigma**2 / 12
    _within(r.mean(), mean, math.sqrt(var / n))
    _within(r.var(ddof=1), var, var * math.sqrt(2 / (n - 1)))


def test_gbm_terminal_price_moments_match_analytic() -> None:
    mu, sigma, months = 0.2, 0.6, 36
    t = months / 12
    spec = GbmPriceSpec(drift_frac_per_year=mu, volatility_frac_per_year=sigma)
    terminal = sample_btc_price_usd(spec, S0, START, months, PATHS, seed=5)[:, -1]
    mean = S0 * math.exp(mu * t)
    sd = mean * math.sqrt(math.exp(sigma**2 * t) - 1)
    _within(terminal.mean(), mean, sd / math.sqrt(PATHS))
    log_var = sigma**2 * t
    _within(np.log(terminal).var(ddof=1), log_var, log_var * math.sqrt(2 / (PATHS - 1)))
    _within(np.log(terminal / S0).mean(), (mu - 0.5 * sigma**2) * t, math.sqrt(log_var / PATHS))


def test_gbm_zero_volatility_is_deterministic() -> None:
    spec = GbmPriceSpec(drift_frac_per_year=0.12, volatility_frac_per_year=0.0)
    price = sample_btc_price_usd(spec, S0, START, 12, 3, seed=0)
    np.testing.assert_allclose(price[:, -1], S0 * math.exp(0.12), rtol=1e-12)
    np.testing.assert_allclose(price[:, 0], S0 * math.exp(0.01), rtol=1e-12)


def test_jump_diffusion_moments_match_merton() -> None:
    # Merton (1976): monthly log return mean (μ − σ²/2 − λκ)Δ + λΔm, var σ²Δ + λΔ(m² + s²)
    spec = JumpPriceSpec(
        drift_frac_per_year=0.05,
        volatility_frac_per_year=0.4,
        jump_intensity_per_year=6.0,
        jump_mean_log=-0.05,
        jump_std_log=0.12,
    )
    price = sample_btc_price_usd(spec, S0, START, 24, PATHS, seed=3)
    dt_years = 1 / 12
    kappa = math.exp(-0.05 + 0.5 * 0.12**2) - 1
    mean = (0.05 - 0.08 - 6 * kappa) * dt_years + 6 * dt_years * -0.05
    var = 0.16 * dt_years + 6 * dt_years * (0.05**2 + 0.12**2)
    r = _log_returns(price).ravel()
    _within(r.mean(), mean, math.sqrt(var / r.size))
    # fourth cumulant of a compound Poisson: λΔ E[Y⁴]; SE of a variance: sqrt((μ4 − σ⁴)/n)
    ey4 = 0.05**4 + 6 * 0.05**2 * 0.12**2 + 3 * 0.12**4
    mu4 = 3 * var**2 + 6 * dt_years * ey4
    _within(r.var(ddof=1), var, math.sqrt((mu4 - var**2) / r.size))
    terminal = price[:, -1]
    _within(terminal.mean(), S0 * math.exp(0.05 * 2), terminal.std() / math.sqrt(PATHS))


def test_jump_with_zero_intensity_equals_gbm_law() -> None:
    spec = JumpPriceSpec(volatility_frac_per_year=0.5, jump_intensity_per_year=0.0)
    r = _log_returns(sample_btc_price_usd(spec, S0, START, 12, 5000, seed=1)).ravel()
    _within(r.var(ddof=1), 0.25 / 12, 0.25 / 12 * math.sqrt(2 / r.size))


def _regime_spec() -> RegimePriceSpec:
    return RegimePriceSpec(
        states=(
            RegimeStateSpec(drift_frac_per_year=0.3, volatility_frac_per_year=0.3),
            RegimeStateSpec(drift_frac_per_year=-0.2, volatility_frac_per_year=1.0),
        ),
        transition_matrix_per_month=((0.9, 0.1), (0.3, 0.7)),
    )


def test_stationary_distribution_two_states_closed_form() -> None:
    # Hamilton (1989): π_1 = p01 / (p01 + p10)
    pi = stationary_distribution(np.array([[0.9, 0.1], [0.3, 0.7]]))
    np.testing.assert_allclose(pi, [0.75, 0.25], atol=1e-12)
    p3 = np.array([[0.8, 0.15, 0.05], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]])
    pi3 = stationary_distribution(p3)
    np.testing.assert_allclose(pi3 @ p3, pi3, atol=1e-12)
    assert pi3.sum() == pytest.approx(1.0)


def test_regime_chain_occupancy_is_stationary() -> None:
    spec = _regime_spec()
    states = sample_regime_states(spec, 60, 10_000, seed=2)
    share = (states == 1).mean(axis=0)
    se = math.sqrt(0.25 * 0.75 / 10_000)
    _within(share[0], 0.25, se)  # month 0 drawn from π
    _within(share[-1], 0.25, se)
    # transition frequencies match the matrix
    prev, nxt = states[:, :-1].ravel(), states[:, 1:].ravel()
    stay_calm = (nxt[prev == 0] == 0).mean()
    _within(stay_calm, 0.9, math.sqrt(0.09 / (prev == 0).sum()))


def test_regime_returns_follow_the_state() -> None:
    spec = _regime_spec()
    price = sample_btc_price_usd(spec, S0, START, 36, 10_000, seed=4)
    states = sample_regime_states(spec, 36, 10_000, seed=4)
    r = _log_returns(price)
    for s, sigma in ((0, 0.3), (1, 1.0)):
        x = r[states == s]
        var = sigma**2 / 12
        _within(x.var(ddof=1), var, var * math.sqrt(2 / (x.size - 1)))


def test_regime_initial_state_is_respected() -> None:
    spec = _regime_spec().model_copy(update={"initial_state": 1})
    states = sample_regime_states(spec, 3, 2000, seed=0)
    assert np.all(states[:, 0] == 1)


def test_regime_matrix_rows_must_sum_to_one() -> None:
    states = _regime_spec().states
    with pytest.raises(ValueError, match="rows must sum to 1"):
        RegimePriceSpec(states=states, transition_matrix_per_month=((0.9, 0.2), (0.3, 0.7)))
    with pytest.raises(ValueError, match="2x2"):
        RegimePriceSpec(states=states, transition_matrix_per_month=((1.0,),))
    with pytest.raises(ValueError, match="at most 3"):
        RegimePriceSpec(states=states * 2)
    with pytest.raises(ValueError, match="initial_state 2 does not exist"):
        RegimePriceSpec(initial_state=2)


def test_unknown_model_name_lists_valid_names() -> None:
    with pytest.raises(UnknownNameError, match="valid names: bootstrap, csv, gbm, jump, regime"):
        btc_price_model("gmb")
    assert btc_price_model("jump").spec_class is JumpPriceSpec
    assert set(BTC_PRICE_MODELS) == {"gbm", "jump", "regime", "bootstrap", "csv"}


def test_csv_paths_long_format(tmp_path: Path) -> None:
    rows = ["path,date,price_usd"]
    for p in range(3):
        for month in range(1, 5):
            rows.append(f"{p},2025-{month:02d}-15,{1000 * (p + 1) + month}")
            rows.append(f"{p},2025-{month:02d}-28,{2000 * (p + 1) + month}")
    f = tmp_path / "paths.csv"
    f.write_text("\n".join(rows))
    spec = CsvPriceSpec(paths_csv=f)
    out = sample_btc_price_usd(spec, S0, START, 4, 2, seed=0, path_offset=1)
    np.testing.assert_array_equal(out[0], [4001, 4002, 4003, 4004])  # path 1, end of month
    with pytest.raises(SpecError, match="holds 3 paths"):
        sample_btc_price_usd(spec, S0, START, 4, 4, seed=0)
    with pytest.raises(SpecError, match="no price for 1 simulated month"):
        sample_btc_price_usd(spec, S0, START, 5, 1, seed=0)


def test_csv_single_path_is_repeated_and_bad_values_refused(tmp_path: Path) -> None:
    f = tmp_path / "one.csv"
    f.write_text("date,price_usd\n2025-01-31,90000\n2025-02-28,95000\n")
    out = sample_btc_price_usd(CsvPriceSpec(paths_csv=f), S0, START, 2, 3, seed=0)
    assert out.shape == (3, 2)
    assert np.all(out == [90000, 95000])
    bad = tmp_path / "bad.csv"
    bad.write_text("date,price_usd\n2025-01-31,-1\n2025-01-31,5\n")
    with pytest.raises(SpecError, match=r"(?s)price_usd: 1 value.*duplicated"):
        sample_btc_price_usd(CsvPriceSpec(paths_csv=bad), S0, START, 1, 1, seed=0)
    with pytest.raises(SpecError, match="file not found"):
        sample_btc_price_usd(CsvPriceSpec(paths_csv=tmp_path / "no.csv"), S0, START, 1, 1, seed=0)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="start_price_usd"):
        sample_btc_price_usd(GbmPriceSpec(), -1.0, START, 2, 2, seed=0)
    with pytest.raises(ValueError, match="months must be an int"):
        sample_btc_price_usd(GbmPriceSpec(), S0, START, -2, 2, seed=0)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        sample_btc_price_usd(GbmPriceSpec(), S0, START, 2, 2, seed=-5)
