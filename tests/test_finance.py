import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hashpivot import finance
from hashpivot.errors import HashpivotError, SpecError, UnknownNameError
from hashpivot.finance import MissingInputError

# --------------------------------------------------------------------------- known answers: NPV


def test_npv_numpy_financial_docs_example():
    # numpy-financial docs, npv example (https://numpy.org/numpy-financial/latest/npv.html):
    # npf.npv(0.08, [-40_000, 5_000, 8_000, 12_000, 30_000]) = 3065.22266817...
    assert finance.npv_usd(0.08, [-40_000, 5_000, 8_000, 12_000, 30_000]) == pytest.approx(
        3065.22266817, abs=1e-6
    )


def test_npv_numpy_docs_irr_companion_example():
    # numpy 1.13 docs, np.npv(0.281, [-100, 39, 59, 55, 20]) = -0.0084785916384548798
    # (https://www.numpy.org/doc/1.13/reference/generated/numpy.npv.html)
    value = finance.npv_usd(0.281, [-100, 39, 59, 55, 20])
    assert value == pytest.approx(-0.0084785916384548798, abs=1e-12)


@pytest.mark.parametrize(
    ("rate", "flows", "t0", "expected"),
    [
        # Excel NPV docs example 1 (https://support.microsoft.com/en-us/excel/functions/
        # npv-function): NPV(10%, -10000, 3000, 4200, 6800) = 1,188.44, first flow one
        # period out.
        (0.10, [-10_000, 3_000, 4_200, 6_800], False, 1188.44),
        # Excel NPV docs example 2: NPV(8%, 8000, 9200, 10000, 12000, 14500) - 40000
        # = 1,922.06 and with a 9,000 loss in year 6: -3,749.47.
        (0.08, [-40_000, 8_000, 9_200, 10_000, 12_000, 14_500], True, 1922.06),
        (0.08, [-40_000, 8_000, 9_200, 10_000, 12_000, 14_500, -9_000], True, -3749.47),
    ],
)
def test_npv_excel_docs_examples(rate, flows, t0, expected):
    assert finance.npv_usd(rate, flows, t0_included=t0) == pytest.approx(expected, abs=0.005)


def test_npv_vectorised_over_paths_and_rates():
    flows = np.array([[-100.0, 60.0, 60.0], [-100.0, 50.0, 50.0]])
    got = finance.npv_usd(np.array([0.1, 0.0]), flows)
    assert got.shape == (2,)
    assert got[0] == pytest.approx(-100 + 60 / 1.1 + 60 / 1.21)
    assert got[1] == pytest.approx(0.0)
    # a scalar rate broadcasts over the paths; the result equals row-by-row evaluation
    rows = [float(finance.npv_usd(0.05, row)) for row in flows]
    np.testing.assert_allclose(finance.npv_usd(0.05, flows), rows)


# --------------------------------------------------------------------------- known answers: IRR


@pytest.mark.parametrize(
    ("flows", "expected"),
    [
        # numpy-financial irr docs (https://numpy.org/numpy-financial/latest/irr.html),
        # from Gitman, Principles of Managerial Finance, Brief, 3rd ed., p. 348
        ([-100, 39, 59, 55, 20], 0.28095),
        ([-100, 0, 0, 74], -0.0955),
        ([-100, 100, 0, -7], -0.0833),
        ([-100, 100, 0, 7], 0.06206),
        ([-5, 10.5, 1, -8, 1], 0.0886),
    ],
)
def test_irr_numpy_financial_docs_examples(flows, expected):
    assert round(float(finance.irr(flows)), 5) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("flows", "expected"),
    [
        # Excel IRR docs (https://support.microsoft.com/en-us/excel/functions/irr-function):
        # -70,000 then 12,000, 15,000, 18,000, 21,000 -> -2.1 %; with 26,000 -> 8.7 %;
        # after two years -> -44.4 %.
        ([-70_000, 12_000, 15_000, 18_000, 21_000], -0.021),
        ([-70_000, 12_000, 15_000, 18_000, 21_000, 26_000], 0.087),
        ([-70_000, 12_000, 15_000], -0.444),
    ],
)
def test_irr_excel_docs_examples(flows, expected):
    assert float(finance.irr(flows)) == pytest.approx(expected, abs=5e-4)


def test_irr_is_nan_without_a_sign_change():
    assert math.isnan(float(finance.irr([100.0, 20.0, 30.0])))
    assert math.isnan(float(finance.irr([-100.0, -20.0])))
    assert math.isnan(float(finance.irr([0.0, 0.0, 0.0])))


