"""Stationary block bootstrap: preserves the history's mean and autocorrelation."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hashpivot.errors import SpecError
from hashpivot.markets import BootstrapPriceSpec, MarketModelSpec, sample_bootstrap, sample_markets
from hashpivot.markets.bootstrap import prepare_history

START = dt.date(2025, 1, 1)
DAYS_PER_MONTH = 365.25 / 12


def _synthetic_history(path: Path, days: int = 8000, seed: int = 0) -> pd.DataFrame:
    """Daily returns with a persistent mean (AR(1), φ = 0.97): monthly returns are
    positively autocorrelated; hashrate growth is correlated with the return."""
    rng = np.random.default_rng(seed)
    drift = np.zeros(days)
    shocks = 0.002 * rng.standard_normal(days)
    for t in range(1, days):
        drift[t] = 0.97 * drift[t - 1] + shocks[t]
    r = 0.0005 + drift + 0.03 * rng.standard_normal(days)
    growth = 0.002 + 0.2 * r + 0.002 * rng.standard_normal(days)
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2001-01-01", periods=days, freq="D").strftime("%Y-%m-%d"),
            "price_usd_cm": 1000 * np.exp(np.cumsum(r)),
            "drv_fees_btc": 20 * np.exp(0.3 * rng.standard_normal(days)),
            "drv_blocks_est": rng.poisson(144, days).astype(float),
            "hashrate_ths_bc": 1e8 * np.exp(np.cumsum(growth)),
        }
    )
    frame.to_csv(path, index=False)
    return frame


def _monthly_log_returns(prices: pd.Series) -> pd.Series:
    return np.log(prices.resample("ME").last()).diff().dropna()


def _ac1(x: np.ndarray) -> float:
    d = x - x.mean()
    return float((d[:, 1:] * d[:, :-1]).mean() / (d * d).mean())


def _boot_returns(price: np.ndarray, s0: float) -> np.ndarray:
    return np.diff(np.log(np.column_stack([np.full(price.shape[0], s0), price])), axis=1)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    path = tmp_path_factory.mktemp("hist") / "history.csv"
    return path, _synthetic_history(path)


def test_bootstrap_preserves_mean_and_lag1_autocorrelation(
    synthetic: tuple[Path, pd.DataFrame],
) -> None:
    path, frame = synthetic
    spec = BootstrapPriceSpec(history_csv=path, block_length_days=120)
    boot = sample_bootstrap(spec, 1.0, START, 120, 2000, seed=1)
    r = _boot_returns(boot.btc_price_usd, 1.0)
    # mean: every historical day is equally likely, so E[monthly return] = daily mean × days
    daily = np.diff(np.log(frame["price_usd_cm"].to_numpy()))
    days = np.asarray(pd.date_range(START, periods=120, freq="MS").days_in_month)
    expected = daily.mean() * days.mean()
    se = r.mean(axis=1).std(ddof=1) / math.sqrt(r.shape[0])
    assert abs(r.mean() - expected) < 3 * se
    # lag-1 autocorrelation of monthly returns: within 2 SE (1/sqrt(n)) of the history's
    hist = _monthly_log_returns(frame.set_index(pd.to_datetime(frame["date"]))["price_usd_cm"])
    tolerance = 2 / math.sqrt(len(hist))
    assert hist.autocorr() > 0.25
    assert abs(_ac1(r) - hist.autocorr()) < tolerance
    # and the volatility of monthly returns
    assert r.std() == pytest.approx(hist.std(), rel=0.1)


def test_one_day_blocks_destroy_the_autocorrelation(synthetic: tuple[Path, pd.DataFrame]) -> None:
    path, _ = synthetic
    spec = BootstrapPriceSpec(history_csv=path, block_length_days=1)
    r = _boot_returns(sample_bootstrap(spec, 1.0, START, 60, 2000, seed=2).btc_price_usd, 1.0)
    assert abs(_ac1(r)) < 0.03


def test_joint_resampling_keeps_cross_correlation(synthetic: tuple[Path, pd.DataFrame]) -> None:
    path, frame = synthetic
    spec = BootstrapPriceSpec(history_csv=path, block_length_days=60, hashrate_smoothing_days=1)
    boot = sample_bootstrap(spec, 1.0, START, 60, 2000, seed=3)
    r = _boot_returns(boot.btc_price_usd, 1.0)
    boot_corr = np.corrcoef(r.ravel(), boot.hashrate_log_growth.ravel())[0, 1]
    hist = frame.set_index(pd.to_datetime(frame["date"]))
    hist_r = _monthly_log_returns(hist["price_usd_cm"])
    hist_g = np.log(hist["hashrate_ths_bc"].resample("ME").last()).diff().dropna()
    hist_corr = np.corrcoef(hist_r, hist_g)[0, 1]
    assert boot_corr == pytest.approx(hist_corr, abs=0.05)
    # fees per block: the median is rescaled to fees_median_btc_per_block
    assert np.median(boot.fees_btc_per_block) == pytest.approx(0.03, rel=0.05)


def test_fee_levels_kept_when_not_rescaled(synthetic: tuple[Path, pd.DataFrame]) -> None:
    path, frame = synthetic
    spec = BootstrapPriceSpec(history_csv=path, fees_median_btc_per_block=None)
    boot = sample_bootstrap(spec, 1.0, START, 24, 1000, seed=4)
    hist = (frame["drv_fees_btc"] / frame["drv_blocks_est"]).mean()
    assert boot.fees_btc_per_block.mean() == pytest.approx(hist, rel=0.02)


def test_auto_block_length_is_politis_white(synthetic: tuple[Path, pd.DataFrame]) -> None:
    path, _ = synthetic
    hist = prepare_history(BootstrapPriceSpec(history_csv=path))
    assert 5 < hist.block_length_days < 400
    assert hist.days == 7999


def test_sample_markets_uses_the_bootstrap_jointly(synthetic: tuple[Path, pd.DataFrame]) -> None:
    path, _ = synthetic
    spec = MarketModelSpec(btc_price=BootstrapPriceSpec(history_csv=path))
    out = sample_markets(spec, 50_000.0, START, 12, 500, seed=9, n_sites=1)
    assert out.hashrate_log_growth is not None
    assert out.hashrate_log_growth.shape == (500, 12)
    parametric = sample_markets(MarketModelSpec(), 50_000.0, START, 12, 500, seed=9, n_sites=1)
    assert parametric.hashrate_log_growth is None


def test_history_loader_refuses_bad_data(tmp_path: Path) -> None:
    frame = _synthetic_history(tmp_path / "ok.csv", days=200)
    bad = frame.copy()
    bad.loc[50, "price_usd_cm"] = np.nan
    bad.loc[60, "hashrate_ths_bc"] = 0.0
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(SpecError, match=r"(?s)price_usd_cm: 1 missing.*hashrate_ths_bc: 1 value"):
        prepare_history(BootstrapPriceSpec(history_csv=tmp_path / "bad.csv"))
    dup = pd.concat([frame, frame.iloc[[10]]])
    dup.to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(SpecError, match="duplicated date"):
        prepare_history(BootstrapPriceSpec(history_csv=tmp_path / "dup.csv"))
    frame.drop(index=[100]).to_csv(tmp_path / "gap.csv", index=False)
    with pytest.raises(SpecError, match="gap"):
        prepare_history(BootstrapPriceSpec(history_csv=tmp_path / "gap.csv"))
    with pytest.raises(SpecError, match="missing column"):
        prepare_history(BootstrapPriceSpec(history_csv=tmp_path / "ok.csv", fees_column="x"))
    with pytest.raises(SpecError, match="file not found"):
        prepare_history(BootstrapPriceSpec(history_csv=tmp_path / "none.csv"))


def test_leading_missing_days_are_trimmed(tmp_path: Path) -> None:
    frame = _synthetic_history(tmp_path / "h.csv", days=300)
    frame.loc[:9, "price_usd_cm"] = np.nan
    frame.to_csv(tmp_path / "lead.csv", index=False)
    hist = prepare_history(BootstrapPriceSpec(history_csv=tmp_path / "lead.csv"))
    assert hist.days == 289


def test_real_history_mean_and_autocorrelation(shared_data: Path) -> None:
    spec = BootstrapPriceSpec(
        history_csv=shared_data / "btc_network_daily.csv", history_start_date=dt.date(2016, 1, 1)
    )
    boot = sample_bootstrap(spec, 1.0, START, 120, 2000, seed=5)
    prices = pd.read_csv(spec.history_csv, parse_dates=["date"]).set_index("date")
    hist = _monthly_log_returns(prices.loc["2016":, "price_usd_cm"])
    r = _boot_returns(boot.btc_price_usd, 1.0)
    tolerance = 2 / math.sqrt(len(hist))
    assert r.mean() == pytest.approx(hist.mean(), abs=2 * hist.std() / math.sqrt(len(hist)))
    assert abs(_ac1(r) - hist.autocorr()) < tolerance
    growth = np.log(prices.loc["2016":, "hashrate_ths_bc"].resample("ME").mean()).diff()
    assert boot.hashrate_log_growth.std() == pytest.approx(growth.std(), rel=0.15)
