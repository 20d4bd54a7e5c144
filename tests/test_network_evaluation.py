"""Scores of network forecasts: CRPS against its definition and closed form, baselines by hand."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from hashpivot.errors import SpecError
from hashpivot.network import evaluation as ev
from hashpivot.network.history import History


def test_crps_normal_at_the_mean_is_the_hand_value() -> None:
    # z = 0: sigma * (2 phi(0) - 1/sqrt(pi)) = sigma * (sqrt(2) - 1)/sqrt(pi) = 0.2336950 sigma
    assert ev.crps_normal(3.0, 2.0, 3.0) == pytest.approx(2.0 * 0.2336950, abs=1e-7)


@pytest.mark.parametrize(("mu", "sd", "y"), [(0.0, 1.0, 0.7), (1.5, 0.3, 0.2), (-2.0, 4.0, 5.0)])
def test_crps_normal_equals_the_integral_definition(mu: float, sd: float, y: float) -> None:
    # CRPS = integral of (F(x) - 1{x >= y})^2 dx (Gneiting and Raftery 2007, eq. 20)
    below, _ = integrate.quad(lambda x: stats.norm.cdf(x, mu, sd) ** 2, -np.inf, y)
    above, _ = integrate.quad(lambda x: stats.norm.sf(x, mu, sd) ** 2, y, np.inf)
    assert ev.crps_normal(mu, sd, y) == pytest.approx(below + above, rel=1e-7)


def test_crps_ensemble_of_one_member_is_the_absolute_error() -> None:
    np.testing.assert_allclose(ev.crps_ensemble(np.array([[2.0, -1.0]]), [5.0, 1.0]), [3.0, 2.0])


def test_crps_ensemble_of_a_large_normal_sample_nears_the_closed_form() -> None:
    x = np.random.default_rng(3).normal(0.4, 0.8, (200_000, 3))
    y = np.array([0.4, 1.5, -2.0])
    np.testing.assert_allclose(ev.crps_ensemble(x, y), ev.crps_normal(0.4, 0.8, y), rtol=5e-3)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=25),
    st.floats(-1e3, 1e3, allow_nan=False),
)
def test_crps_ensemble_equals_the_pairwise_definition(members: list[float], y: float) -> None:
    # E|X - y| - 1/2 E|X - X'| over all ordered pairs (Gneiting and Raftery 2007, eq. 21)
    x = np.asarray(members)
    direct = np.mean(np.abs(x - y)) - 0.5 * np.mean(np.abs(x[:, None] - x[None, :]))
    got = float(ev.crps_ensemble(x[:, None], y)[0])
    assert got == pytest.approx(direct, rel=1e-9, abs=1e-9)
    assert got >= -1e-9


def test_flat_baseline_by_hand() -> None:
    # log levels 0, 0.1, 0.2: last 0.2; rms monthly change 0.1, so sd 0.1*sqrt(h)
    mean, sd = ev.baseline_log_forecast("flat", np.array([0.0, 0.1, 0.2]), np.array([1, 4]))
    np.testing.assert_allclose(mean, [0.2, 0.2])
    np.testing.assert_allclose(sd, [0.1, 0.2])


def test_trend_baseline_by_hand() -> None:
    # y = 0, 1, 0 at t = 0, 1, 2: slope 0, intercept 1/3, residual variance (6/9)/1 = 2/3;
    # at t = 3 (h = 1): sd^2 = 2/3 * (1 + 1/3 + (3 - 1)^2/2) = 20/9
    mean, sd = ev.baseline_log_forecast("trend", np.array([0.0, 1.0, 0.0]), np.array([1]))
    assert mean[0] == pytest.approx(1.0 / 3.0)
    assert sd[0] == pytest.approx(math.sqrt(20.0 / 9.0))


def test_trend_baseline_extrapolates_a_straight_line_exactly() -> None:
    y = 3.0 + 0.05 * np.arange(12)
    mean, sd = ev.baseline_log_forecast("trend", y, np.array([1, 12]))
    np.testing.assert_allclose(mean, [3.0 + 0.05 * 12, 3.0 + 0.05 * 23])
    np.testing.assert_allclose(sd, 0.0, atol=1e-6)


def test_bad_baseline_and_sd_are_refused_naming_them() -> None:
    with pytest.raises(SpecError, match=r"baseline: 'drift' \(must be one of flat, trend\)"):
        ev.baseline_log_forecast("drift", np.zeros(5), np.array([1]))
    with pytest.raises(SpecError, match=r"sd: min 0.0 \(must be > 0\)"):
        ev.crps_normal(0.0, 0.0, 1.0)
    with pytest.raises(SpecError, match="log_history: 2 months"):
        ev.baseline_log_forecast("flat", np.zeros(2), np.array([1]))


def test_summary_scores_by_hand() -> None:
    rows = pd.DataFrame(
        {
            "model": ["a", "a"],
            "real": [100.0, 100.0],
            "p5": [80.0, 50.0],
            "p25": [95.0, 60.0],
            "p50": [110.0, 80.0],
            "p75": [120.0, 90.0],
            "p95": [130.0, 120.0],
            "crps_log": [0.1, 0.3],
        }
    )
    s = ev.summarise_scores(rows, ["model"]).loc["a"]
    assert s["median_ape"] == pytest.approx(0.15)  # errors 0.10 and 0.20
    assert s["p90_ape"] == pytest.approx(0.19)  # linear interpolation: 0.10 + 0.9 * 0.10
    assert s["coverage_50"] == pytest.approx(0.5)  # 100 in [95, 120], not in [60, 90]
    assert s["coverage_90"] == pytest.approx(1.0)
    assert s["median_width_90"] == pytest.approx((50 / 110 + 70 / 80) / 2)
    assert s["crps_log"] == pytest.approx(0.2)


def test_normal_scores_put_the_quantiles_of_a_lognormal() -> None:
    out = ev.normal_scores(np.array([np.log(100.0)]), np.array([0.1]), np.array([100.0]))
    assert out["p50"][0] == pytest.approx(100.0)
    assert out["p95"][0] == pytest.approx(100.0 * math.exp(1.6448536 * 0.1), rel=1e-7)
    assert out["crps_log"][0] == pytest.approx(0.1 * 0.2336950, abs=1e-7)


def test_baseline_rows_need_twelve_months_before_the_origin() -> None:
    idx = pd.date_range("2020-01-01", periods=20, freq="MS")
    hist = History(pd.DataFrame({"hashrate_eh_s": np.exp(0.02 * np.arange(20))}, index=idx))
    rows = ev.baseline_rows("trend", hist, dt.date(2021, 1, 1), 3)
    np.testing.assert_allclose(rows["p50"], np.exp(0.02 * np.array([12, 13, 14])), rtol=1e-9)
    with pytest.raises(SpecError, match="origin: 2020-06-01"):
        ev.baseline_rows("flat", hist, dt.date(2020, 6, 1), 3)


def _daily_history(path, start: str, end: str, drop: str | None = None):
    dates = pd.date_range(start, end, freq="D")
    frame = pd.DataFrame(
        {
            "date": dates.strftime("%Y-%m-%d"),
            "price_usd_cm": 30_000.0,
            "hashrate_ths_bc": 400e6,
            "difficulty_bc": 5e13,
            "drv_blocks_est": 144.0,
            "drv_fees_btc": 28.8,
        }
    )
    frame.drop(columns=[drop] if drop else []).to_csv(path, index=False)
    return path


def test_history_months_by_hand(tmp_path) -> None:
    from hashpivot.network.chain import estimate_height
    from hashpivot.network.history import load_history

    # no halving inside 2023: pinned to the estimated height of its first day
    hist = load_history(_daily_history(tmp_path / "h.csv", "2023-01-01", "2023-12-31"))
    m = hist.monthly
    assert list(m.index[:2]) == [pd.Timestamp("2023-01-01"), pd.Timestamp("2023-02-01")]
    assert m["start_height"].iloc[0] == pytest.approx(estimate_height(dt.date(2023, 1, 1)))
    assert m["start_height"].iloc[1] - m["start_height"].iloc[0] == pytest.approx(31 * 144)
    assert m["fees_btc_per_block"].iloc[0] == pytest.approx(0.2)  # 28.8 BTC / 144 blocks
    assert m["hashrate_eh_s"].iloc[0] == pytest.approx(400.0)
    assert hist.last_month == dt.date(2023, 12, 1)
    with pytest.raises(SpecError, match="columns: missing difficulty_bc"):
        load_history(
            _daily_history(tmp_path / "b.csv", "2023-01-01", "2023-02-01", "difficulty_bc")
        )


def test_pick_calibrated_by_hand() -> None:
    # rows: coverage 0.80 (CRPS 0.05, sharp but short), 0.86 (0.09), 0.90 (0.08),
    # 0.97 (0.07): of the two inside 0.85-0.95 the least CRPS is 0.08, the third row
    scores = pd.DataFrame(
        {"coverage_90": [0.80, 0.86, 0.90, 0.97], "crps_log": [0.05, 0.09, 0.08, 0.07]}
    )
    assert ev.pick_calibrated(scores).name == 2
    # none inside the range: the coverage closest to 0.90 (0.97 is 0.07 off, 0.80 0.10)
    assert ev.pick_calibrated(scores.drop(index=[1, 2])).name == 3
    # the range's ends count as inside
    assert ev.pick_calibrated(scores, (0.86, 0.86)).name == 1