def test_irr_per_row():
    flows = np.array([[-100, 39, 59, 55, 20], [1, 1, 1, 1, 1], [-100, 0, 0, 74, 0]])
    got = finance.irr(flows)
    assert got.shape == (3,)
    assert got[0] == pytest.approx(0.2809484211599611, abs=1e-10)
    assert math.isnan(got[1])
    assert got[2] == pytest.approx(-0.0955, abs=1e-4)


# ------------------------------------------------------------------ known answers: annuities


def test_annuity_payment_textbook():
    # 100,000 at 5 %/yr over 30 years: 100000 * 0.05 / (1 - 1.05**-30) = 6,505.14 a year
    # (standard annuity table, e.g. Brealey-Myers-Allen ch. 2; checked by hand).
    assert finance.annuity_payment_usd(100_000, 0.05, 30) == pytest.approx(6505.14, abs=0.005)


def test_annuity_payment_excel_pmt_example():
    # Excel PMT docs (https://support.microsoft.com/en-US/excel/functions/pmt-function):
    # PMT(8%/12, 10, 10000) = -1,037.03 (sign: money paid out).
    assert finance.annuity_payment_usd(10_000, 0.08 / 12, 10) == pytest.approx(1037.03, abs=0.005)


def test_annuity_present_value_excel_pv_example():
    # Excel PV docs (https://support.microsoft.com/en-us/excel/functions/pv-function):
    # PV(0.08/12, 12*20, 500) = -59,777.15.
    pv = finance.annuity_present_value_usd(500, 0.08 / 12, 240)
    assert pv == pytest.approx(59_777.15, abs=0.005)


def test_annuity_zero_rate_and_round_trip():
    assert finance.annuity_payment_usd(1200, 0.0, 12) == pytest.approx(100.0)
    pmt = finance.annuity_payment_usd([1e6, 2e6], [0.01, 0.02], 36)
    np.testing.assert_allclose(finance.annuity_present_value_usd(pmt, [0.01, 0.02], 36), [1e6, 2e6])


def test_monthly_rate_compounds_to_the_annual_rate():
    assert (1 + finance.monthly_rate(0.12)) ** 12 - 1 == pytest.approx(0.12)
    np.testing.assert_allclose(finance.monthly_rate([0.0, 0.1268250301319698]), [0.0, 0.01])


def test_discount_factors_end_and_mid():
    np.testing.assert_allclose(finance.discount_factors(0.1, 2), [1 / 1.1, 1 / 1.21])
    np.testing.assert_allclose(finance.discount_factors(0.1, 1, "mid"), [1.1**-0.5])
    assert finance.discount_factors([0.1, 0.2], 3).shape == (2, 3)


# --------------------------------------------------------------------------- loans


def test_annuity_loan_schedule_repays_exactly():
    s = finance.loan_schedule(10_000, 0.08 / 12, 10, "annuity")
    np.testing.assert_allclose(s.payment_usd, 1037.0320893591522)
    assert s.balance_usd[-1] == 0.0
    assert s.principal_usd.sum() == pytest.approx(10_000)
    assert s.interest_usd[0] == pytest.approx(10_000 * 0.08 / 12)
    assert list(s.to_frame().columns) == [
        "period",
        "interest_usd",
        "principal_usd",
        "payment_usd",
        "balance_usd",
    ]


def test_straight_and_bullet_loans_and_horizon():
    s = finance.loan_schedule([1000.0, 2000.0], 0.01, 4, "straight", horizon_periods=6)
    np.testing.assert_allclose(s.balance_usd[0], [750, 500, 250, 0, 0, 0])
    np.testing.assert_allclose(s.principal_usd[1], [500, 500, 500, 500, 0, 0])
    np.testing.assert_allclose(s.interest_usd[0, :4], [10, 7.5, 5, 2.5])
    b = finance.loan_schedule(1000.0, 0.01, 4, "bullet", horizon_periods=2)
    np.testing.assert_allclose(b.payment_usd, [10, 10])
    np.testing.assert_allclose(
        finance.loan_schedule(1000.0, 0.01, 4, "bullet").payment_usd[-1], 1010
    )


def test_unknown_loan_kind_lists_the_valid_ones():
    with pytest.raises(UnknownNameError, match="annuity, straight, bullet"):
        finance.loan_schedule(1000, 0.01, 4, "balloon")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- depreciation


