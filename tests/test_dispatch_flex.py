"""Monte Carlo of flexibility: month-and-hour block bootstrap of price years."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from hashpivot.dispatch import (
    Dispatch,
    DispatchSiteSpec,
    DispatchTierSpec,
    HourCalendar,
    MarketData,
    flexibility_monte_carlo,
    read_market,
)
from hashpivot.dispatch.engine import MIN_RATE_SHARE_FRAC, loss_per_mw_year
from hashpivot.dispatch.flex import describe, resample_hour_index, resample_market
from hashpivot.errors import SpecError


def history(days: int = 70, seed: int = 0) -> MarketData:
    cal = HourCalendar.regular("2024-05-01", 24 * days)
    rng = np.random.default_rng(seed)
    price = rng.gamma(2.0, 20.0, cal.n_hours) + (rng.random(cal.n_hours) < 0.03) * 800
    load = rng.random(cal.n_hours) * 1000
    return MarketData(cal, {"N": price[None, :]}, load[None, :])


def test_draws_keep_month_and_hour_ending() -> None:
    m = history()
    cal = m.calendar
    src = resample_hour_index(cal, 50, seed=1)
    assert src.shape == (50, cal.n_hours)
    np.testing.assert_array_equal(
        cal.month_of_year[src], np.broadcast_to(cal.month_of_year, src.shape)
    )
    np.testing.assert_array_equal(cal.hour_ending[src], np.broadcast_to(cal.hour_ending, src.shape))
    # day blocks: the 24 hours of a target day come from one source day, in order
    day0 = src[:, :24]
    np.testing.assert_array_equal(np.diff(day0, axis=1), 1)


def test_draws_are_seeded() -> None:
    cal = history().calendar
    a = resample_hour_index(cal, 5, seed=7)
    np.testing.assert_array_equal(a, resample_hour_index(cal, 5, seed=7))
    assert not np.array_equal(a, resample_hour_index(cal, 5, seed=8))
    hourly = resample_hour_index(cal, 200, seed=7, block="hour")
    assert np.any(np.diff(hourly[:, :24], axis=1) != 1)


def test_prices_and_load_are_drawn_jointly() -> None:
    m = history()
    sampled = resample_market(m, 4, seed=3)
    src = resample_hour_index(m.calendar, 4, seed=3)
    np.testing.assert_array_equal(sampled.price("N"), m.price("N")[0][src])
    assert sampled.system_load_mw is not None
    assert m.system_load_mw is not None
    np.testing.assert_array_equal(sampled.system_load_mw, m.system_load_mw[0][src])


def test_bad_block_and_empty_pool() -> None:
    cal = history().calendar
    with pytest.raises(SpecError, match="valid: day, hour"):
        resample_hour_index(cal, 2, 0, block="week")  # type: ignore[arg-type]
    short = HourCalendar.regular("2024-05-01", 12)  # no complete day
    with pytest.raises(SpecError, match="no complete 24-hour day"):
        resample_hour_index(short, 2, 0)


def test_flexibility_distribution() -> None:
    d = two_tier_dispatch(days=70)
    mc = flexibility_monte_carlo(d, 64, seed=11, ai_mw=10.0)
    out = mc.summary()
    assert out["paths"] == 64
    assert out["seed"] == 11
    flex = out["flexibility_value_usd"]
    assert flex["p5"] <= flex["p50"] <= flex["p95"]
    assert flex["std"] > 0
    assert mc.flexibility_lost_usd is not None
    assert np.all(mc.flexibility_lost_usd > 0)  # the least efficient 10 MW curtail most
    again = flexibility_monte_carlo(d, 64, seed=11, ai_mw=10.0).summary()
    assert again["flexibility_value_usd"] == flex
    assert mc.result.n_paths == 64
    assert mc.result.seed == 11


def test_describe() -> None:
    out = describe(np.arange(101.0))
    assert out == {
        "mean": 50.0,
        "std": pytest.approx(29.3002, rel=1e-5),
        "p5": 5.0,
        "p50": 50.0,
        "p95": 95.0,
    }


def test_real_2024_bootstrap_has_dst_calendar(shared_data: Path) -> None:
    m = read_market(
        shared_data / "ercot_lz_rtm_hourly_2024_2025.csv",
        ["LZ_WEST"],
        shared_data / "ercot_native_load_hourly_2023_2025.csv",
        year=2024,
    )
    sampled = resample_market(m, 8, seed=0)
    assert sampled.price("LZ_WEST").shape == (8, 8783)
    assert np.isfinite(sampled.price("LZ_WEST")).all()


def two_tier_dispatch(days: int = 30) -> Dispatch:
    """One site with a 17 J/TH (30 MW) and a 28 J/TH (20 MW) tier on ``days`` of history."""
    site = DispatchSiteSpec(
        name="s",
        tiers=(
            DispatchTierSpec(efficiency_j_per_th=17.0, power_mw=30.0),
            DispatchTierSpec(efficiency_j_per_th=28.0, power_mw=20.0),
        ),
    )
    return Dispatch([site], history(days=days), 45.0, 9e4)


@pytest.mark.parametrize("ai_mw", [0.0, 5e-324, 1e-300, 1e-12, 25.0 * MIN_RATE_SHARE_FRAC])
def test_flexibility_loss_per_mw_year_is_nan_for_zero_or_negligible_ai_mw(ai_mw: float) -> None:
    d = two_tier_dispatch()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division or overflow warning either
        out = d.flexibility_lost(ai_mw).summary()
    assert math.isnan(out["flexibility_lost_usd_per_mw_year"])
    assert math.isfinite(out["flexibility_lost_usd"])
    assert abs(out["flexibility_lost_usd"]) < 1.0


def test_flexibility_loss_per_mw_year_is_the_marginal_rate_just_above_the_floor() -> None:
    d = two_tier_dispatch()
    rate = d.flexibility_lost(1.0).summary()["flexibility_lost_usd_per_mw_year"]
    assert rate > 0
    small = d.flexibility_lost(1e-6).summary()["flexibility_lost_usd_per_mw_year"]
    assert small == pytest.approx(rate, rel=1e-5)  # the least efficient tier goes first


def test_loss_per_mw_year_never_divides_by_zero() -> None:
    assert loss_per_mw_year(100.0, 2.0, 10.0, 0.5) == 100.0
    assert math.isnan(loss_per_mw_year(1.0, 0.0, 10.0, 1.0))
    assert math.isnan(loss_per_mw_year(1.0, 2.0, 10.0, 0.0))
    assert math.isnan(loss_per_mw_year(1.0, 5e-324, 0.0, 1e-300))  # product underflows to 0
    assert math.isnan(loss_per_mw_year(1e308, 1e-300, 1e-300, 1e-10))  # would be inf
    assert math.isnan(loss_per_mw_year(1.0, 1e-10, 1.0, 1.0))  # below the share floor
