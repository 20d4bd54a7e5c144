import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hashpivot import ai


# Headline deals, fact sheet section D (straight-line implied rates are derived there):
# Core Scientific–CoreWeave ~500 MW, 8.7B USD, 12 yr -> ~121 USD/kW-month (SEC 8-K,
# https://www.sec.gov/Archives/edgar/data/1839341/000162828024043341/corescientifichpcoption3re.htm);
# TeraWulf–Fluidstack 200 MW, 3.7B USD, 10 yr -> ~154
# (https://blockspace.media/insight/terawulf-signs-10-year-200-mw-hosting-deals-google-takes-8-stake);
# Applied Digital–CoreWeave 250 MW, 7B USD, ~15 yr -> ~156
# (https://www.theregister.com/2025/06/02/coreweave_applied_digital_nd/).
@pytest.mark.parametrize(
    ("mw", "value_usd", "years", "rate"),
    [(500, 8.7e9, 12, 121), (200, 3.7e9, 10, 154), (250, 7.0e9, 15, 156)],
)
def test_headline_deals_straight_line(mw, value_usd, years, rate) -> None:
    implied = float(ai.implied_rate_usd_per_kw_month(value_usd, mw, years))
    assert implied == pytest.approx(rate, rel=0.01)
    assert float(ai.contract_value_usd(mw, rate, years)) == pytest.approx(value_usd, rel=0.01)


def test_hut8_deal_with_escalator() -> None:
    # Hut 8–Fluidstack: 245 MW IT, 7.0B USD over 15 years, 3 % escalator
    # (https://dcpulse.com/news/hut-fluidstack-ai-data-center-deal-river-bend).
    rate = float(ai.implied_rate_usd_per_kw_month(7.0e9, 245, 15, 0.03))
    annuity_factor = sum(1.03**y for y in range(15))
    assert rate == pytest.approx(7.0e9 / (245 * 1000 * 12 * annuity_factor))
    assert float(ai.contract_value_usd(245, rate, 15, 0.03)) == pytest.approx(7.0e9)
    assert rate < 7.0e9 / (245 * 1000 * 12 * 15)  # escalation lowers the starting rate


def test_fractional_term_prorates_last_year() -> None:
    full = float(ai.contract_value_usd(10, 100, 2, 0.1))
    half = float(ai.contract_value_usd(10, 100, 2.5, 0.1))
    assert half - full == pytest.approx(10 * 1000 * 100 * 12 * 1.1**2 * 0.5)


@given(st.floats(1, 1000), st.floats(50, 250), st.floats(1, 20), st.floats(-0.05, 0.1))
def test_rate_round_trip(mw, rate, years, g) -> None:
    value = ai.contract_value_usd(mw, rate, years, g)
    assert float(ai.implied_rate_usd_per_kw_month(value, mw, years, g)) == pytest.approx(rate)


def test_escalated_rate_steps_annually() -> None:
    r = ai.escalated_rate_usd_per_kw_month(100.0, 0.03, np.array([-3, 0, 11, 12, 24]))
    assert np.allclose(r, [100, 100, 100, 103, 106.09])


def test_energised_phases() -> None:
    mw = ai.energised_it_mw([2, 5], [10.0, 20.0], np.arange(7))
    assert np.allclose(mw, [0, 0, 10, 10, 10, 30, 30])


def test_expected_rent_with_default_and_recovery() -> None:
    assert float(ai.expected_rent_frac(0.0, 0.5, 120)) == 1.0
    s = 0.9**2
    assert float(ai.expected_rent_frac(0.1, 0.5, 24)) == pytest.approx(s + (1 - s) * 0.5)
    assert float(ai.expected_rent_frac(0.1, 1.0, 24)) == pytest.approx(1.0)


def test_gpu_cloud_revenue_and_power() -> None:
    # 1000 GPUs for a 720 h month: half reserved at 2.5, half on demand at 2.0 and 70 %.
    rev = ai.gpu_cloud_revenue_usd(1000, 720, 0.5, 2.5, 2.0, 0.7)
    assert float(rev) == pytest.approx(1000 * 720 * (0.5 * 2.5 + 0.5 * 0.7 * 2.0))
    # H100: 700 W, overhead 0.4, PUE 1.2 -> 1.176 kW per GPU at the meter
    assert float(ai.gpu_cloud_power_mw(1000, 700, 0.4, 1.2)) == pytest.approx(1.176)


def test_gpu_price_path_and_depreciation() -> None:
    p = ai.gpu_price_path_usd_per_gpu_hour(2.0, -0.2, np.array([0, 12, 24]))
    assert np.allclose(p, [2.0, 1.6, 1.28])
    dep = ai.gpu_depreciation_usd_per_month(60_000, 5, 0.1)
    assert float(dep) == pytest.approx(60_000 * 0.9 / 60)


def test_backstop_pays_lost_rent_until_its_cap() -> None:
    # hand calculation: 10 a month lost from month 1, cap 25 → 10, 10, then the last 5
    lost = np.array([0.0, 10.0, 10.0, 10.0, 10.0])
    np.testing.assert_allclose(ai.backstop_paid_usd(lost, 25.0), [0.0, 10.0, 10.0, 5.0, 0.0])
    paths = np.array([[10.0, 10.0], [0.0, 30.0]])
    np.testing.assert_allclose(ai.backstop_paid_usd(paths, np.array([15.0, 100.0])),
                               [[10.0, 5.0], [0.0, 30.0]])  # fmt: skip