def test_straight_line_depreciation_of_one_outlay():
    dep = finance.straight_line_depreciation_usd(1200.0, 12, 0.0, 15, start_period=2)
    assert dep[:2].sum() == 0
    assert dep[14] == 0
    np.testing.assert_allclose(dep[2:14], 100.0)
    with_residual = finance.straight_line_depreciation_usd([1000.0, 2000.0], 4, 0.2, 6)
    np.testing.assert_allclose(with_residual, [[200] * 4 + [0] * 2, [400] * 4 + [0] * 2])


def test_depreciation_of_capex_spread_over_periods_is_a_convolution():
    capex = np.array([100.0, 0.0, 100.0, 0.0, 0.0, 0.0])
    dep = finance.depreciation_of_capex_usd(capex, 3)
    np.testing.assert_allclose(dep, np.convolve(capex, np.full(3, 1 / 3))[: capex.size])
    paths = np.vstack([capex, 2 * capex])
    np.testing.assert_allclose(finance.depreciation_of_capex_usd(paths, 3)[1], 2 * dep)


# --------------------------------------------------------------------------- terminal value, DCF


def test_gordon_growth_terminal_value():
    # Gordon (1959): P0 = D1 / (k - g); D1 = 5, k = 10 %, g = 5 % -> 100.
    assert finance.terminal_value_gordon_usd(5.0, 0.10, 0.05) == pytest.approx(100.0)
    np.testing.assert_allclose(
        finance.terminal_value_gordon_usd([5.0, 10.0], 0.10, [0.05, 0.0]), [100.0, 100.0]
    )


def test_gordon_refuses_growth_at_or_above_the_rate():
    with pytest.raises(SpecError, match=r"growth_rate_frac 0.1 must be below discount_rate_frac"):
        finance.terminal_value_gordon_usd(5.0, 0.10, 0.10)


def test_exit_multiple():
    assert finance.terminal_value_exit_multiple_usd(50e6, 10) == pytest.approx(500e6)
    with pytest.raises(SpecError, match="multiple"):
        finance.terminal_value_exit_multiple_usd(50e6, -1)


def test_dcf_level_monthly_perpetuity_equals_gordon():
    # A level 1M/month forever at a 12 %/yr WACC is worth F / r_m; the DCF over 60 months
    # plus a zero-growth Gordon tail must give the same.
    r_m = float(finance.monthly_rate(0.12))
    res = finance.dcf(np.full(60, 1e6), 0.12, "gordon", 0.0)
    assert res.enterprise_value_usd == pytest.approx(1e6 / r_m, rel=1e-10)
    assert res.pv_explicit_usd + res.pv_terminal_usd == pytest.approx(res.enterprise_value_usd)
    assert 0 < res.terminal_share_frac() < 1


def test_dcf_vectorised_over_paths_and_terminal_methods():
    fcf = np.vstack([np.full(24, 1e6), np.full(24, 2e6)])
    res = finance.dcf(fcf, 0.15, "none")
    assert res.enterprise_value_usd.shape == (2,)
    assert res.enterprise_value_usd[1] == pytest.approx(2 * res.enterprise_value_usd[0])
    assert np.all(res.pv_terminal_usd == 0)
    mult = finance.dcf(fcf, 0.15, "multiple", exit_multiple=8.0, final_ebitda_usd=[12e6, 24e6])
    np.testing.assert_allclose(mult.terminal_value_usd, [96e6, 192e6])
    np.testing.assert_allclose(mult.pv_terminal_usd, mult.terminal_value_usd / 1.15**2)


def test_dcf_bad_inputs():
    with pytest.raises(SpecError, match="exit_multiple is required"):
        finance.dcf(np.ones(12), 0.1, "multiple", final_ebitda_usd=1.0)
    with pytest.raises(SpecError, match=r"terminal_growth_frac_per_year 0\.2 must be below"):
        finance.dcf(np.ones(12), 0.1, "gordon", 0.2)
    with pytest.raises(UnknownNameError, match="closest: gordon"):
        finance.dcf(np.ones(12), 0.1, "gordn")  # type: ignore[arg-type]
    with pytest.raises(SpecError, match=r"free_cash_flow_usd: nan at index 1 — must be finite"):
        finance.dcf(np.array([1.0, np.nan]), 0.1)
    with pytest.raises(SpecError, match="greater than -1"):
        finance.npv_usd(-1.0, [1.0, 2.0])


