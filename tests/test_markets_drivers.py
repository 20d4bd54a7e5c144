"""Fees, GPU rental index and power price factor samplers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hashpivot.errors import UnknownNameError
from hashpivot.markets import (
    EscalatingPowerSpec,
    FeesSpec,
    FixedPowerSpec,
    GpuPriceSpec,
    LognormalPowerSpec,
    power_price_model,
    sample_fees_btc_per_block,
    sample_gpu_price_index,
    sample_power_price_factor,
)
from hashpivot.markets.fees import ou_step, spike_excess
from hashpivot.markets.gpu_price import expected_gpu_price_index, ou_variance


def _within(estimate: float, expected: float, se: float, k: float = 3.0) -> None:
    assert abs(estimate - expected) < k * se, f"{estimate} vs {expected} (SE {se})"


# --------------------------------------------------------------------------- fees


def test_fees_positive_and_baseline_median() -> None:
    spec = FeesSpec(spike_rate_per_year=0.0)
    fees = sample_fees_btc_per_block(spec, 60, 5000, seed=1)
    assert fees.shape == (5000, 60)
    assert np.all(fees > 0)
    # no spikes: log fees are OU around log(baseline), so the median is the baseline
    assert np.median(fees[:, -1]) == pytest.approx(spec.baseline_btc_per_block, rel=0.05)


def test_fee_baseline_is_an_exact_ou() -> None:
    spec = FeesSpec(spike_rate_per_year=0.0, baseline_mean_reversion_per_year=2.0)
    x = np.log(sample_fees_btc_per_block(spec, 120, 5000, seed=2) / spec.baseline_btc_per_block)
    sigma, kappa = spec.baseline_volatility_frac_per_year, 2.0
    var = sigma**2 * (1 - math.exp(-2 * kappa * 10)) / (2 * kappa)  # after 120 steps (Vasicek)
    _within(x[:, -1].var(ddof=1), var, var * math.sqrt(2 / 4999))
    phi, _ = ou_step(kappa, sigma)
    lag = np.corrcoef(x[:, 60:-1].ravel(), x[:, 61:].ravel())[0, 1]
    assert lag == pytest.approx(phi, abs=0.01)


def test_spike_frequency_matches_the_rate() -> None:
    # very short episodes: a month holds a spike iff an episode starts in it
    spec = FeesSpec(
        baseline_volatility_frac_per_year=0.0,
        spike_rate_per_year=3.0,
        spike_duration_months=1e-4,
    )
    fees = sample_fees_btc_per_block(spec, 120, 4000, seed=3)
    hit = fees > spec.baseline_btc_per_block * (1 + 1e-9)
    p = 1 - math.exp(-3.0 / 12)
    _within(hit.mean(), p, math.sqrt(p * (1 - p) / hit.size))


def test_spike_excess_mean_is_rate_times_duration_times_excess() -> None:
    # E[month excess] = (λ/12) · E[D] · E[M − 1], M log-uniform on [a, b]: E[M] = (b − a)/ln(b/a)
    spec = FeesSpec(spike_rate_per_year=4.0, spike_duration_months=0.2)
    rng = np.random.default_rng(4)
    excess = spike_excess(spec, rng, 20_000, 60)[:, 5:-5]  # away from the horizon's ends
    mean_m = (40 - 5) / math.log(8)
    expected = 4.0 / 12 * 0.2 * (mean_m - 1)
    se = excess.mean(axis=1).std(ddof=1) / math.sqrt(excess.shape[0])
    _within(excess.mean(), expected, se)
    assert excess.min() >= 0.0


def test_single_spike_multiplier_within_spec_range() -> None:
    spec = FeesSpec(spike_rate_per_year=2.0, spike_duration_months=6.0)
    n, months = 5000, 12
    counts = np.random.default_rng(5).poisson(2.0 / 12 * months, n)  # the first draw
    excess = spike_excess(spec, np.random.default_rng(5), n, months)
    one = excess[counts == 1]
    assert one.max() <= spec.spike_multiplier_max - 1 + 1e-9
    # months fully inside the episode carry the whole multiplier, at least min − 1
    assert one.max(axis=1).max() >= spec.spike_multiplier_min - 1
    assert np.all(excess[counts == 0] == 0.0)


def test_fees_spec_rejects_inverted_multipliers() -> None:
    with pytest.raises(ValueError, match="spike_multiplier_max 3 is below"):
        FeesSpec(spike_multiplier_min=5.0, spike_multiplier_max=3.0)


@settings(max_examples=25, deadline=None)
@given(
    vol=st.floats(0.0, 5.0),
    kappa=st.floats(0.0, 20.0),
    rate=st.floats(0.0, 52.0),
    lo=st.floats(1.0, 50.0),
    width=st.floats(0.0, 50.0),
    dur=st.floats(0.01, 12.0),
    seed=st.integers(0, 2**32),
)
def test_fees_never_negative(
    vol: float, kappa: float, rate: float, lo: float, width: float, dur: float, seed: int
) -> None:
    spec = FeesSpec(
        baseline_volatility_frac_per_year=vol,
        baseline_mean_reversion_per_year=kappa,
        spike_rate_per_year=rate,
        spike_multiplier_min=lo,
        spike_multiplier_max=lo + width,
        spike_duration_months=dur,
    )
    fees = sample_fees_btc_per_block(spec, 24, 50, seed=seed)
    assert np.all(fees >= 0)
    assert np.all(np.isfinite(fees))


# --------------------------------------------------------------------------- GPU


def test_gpu_index_follows_trend_and_generation_steps() -> None:
    spec = GpuPriceSpec()
    index = sample_gpu_price_index(spec, 36, 20_000, seed=6)
    expected = expected_gpu_price_index(spec, 36)
    # analytic: E = (1+trend)^t (1+step)^n; SE from the lognormal variance e^{v} − 1
    sd = expected * np.sqrt(np.exp(ou_variance(spec, 36)) - 1)
    for m in (0, 10, 11, 23, 35):
        _within(index[:, m].mean(), expected[m], sd[m] / math.sqrt(20_000))
    assert expected[11] / expected[10] == pytest.approx(0.92 * 0.85 ** (1 / 12))
    assert expected[-1] == pytest.approx(0.85**3 * 0.92**3)


def test_gpu_index_without_shocks_is_deterministic() -> None:
    spec = GpuPriceSpec(ou_volatility_frac_per_year=0.0, generation_step_frac=0.0)
    index = sample_gpu_price_index(spec, 12, 3, seed=0)
    np.testing.assert_allclose(index[:, -1], 0.85, rtol=1e-12)
    assert np.all(np.diff(index, axis=1) < 0)


# --------------------------------------------------------------------------- power


def test_power_fixed_and_escalating() -> None:
    assert np.all(sample_power_price_factor(FixedPowerSpec(), 24, 4, seed=0) == 1.0)
    esc = sample_power_price_factor(
        EscalatingPowerSpec(escalator_frac_per_year=0.03), 25, 2, seed=0
    )
    assert np.all(esc[:, :12] == 1.0)
    assert esc[0, 12] == pytest.approx(1.03)
    assert esc[0, 24] == pytest.approx(1.03**2)


def test_power_lognormal_has_mean_one_and_site_correlation() -> None:
    spec = LognormalPowerSpec(volatility_frac=0.3, site_correlation_frac=0.5)
    a = sample_power_price_factor(spec, 6, 20_000, seed=7, site=0)
    b = sample_power_price_factor(spec, 6, 20_000, seed=7, site=1)
    sd = math.sqrt(math.exp(0.09) - 1)
    _within(a[:, 0].mean(), 1.0, sd / math.sqrt(20_000))
    assert np.all(a == a[:, :1])  # a per-path level, constant over months
    rho = np.corrcoef(np.log(a[:, 0]), np.log(b[:, 0]))[0, 1]
    assert rho == pytest.approx(0.5, abs=0.03)


def test_power_monthly_noise_and_escalation() -> None:
    spec = LognormalPowerSpec(
        volatility_frac=0.0, monthly_volatility_frac=0.2, escalator_frac_per_year=0.1
    )
    f = sample_power_price_factor(spec, 24, 20_000, seed=8)
    _within(f[:, 0].mean(), 1.0, math.sqrt(math.exp(0.04) - 1) / math.sqrt(20_000))
    _within(f[:, 12].mean(), 1.1, 1.1 * math.sqrt(math.exp(0.04) - 1) / math.sqrt(20_000))


def test_power_model_factory() -> None:
    assert power_price_model("lognormal") is LognormalPowerSpec
    with pytest.raises(UnknownNameError, match="valid names: escalating, fixed, lognormal"):
        power_price_model("lognormall")
