import numpy as np
import pytest

from hashpivot.company.model import CompanyModel
from hashpivot.spec import default_scenario


@pytest.fixture(scope="module")
def result():
    return CompanyModel(default_scenario()).run()


def test_default_is_hybrid(result) -> None:
    shares = result.summary()["revenue_share_by_segment"]
    assert shares["mining"] > 0.3
    assert shares["colocation"] > 0.1


def test_lease_rent_follows_energisation_and_escalator(result) -> None:
    seg = result.segments
    colo = seg[seg["segment"] == "colocation"].set_index("month")["revenue_usd"]
    assert colo[:"2025-12-01"].sum() == 0.0  # rent only after the build
    jan = colo["2026-01-01"]
    # 23 MW x 1000 x 150 USD/kW-month x expected share (no default yet in month 0)
    assert jan == pytest.approx(23 * 1000 * 150)
    # survival at the default scenario's 3.7 %/yr default probability, recovery 0.5
    jul = colo["2026-07-01"]
    s = 0.963 ** (6 / 12)
    assert jul == pytest.approx(46 * 1000 * 150 * (s + (1 - s) * 0.5))
    jan27 = colo["2027-01-01"]
    s = 0.963 ** (12 / 12)
    assert jan27 == pytest.approx(46 * 1000 * 150 * 1.03 * (s + (1 - s) * 0.5))


def test_conversion_displaces_least_efficient_fleet(result) -> None:
    f = result.mining.fleets
    pecos = f[f["site"] == "Pecos West"].groupby("fleet")["installed_frac"].first()
    assert pecos["Antminer S21 XP"] == 1.0
    # 60 gross MW needed, 10.3 MW free: the rest comes out of the S19 XP fleet
    s19_draw = 20000 * 3010 * 1.05 / 1e6
    s21_draw = 20000 * 3645 * 1.05 / 1e6
    free = 150 - s19_draw - s21_draw
    assert 1 - pecos["Antminer S19 XP"] == pytest.approx((60 - free) / s19_draw)


def test_capex_is_the_remaining_build(result) -> None:
    capex = result.segments.loc[result.segments["segment"] == "colocation", "capex_usd"].sum()
    total = 60 / 1.3 * 9e6 * (1 - 0.1)
    assert capex == pytest.approx(total * 12 / 15)  # 3 of 15 build months before the start


def test_cash_flows_add_up(result) -> None:
    c = result.company
    assert np.allclose(c["ebitda_usd"], c["revenue_usd"] - c["power_cost_usd"] - c["opex_usd"])
    seg_total = result.segments.groupby("month")["ebitda_usd"].sum().to_numpy()
    assert np.allclose(seg_total, c["ebitda_usd"].to_numpy())
    assert c["debt_balance_usd"].iloc[-1] == pytest.approx(0.0, abs=1.0)
    assert (np.diff(c["btc_held"]) >= 0).all()


def test_gpu_cloud_conversion() -> None:
    sc = default_scenario()
    site = sc.sites[0]
    conv = site.conversions[0]
    cloud = {
        "gpu_model": "H100 SXM",
        "gpu_count": 30000,
        "start_date": "2026-01-01",
        "price_usd_per_gpu_hour": 2.35,
    }
    from hashpivot.spec import GpuCloudSpec

    new_conv = conv.model_copy(update={"lease": None, "gpu_cloud": GpuCloudSpec(**cloud)})
    new_site = site.model_copy(update={"conversions": (new_conv,)})
    r = CompanyModel(sc.model_copy(update={"sites": (new_site, *sc.sites[1:])})).run()
    gpu = r.segments[r.segments["segment"] == "gpu_cloud"].set_index("month")
    first = gpu.loc["2026-01-01"]
    hours = 31 * 24
    expected = 30000 * hours * (0.5 * 2.35 + 0.5 * 0.7 * 2.35)
    assert first["revenue_usd"] == pytest.approx(expected)
    assert gpu["capex_usd"].sum() > 30000 * 30000  # GPUs plus the facility
    assert gpu["depreciation_usd"].loc["2026-01-01"] == pytest.approx(30000 * 50000 * 0.9 / 60)


# --------------------------------------------------------------------------- deal-level leases