# --------------------------------------------------------------------------- equity bridge, SOTP


def test_equity_bridge_with_every_input():
    b = finance.equity_bridge(1_000e6, 200e6, 50e6, 100.0, 100_000.0, 10e6, subject="ACME")
    assert b.equity_value_usd == pytest.approx(1_000e6 - 200e6 + 50e6 + 10e6)
    assert b.require_per_share() == pytest.approx(86.0)
    assert b.missing == ()
    assert b.message() == ""


def test_equity_bridge_never_takes_a_missing_number_as_zero():
    b = finance.equity_bridge([1e9, 2e9], 2e8, 5e7, 0.0, None, None, subject="IREN")
    np.testing.assert_allclose(b.require_equity(), [0.85e9, 1.85e9])
    assert b.equity_value_usd_per_share is None
    assert b.missing == ("shares_outstanding",)
    expected = (
        "IREN: shares_outstanding is required to compute equity value per share; add it to "
        "the company file (as of a date, with its source)"
    )
    assert b.message() == expected
    with pytest.raises(MissingInputError, match=r"^IREN: shares_outstanding is required"):
        b.require_per_share()
    no_debt = finance.equity_bridge(1e9, None, 5e7, None, 1e5, 1e6, subject="CORZ")
    assert no_debt.equity_value_usd is None
    assert no_debt.equity_value_usd_per_share is None
    assert no_debt.missing == ("debt_usd", "btc_held")
    with pytest.raises(HashpivotError, match="CORZ: debt_usd is required"):
        no_debt.require_equity()


def test_sum_of_the_parts_adds_up():
    s = finance.sum_of_the_parts(
        mining_value_usd=[300e6, 500e6],
        contracted_noi_usd_per_year=65e6,
        cap_rate_frac=0.065,
        remaining_capex_usd=400e6,
        uncontracted_mw=100.0,
        powered_land_usd_per_mw=3e6,
        btc_held=1000.0,
        btc_price_usd=100_000.0,
        construction_haircut_frac=0.1,
    )
    parts = s.parts()
    assert list(parts) == [
        "mining_usd",
        "contracted_noi_capitalised_usd",
        "remaining_capex_usd",
        "powered_land_usd",
        "btc_usd",
        "total_usd",
    ]
    assert parts["contracted_noi_capitalised_usd"][0] == pytest.approx(65e6 / 0.065 * 0.9)
    np.testing.assert_allclose(sum(v for k, v in parts.items() if k != "total_usd"), s.total_usd)
    np.testing.assert_allclose(s.total_usd, [300e6 + 900e6 - 400e6 + 300e6 + 100e6, 1_400e6])
    assert s.to_frame().shape == (6, 2)


def test_sum_of_the_parts_refuses_missing_btc_and_bad_rates():
    args = {
        "mining_value_usd": 1e8,
        "contracted_noi_usd_per_year": 1e7,
        "cap_rate_frac": 0.06,
        "remaining_capex_usd": 0.0,
        "uncontracted_mw": 0.0,
        "powered_land_usd_per_mw": 3e6,
        "btc_price_usd": 1e5,
    }
    with pytest.raises(MissingInputError, match="WULF: btc_held is required"):
        finance.sum_of_the_parts(**args, btc_held=None, subject="WULF")
    with pytest.raises(SpecError, match="cap_rate_frac"):
        finance.sum_of_the_parts(**{**args, "cap_rate_frac": 6.5}, btc_held=0.0)
    with pytest.raises(SpecError, match="uncontracted_mw: -5 — must be >= 0"):
        finance.sum_of_the_parts(**{**args, "uncontracted_mw": -5.0}, btc_held=0.0)


def test_tenant_cap_rates_within_the_sourced_range():
    rates = finance.CAP_RATE_FRAC_BY_TENANT_CREDIT.values()
    assert all(0.055 <= r <= 0.08 for r in rates)  # methods.md section 7
    assert finance.tenant_cap_rate_frac("hyperscaler") < finance.tenant_cap_rate_frac("neocloud")
    with pytest.raises(UnknownNameError, match="hyperscaler"):
        finance.tenant_cap_rate_frac("hyperscale")


def test_ev_cross_checks():
    assert finance.ev_per_eh_usd(5.6e9, 100.0) == pytest.approx(56e6)
    np.testing.assert_allclose(finance.ev_per_mw_usd([4.5e9, 1e9], [1000.0, 0.0]), [4.5e6, np.nan])


