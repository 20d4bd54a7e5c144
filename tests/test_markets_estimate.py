"""Parameter estimation: recovers known parameters from synthetic data within SEs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hashpivot.errors import SpecError, UnknownNameError
from hashpivot.markets import GbmPriceSpec, JumpPriceSpec, RegimePriceSpec, sample_btc_price_usd
from hashpivot.markets.estimate import (
    DAY_YEARS,
    fit_btc_price,
    fit_fees_baseline,
    fit_gbm,
    fit_jump,
    fit_regime,
    load_btc_prices,
    merton_log_density,
)


def _daily_prices(log_returns: np.ndarray) -> pd.Series:
    index = pd.date_range("2010-01-01", periods=log_returns.size + 1, freq="D")
    return pd.Series(100.0 * np.exp(np.concatenate([[0.0], np.cumsum(log_returns)])), index=index)


def test_gbm_recovers_parameters_within_standard_errors() -> None:
    mu, sigma, n = 0.3, 0.6, 4000
    rng = np.random.default_rng(0)
    r = (mu - 0.5 * sigma**2) * DAY_YEARS + sigma * np.sqrt(DAY_YEARS) * rng.standard_normal(n)
    fit = fit_gbm(_daily_prices(r))
    for name, true in (("drift_frac_per_year", mu), ("volatility_frac_per_year", sigma)):
        est = fit[name]
        assert abs(est.value - true) < 3 * est.std_error, (name, est)
    assert fit["volatility_frac_per_year"].std_error == pytest.approx(
        sigma / np.sqrt(2 * n), rel=0.05
    )
    spec = fit.to_spec()
    assert isinstance(spec, GbmPriceSpec)
    assert spec.volatility_frac_per_year == pytest.approx(fit["volatility_frac_per_year"].value)


def test_merton_density_integrates_to_one() -> None:
    grid = np.linspace(-1.0, 1.0, 20_001)
    theta = np.array([0.1, 0.5, 20.0, -0.05, 0.1])
    dens = np.exp(merton_log_density(grid, theta, DAY_YEARS, 12))
    assert np.trapezoid(dens, grid) == pytest.approx(1.0, abs=1e-6)


def test_jump_fit_recovers_rare_large_jumps() -> None:
    sigma, lam, m_j, s_j, n = 0.4, 25.0, -0.05, 0.1, 3000
    rng = np.random.default_rng(1)
    counts = rng.poisson(lam * DAY_YEARS, n)
    jumps = counts * m_j + np.sqrt(counts) * s_j * rng.standard_normal(n)
    r = sigma * np.sqrt(DAY_YEARS) * rng.standard_normal(n) + jumps
    fit = fit_jump(_daily_prices(r))
    for name, true in (
        ("volatility_frac_per_year", sigma),
        ("jump_intensity_per_year", lam),
        ("jump_std_log", s_j),
    ):
        est = fit[name]
        assert np.isfinite(est.std_error)
        assert abs(est.value - true) < 3 * est.std_error, (name, est)
    assert isinstance(fit.to_spec(), JumpPriceSpec)
    capped = fit_jump(_daily_prices(r), max_intensity_per_year=5.0)
    assert capped["jump_intensity_per_year"].value == pytest.approx(5.0, rel=1e-3)
    assert "max_intensity_per_year" in capped.notes[0]


def test_regime_fit_separates_calm_and_turbulent_months() -> None:
    spec = RegimePriceSpec()
    price = sample_btc_price_usd(spec, 100.0, dt.date(2000, 1, 1), 600, 1, seed=3)[0]
    index = pd.date_range("2000-01-31", periods=600, freq="ME")
    prices = pd.Series(
        np.concatenate([[100.0], price]), index=index.insert(0, pd.Timestamp("1999-12-31"))
    )
    fit = fit_regime(prices, frequency="monthly")
    calm, wild = fit["state0_volatility_frac_per_year"], fit["state1_volatility_frac_per_year"]
    assert abs(calm.value - 0.35) < 3 * calm.std_error
    assert abs(wild.value - 0.80) < 3 * wild.std_error
    stay = fit["p_0_to_0_per_month"]
    assert abs(stay.value - 0.944) < 3 * stay.std_error
    out = fit.to_spec()
    assert isinstance(out, RegimePriceSpec)
    assert len(out.states) == 2
    with pytest.raises(ValueError, match="k_regimes must be 2 or 3"):
        fit_regime(prices, k_regimes=4)


def test_summary_and_dict() -> None:
    rng = np.random.default_rng(2)
    fit = fit_btc_price("gbm", _daily_prices(0.02 * rng.standard_normal(500)))
    text = fit.summary()
    assert "volatility_frac_per_year" in text
    assert "std. error" in text
    json.dumps(fit.to_dict())
    with pytest.raises(UnknownNameError, match="valid names: gbm, jump, regime"):
        fit_btc_price("garch", _daily_prices(np.zeros(100)))


def test_price_loader_refuses_bad_data(tmp_path: Path) -> None:
    f = tmp_path / "p.csv"
    f.write_text("date,price_usd_cm\n" + "\n".join(f"2020-01-{d:02d},{d}" for d in range(1, 32)))
    with pytest.raises(SpecError, match="at least 60 needed"):
        load_btc_prices(f)
    rows = [f"{d.date()},{i + 1}" for i, d in enumerate(pd.date_range("2020-01-01", periods=90))]
    rows[40] = rows[40].split(",")[0] + ",0"
    rows[41] = rows[41].split(",")[0] + ",nan"
    f.write_text("date,price_usd_cm\n" + "\n".join(rows))
    with pytest.raises(
        SpecError, match=r"(?s)1 missing or non-finite.*rule > 0, first on 2020-02-10"
    ):
        load_btc_prices(f)


def test_real_history_estimates(shared_data: Path) -> None:
    prices = load_btc_prices(shared_data / "btc_network_daily.csv", start_date=dt.date(2019, 1, 1))
    gbm = fit_gbm(prices)
    assert 0.5 < gbm["volatility_frac_per_year"].value < 0.8
    fees = fit_fees_baseline(shared_data / "btc_network_daily.csv", start_date=dt.date(2019, 1, 1))
    assert 1.0 < fees["baseline_mean_reversion_per_year"].value < 6.0