def _lease_flows(update: dict, uniform=None, months: int = 60):
    from hashpivot.company import engine

    sc = default_scenario()
    site = sc.sites[0]
    conv = site.conversions[0]
    lease = conv.lease.model_copy(update=update)
    tl = engine.Timeline.from_start(sc.start_date, months)
    ones = np.ones((1 if uniform is None else len(uniform), months))
    market = engine.MarketArrays(ones, ones)
    return engine.lease_project(lease, conv, site, tl, market, uniform, 0)


def test_capped_backstop_expected_rent_matches_sampled_defaults() -> None:
    # Independent route: the same lease with 40 000 sampled default times, averaged.
    terms = {"tenant_default_prob_per_year": 0.3, "backstop_usd": 50e6, "recovery_frac": 0.0}
    expected = np.asarray(_lease_flows(terms)["revenue_usd"])[0]
    u = np.random.default_rng(3).uniform(size=40_000)
    sampled = np.asarray(_lease_flows(terms, u)["revenue_usd"]).mean(axis=0)
    np.testing.assert_allclose(expected, sampled, rtol=0.02, atol=2e4)
    no_backstop = np.asarray(_lease_flows({**terms, "backstop_usd": None})["revenue_usd"])[0]
    full = np.asarray(_lease_flows({**terms, "tenant_default_prob_per_year": 0.0})["revenue_usd"])
    assert (no_backstop <= expected + 1e-6).all()
    assert (expected <= full[0] + 1e-6).all()
    # the backstop never pays more than its cap: expected top-up ≤ 50M USD
    assert (expected - no_backstop).sum() <= 50e6 + 1e-3


def test_construction_delay_shifts_rent() -> None:
    # default lease: first phase 2026-01-01 = month 12 of a 2025-01 start; 6 months late → 18
    base = np.asarray(_lease_flows({})["revenue_usd"])[0]
    late = np.asarray(_lease_flows({"construction_delay_months": 6})["revenue_usd"])[0]
    assert np.flatnonzero(base > 0)[0] == 12
    assert np.flatnonzero(late > 0)[0] == 18


def test_backstop_above_the_contract_is_refused() -> None:
    from hashpivot.errors import SpecError
    from hashpivot.spec import default_scenario_text, parse_scenario

    text = default_scenario_text().replace(
        "recovery_frac: 0.5 ", "recovery_frac: 0.5\n          backstop_usd: 9.0e+9 #", 1
    )
    with pytest.raises(SpecError, match="backstop_usd: 9e"):
        parse_scenario(text)


def test_phases_run_their_own_terms() -> None:
    from hashpivot.spec import EnergisationPhaseSpec

    lease = default_scenario().sites[0].conversions[0].lease
    # the default lease: 23 MW from 2026-01 (month 12) and 23 MW from 2026-07 (month 18),
    # 10-year term. By default both end with the lease, 120 months after the first phase
    # (month 132); with their own 10-year terms the second runs to month 138.
    own = tuple(EnergisationPhaseSpec(date=p.date, it_mw=p.it_mw, term_years=10.0)
                for p in lease.energisation)  # fmt: skip
    no_default = {"tenant_default_prob_per_year": 0.0}
    common = np.asarray(_lease_flows(no_default, months=180)["revenue_usd"])[0]
    phased = np.asarray(_lease_flows({**no_default, "energisation": own}, months=180)
                        ["revenue_usd"])[0]  # fmt: skip
    assert np.flatnonzero(common > 0)[-1] == 131
    assert np.flatnonzero(phased > 0)[-1] == 137
    # month 132: the second phase alone, in the 11th lease year:
    # 23 MW x 1000 x 150 USD/kW-month x 1.03^10 = 4 636 511 USD (hand calculation)
    assert phased[132] == pytest.approx(23_000 * 150 * 1.03**10)


def test_company_taxes_carry_losses_forward() -> None:
    r = CompanyModel(default_scenario()).run()
    c = r.company
    ebt = (c["ebitda_usd"] - c["depreciation_usd"] - c["interest_usd"]).to_numpy()
    taxes = c["taxes_usd"].to_numpy()
    assert (taxes[ebt <= 0] == 0).all()  # no tax in a loss month
    month_by_month = 0.21 * np.maximum(ebt, 0.0)  # the rule without carry-forward
    assert (ebt < 0).any()
    assert (ebt > 0).any()
    # losses before later profits lower the tax; never below 20 % of the monthly rule
    # (a carried-forward loss offsets at most 80 % of a profit, 26 U.S.C. § 172)
    assert taxes.sum() < month_by_month.sum()
    assert (taxes >= 0.2 * month_by_month - 1e-6).all()