# --------------------------------------------------------------------------- properties


flows_after_outlay = st.lists(
    st.floats(min_value=1.0, max_value=1e6, allow_nan=False), min_size=1, max_size=30
)


@settings(max_examples=60, deadline=None)
@given(
    outlay=st.floats(min_value=1.0, max_value=1e7),
    receipts=flows_after_outlay,
    r1=st.floats(min_value=-0.5, max_value=1.0),
    dr=st.floats(min_value=1e-3, max_value=1.0),
)
def test_npv_decreases_with_the_rate(outlay, receipts, r1, dr):
    flows = [-outlay, *receipts]
    assert finance.npv_usd(r1 + dr, flows) < finance.npv_usd(r1, flows)


@settings(max_examples=60, deadline=None)
@given(outlay=st.floats(min_value=1.0, max_value=1e7), receipts=flows_after_outlay)
def test_npv_at_the_irr_is_zero(outlay, receipts):
    flows = [-outlay, *receipts]
    rate = float(finance.irr(flows))
    if math.isnan(rate):  # only when the root lies outside -99.9 % .. 99 900 % per period
        return
    scale = max(abs(f) for f in flows)
    assert abs(float(finance.npv_usd(rate, flows))) <= 1e-7 * scale * len(flows)


# --------------------------------------------------------------------------- segments (issue 17)

from hashpivot.finance import segments as seg  # noqa: E402


def test_year1_noi_from_term_average() -> None:
    # Hut 8 River Bend: 454M USD/yr average NOI over 15 years with a 3 % escalator;
    # Σ_{y<15} 1.03^y = (1.03^15 − 1)/0.03 = 18.5989 → year 1 = 454·15/18.5989 = 366.15M
    assert seg.year1_noi_from_average_usd(454e6, 0.03, 15) == pytest.approx(366.15e6, rel=1e-4)
    assert seg.year1_noi_from_average_usd(100.0, 0.0, 10) == pytest.approx(100.0)


def test_yield_on_cost() -> None:
    # 301.1M USD year-1 NOI on 245 IT MW x 9M USD = 2.205B USD → 13.66 % (hand calculation)
    assert seg.yield_on_cost_frac(301.1e6, 2.205e9) == pytest.approx(0.13655, rel=1e-3)
    with pytest.raises(SpecError, match="total_cost_usd"):
        seg.yield_on_cost_frac(1.0, 0.0)


def test_exit_value() -> None:
    # Geltner et al. ch. 10: reversion = next year's NOI / going-out cap: 65M / 0.065 = 1B
    assert seg.exit_value_usd(65e6, 0.065) == pytest.approx(1e9)
    assert seg.exit_value_usd(65e6, 0.065, 0.6) == pytest.approx(0.6e9)
    with pytest.raises(SpecError, match="exit_cap_rate_frac"):
        seg.exit_value_usd(1.0, 0.0)
    with pytest.raises(SpecError, match="renewal_prob_frac"):
        seg.exit_value_usd(1.0, 0.06, 1.5)


def test_netted_tenant_capex() -> None:
    # 120M USD of tenant-funded capex credited back over a 12-year term: 10M USD/yr
    assert seg.netted_rent_usd_per_year(50e6, 120e6, 12) == pytest.approx(40e6)


def test_capped_backstop() -> None:
    # Google's 1.4B USD backstop at Cipher: pays lost rent up to 1.4B, then nothing
    lost = np.array([0.5e9, 1.4e9, 2.5e9])
    np.testing.assert_allclose(seg.backstop_recovery_usd(lost, 1.4e9), [0.5e9, 1.4e9, 1.4e9])


def test_tax_with_loss_carryforward() -> None:
    # hand calculation at 21 %, NOL offsets at most 80 % of income (26 U.S.C. § 172):
    # −100 → no tax, pool 100; +50 → uses 40, tax 0.21·10 = 2.1, pool 60;
    # +200 → uses 60, tax 0.21·140 = 29.4, pool 0; +10 → tax 2.1
    tax, pool = seg.tax_with_loss_carryforward_usd(np.array([-100.0, 50.0, 200.0, 10.0]), 0.21)
    np.testing.assert_allclose(tax, [0.0, 2.1, 29.4, 2.1])
    np.testing.assert_allclose(pool, [100.0, 60.0, 0.0, 0.0])


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=30))
def test_tax_never_negative_and_never_above_the_rate(incomes: list[float]) -> None:
    x = np.asarray(incomes)
    tax, pool = seg.tax_with_loss_carryforward_usd(x, 0.21)
    assert (tax >= 0).all()
    assert (pool >= -1e-9).all()
    assert tax.sum() <= 0.21 * np.maximum(x, 0).sum() + 1e-6


def test_bonus_depreciation() -> None:
    # 1 200 spent in month 0 over 12 months: straight-line 100/month; 60 % bonus: 720 at
    # once plus 480/12 = 40 a month
    capex = np.zeros(12)
    capex[0] = 1200.0
    np.testing.assert_allclose(seg.depreciation_with_bonus_usd(capex, 12), 100.0)
    d = seg.depreciation_with_bonus_usd(capex, 12, 0.6)
    assert d[0] == pytest.approx(760.0)
    assert d[1] == pytest.approx(40.0)
    assert d.sum() == pytest.approx(1200.0)


def test_value_segments_bridge_by_hand() -> None:
    # One segment of 100 a month for 12 months at 10 %/yr, WACC 12 %, no terminal, plus
    # 50 of land. Independent route: the annuity formula in monthly rates.
    def annuity(rate: float) -> float:
        r = (1 + rate) ** (1 / 12) - 1
        return 100 * (1 - (1 + r) ** -12) / r

    s = seg.Segment("a_usd", np.full(12, 100.0), 0.10)
    v = seg.value_segments([s], 0.12, 0.0, {"land_usd": 50.0})
    assert v.dcf_enterprise_value_usd == pytest.approx(annuity(0.12))
    assert v.parts_enterprise_value_usd == pytest.approx(annuity(0.10) + 50.0)
    rows = {r["item"]: r["value_usd"] for r in v.bridge}
    assert rows["a: discount rate 10.00% vs WACC 12.00%"] == pytest.approx(
        annuity(0.10) - annuity(0.12)
    )
    assert abs(v.residual_usd) < 1e-9


def test_terminal_run_rate_and_exit_value_reconcile() -> None:
    # Gordon at WACC 12 %, g = 0 on 10 a month after month 12: TV = 10 / r_m (ref. [1]);
    # the parts capitalise the same run rate at 8 % as an exit value.
    r_w = 1.12 ** (1 / 12) - 1
    r_s = 1.08 ** (1 / 12) - 1
    s = seg.Segment("b_usd", np.full(12, 10.0), 0.08, exit_value_usd=10 / r_s,
                    terminal_run_rate_usd_per_month=10.0)  # fmt: skip
    v = seg.value_segments([s], 0.12, 0.0)
    assert v.dcf_pv_terminal_usd == pytest.approx(10 / r_w * (1 + r_w) ** -12)
    walked = v.dcf_enterprise_value_usd + sum(r["value_usd"] for r in v.bridge)
    assert walked == pytest.approx(v.parts_enterprise_value_usd)
    with pytest.raises(SpecError, match="terminal_growth_frac_per_year"):
        seg.value_segments([s], 0.12, 0.2)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.floats(-1e7, 1e7), min_size=1, max_size=48),
            st.floats(0.01, 0.5),
            st.floats(0.0, 1e9),
            st.floats(-1e6, 1e6),
            st.floats(0.0, 0.5),
            st.booleans(),
        ),
        min_size=1,
        max_size=5,
    ),
    st.floats(0.03, 0.3),
    st.floats(0.0, 1e9),
)
def test_bridge_always_walks_from_the_dcf_to_the_parts(segments, wacc, land) -> None:
    # invariant: DCF + Σ bridge rows = parts, whatever the flows, rates and exits
    segs = [
        seg.Segment(f"s{i}_usd", np.asarray(cf), r, exit_value_usd=ex, exit_month=len(cf),
                    terminal_run_rate_usd_per_month=tr, haircut_frac=h, exit_in_dcf=in_dcf)
        for i, (cf, r, ex, tr, h, in_dcf) in enumerate(segments)
    ]  # fmt: skip
    v = seg.value_segments(segs, wacc, 0.0, {"land_usd": land})
    walked = v.dcf_enterprise_value_usd + sum(r["value_usd"] for r in v.bridge)
    scale = 1.0 + abs(v.parts_enterprise_value_usd) + abs(v.dcf_enterprise_value_usd)
    assert abs(walked - v.parts_enterprise_value_usd) <= 1e-9 * scale
    assert sum(v.parts_usd.values()) == pytest.approx(v.parts_enterprise_value_usd)
