import datetime as dt

import numpy as np
import pytest

from hashpivot.company.listed_value import Overrides
from hashpivot.company.valuation import contracted_noi_usd_per_year, value, value_scenario
from hashpivot.errors import SpecError
from hashpivot.finance import MissingInputError
from hashpivot.listed.catalog import company_names
from hashpivot.spec import default_scenario


def test_value_default_scenario() -> None:
    v = value_scenario(default_scenario()).to_dict()
    for key in ("enterprise_value_usd", "equity_value_usd", "sotp", "ev_per_mw_usd"):
        assert key in v
    s = v["sotp"]
    parts = [k for k in s if k != "total_usd"]
    assert sum(s[k] for k in parts) == pytest.approx(s["total_usd"])
    assert v["ev_per_mw_usd"] == pytest.approx(v["enterprise_value_usd"] / 300)


def test_contracted_noi_and_lease_exit_value() -> None:
    sc = default_scenario()
    noi = contracted_noi_usd_per_year(sc)
    assert noi == pytest.approx(46 * 1000 * (150 - 25) * 12)
    v = value_scenario(sc)
    lease = next(s for s in v.segments_list if s.name.startswith("colocation_"))
    # the backstopped tenant's exit cap rate 0.065 on next year's NOI (finance.segments)
    run_rate = float(lease.cash_flow_usd[-12:].mean())
    assert lease.exit_value_usd == pytest.approx(run_rate * 12 * 1.03 / 0.065)
    assert lease.rate_frac_per_year == pytest.approx(0.095)


def test_missing_shares_is_reported_not_zero() -> None:
    sc = default_scenario()
    sc = sc.model_copy(
        update={"company": sc.company.model_copy(update={"shares_outstanding": None})}
    )
    val = value_scenario(sc)
    assert val.to_dict()["equity_value_usd_per_share"] is None
    assert "shares_outstanding" in val.to_dict()["missing"]
    with pytest.raises(MissingInputError, match="shares_outstanding"):
        val.bridge.require_per_share()


def test_bridge_reconciles_dcf_and_parts_default_scenario() -> None:
    out = value_scenario(default_scenario()).to_dict()
    br = out["bridge"]
    walked = br["dcf_enterprise_value_usd"] + sum(r["value_usd"] for r in br["rows"])
    assert abs(walked - br["parts_enterprise_value_usd"]) < 1.0
    assert br["dcf_enterprise_value_usd"] == pytest.approx(out["enterprise_value_usd"])
    parts = {k: v for k, v in out["sotp"].items() if k not in ("total_usd", "btc_usd")}
    assert abs(sum(parts.values()) - br["parts_enterprise_value_usd"]) < 1.0


@pytest.mark.parametrize("ticker", company_names())
def test_bridge_reconciles_every_catalogue_company(ticker: str) -> None:
    out = value(ticker).to_dict()
    br = out["bridge"]
    walked = br["dcf_enterprise_value_usd"] + sum(r["value_usd"] for r in br["rows"])
    assert abs(walked - br["parts_enterprise_value_usd"]) < 1.0
    assert abs(br["unexplained_usd"]) < 1.0
    parts = {k: v for k, v in out["sotp"].items() if k not in ("total_usd", "btc_usd")}
    assert abs(sum(parts.values()) - out["enterprise_value_usd"]) < 1.0


def test_hut_land_is_a_minor_part_and_pipeline_is_discounted() -> None:
    out = value("HUT").to_dict()
    assert out["sotp"]["powered_land_usd"] <= 0.25 * out["enterprise_value_usd"]
    # 1 170 pipeline MW at 3M USD x 0.20 x 0.15 = 105.3M USD (hand calculation)
    mw = out["inputs"]["land_mw_pipeline"]
    assert mw == pytest.approx(2500 - 1330)
    assert out["input_sources"]["land_mw_pipeline"]


def test_iren_gpu_contract_is_valued() -> None:
    out = value("IREN").to_dict()
    assert out["sotp"]["gpu_cloud_usd"] != 0
    (gpu,) = [c for c in out["contracts"] if c["id"] == "microsoft-childress"]
    # 9.7B USD over 5 years (dcpulse.com): 1.94B USD a year at full delivery
    assert gpu["revenue_usd_per_year_full"] == pytest.approx(1.94e9)
    # 200 IT MW x 29M USD = 5.8B, residual 10 % (GpuCloudSpec default) = 0.58B
    assert gpu["residual_value_usd"] == pytest.approx(0.58e9)


def test_wulf_has_remaining_construction_capex_spread_over_undelivered_mw() -> None:
    out = value("WULF").to_dict()
    (lease,) = [c for c in out["contracts"] if c["id"] == "fluidstack-total"]
    # ramp 2026-01 .. 2026-12 (12 months), valued 2026-02-20: 2 of 12 months delivered,
    # 360 x 2/12 = 60 IT MW; the other 300 MW x 9M USD (default) = 2.7B USD still to spend
    assert lease["delivered_it_mw_at_valuation"] == pytest.approx(60.0)
    assert lease["remaining_capex_usd"] == pytest.approx(300 * 9e6)
    later = value("WULF", as_of=dt.date(2027, 1, 15)).to_dict()
    (done,) = [c for c in later["contracts"] if c["id"] == "fluidstack-total"]
    assert done["remaining_capex_usd"] == 0.0


def test_as_of_before_the_company_file_is_refused() -> None:
    with pytest.raises(SpecError, match=r"as_of: 2025-01-01 .* company file.s as_of"):
        value("WULF", as_of=dt.date(2025, 1, 1))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (Overrides(wacc_frac_per_year=1.5), "wacc_frac_per_year: 1.5"),
        (Overrides(cap_rate_frac=0.4), "cap_rate_frac: 0.4"),
        (Overrides(wacc_frac_per_year=-0.1), "must be in"),
    ],
)
def test_bad_overrides_name_field_value_and_rule(overrides: Overrides, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        value("HUT", overrides=overrides)


def test_overrides_reach_the_valuation() -> None:
    base = value("MARA").to_dict()
    rich = value("MARA", overrides=Overrides(hashprice_usd_per_ph_day=80.0)).to_dict()
    assert rich["inputs"]["hashprice_usd_per_ph_day"] == pytest.approx(80.0)
    assert rich["input_sources"]["hashprice_usd_per_ph_day"].startswith("given")
    assert rich["sotp"]["mining_usd"] > base["sotp"]["mining_usd"]
    corz = value("CORZ", overrides=Overrides(cap_rate_frac=0.05)).to_dict()
    assert corz["contracts"][0]["exit_cap_rate_frac"] == 0.05


def test_market_inputs_from_the_dated_market_state() -> None:
    from hashpivot.market_state import packaged_market_state

    state = packaged_market_state()
    # before the state's date: the scenario's market block, and the output says why
    early = value("HUT", market_state=state).to_dict()
    assert early["inputs"]["btc_price_usd"] == pytest.approx(93390.0)
    assert "after it" in early["input_sources"]["btc_price_usd"]
    # on or after it: the state's BTC price, with its source and date
    late = value("HUT", as_of=state.as_of, market_state=state).to_dict()
    assert late["inputs"]["btc_price_usd"] == pytest.approx(state.btc_price_usd.value)
    assert state.btc_price_usd.source_url in late["input_sources"]["btc_price_usd"]


def test_mining_terminal_run_rate_is_net_of_fleet_replacement() -> None:
    from hashpivot.company.valuation import _fleet_replacement_usd_per_month

    sc = default_scenario()
    # the fleets of the horizon's last month over 36 months (hand calculation). Replaced
    # fleets at 0.92 USD/W of machine power: S21 XP 20 000 x 3645 W = 67.068M, S21 Pro
    # 15 000 x 3510 W = 48.438M, S21 10 000 x 3500 W = 32.200M, S19j Pro 14 000 x 3050 W =
    # 39.284M. The S19 XP at its catalogue 20 USD/TH (20 000 x 140 x 20 = 56.00M) for the
    # share the 60-MW conversion leaves: Pecos 150 MW less S21 XP 76.545 MW and S19 XP
    # 63.210 MW (W x count x 1.05) leaves 10.245 MW free, so 49.755 MW come off the S19 XP,
    # 1 - 49.755/63.21 = 0.212862 of it stays: 11.920M. Total 198.910M / 36 a month.
    expected = 67.068e6 + 48.438e6 + 32.2e6 + 39.284e6 + 56.0e6 * (1 - 49.755 / 63.21)
    assert _fleet_replacement_usd_per_month(sc) == pytest.approx(expected / 36, rel=1e-9)
    # fixed growth at 1M USD/BTC keeps the fleet running to the end of the horizon
    rich = sc.model_copy(
        update={
            "market": sc.market.model_copy(update={"btc_price_usd": 1e6}),
            "network_model": sc.network_model.model_copy(update={"model": "fixed_growth"}),
        }
    )
    v = value_scenario(rich)
    mining = next(s for s in v.segments_list if s.name.startswith("mining_"))
    run = float(mining.cash_flow_usd[-12:].mean())
    assert run > expected / 36
    assert mining.terminal_run_rate_usd_per_month == pytest.approx(run - expected / 36)


def test_scenario_valued_at_a_later_date_leaves_earlier_months_out() -> None:
    from hashpivot import finance
    from hashpivot.company.model import CompanyModel

    sc = default_scenario()
    v = value_scenario(sc, as_of=dt.date(2025, 12, 20))  # months from 2026-01: 48 left
    assert v.dcf.horizon_months == 48
    # independent route: the mining segment's monthly flows from the company model,
    # months 12..59, discounted with finance.npv_usd at the mining rate (first flow one
    # month out), no exit (the fleet is off at the end of the horizon)
    seg = CompanyModel(sc).run().segments
    mining = seg[seg["segment"] == "mining"].groupby("month", sort=True)
    cf = (mining["ebitda_usd"].sum() - mining["capex_usd"].sum()).to_numpy()[12:]
    rate = float(finance.monthly_rate(0.20))
    expected = float(finance.npv_usd(rate, cf, t0_included=False))
    assert v.sotp["mining_usd"] == pytest.approx(expected, rel=1e-9)
    with pytest.raises(SpecError, match="as_of: 2024-06-01"):
        value_scenario(sc, as_of=dt.date(2024, 6, 1))


def test_listed_mining_cash_flow_has_the_whole_cost_stack() -> None:
    from hashpivot.company.listed_value import MarketPath, mining_flows

    path = MarketPath(np.array([50.0, 20.0]), np.array([1e5, 1e5]), np.array([30.0, 30.0]), "x")
    ebitda = mining_flows(1.0, path, 20.0, 45.0)
    # 1 EH/s at 50 USD/PH/day, 30 days (hand calculation):
    # revenue 50 x (1 − 0.02 pool fee) x 1 000 PH/s x 0.95 uptime x 30 = 1 396 500 USD;
    # 21 MW (1e6 TH/s x 20 J/TH x PUE 1.05); power 21 x 0.95 x 720 h x 45 = 646 380;
    # other opex 21 x 6 000 = 126 000; G&A 10 % of revenue = 139 650 → 484 470 USD.
    # At 20 USD/PH/day revenue (558 600) is below the cash costs: the fleet is off.
    np.testing.assert_allclose(ebitda, [484_470.0, 0.0])


def test_scenario_exit_cap_rate_is_the_company_cap_rate_and_can_be_overridden() -> None:
    base = value(None)
    lower = value(None, overrides=Overrides(cap_rate_frac=0.05))
    lease = next(s for s in base.segments_list if s.name.startswith("colocation_"))
    low = next(s for s in lower.segments_list if s.name.startswith("colocation_"))
    # same NOI run rate, exit value scales with 1/cap: 0.065/0.05 = 1.3
    assert low.exit_value_usd == pytest.approx(lease.exit_value_usd * 0.065 / 0.05)


@pytest.mark.parametrize("subject", [None, "HUT", "IREN"])
def test_every_input_is_shown_with_its_source(subject: str | None) -> None:
    out = value(subject).to_dict()
    assert out["inputs"]
    missing = [k for k in out["inputs"] if not out["input_sources"].get(k)]
    assert not missing


def test_listed_company_with_a_balance_sheet_gets_equity_per_share() -> None:
    import yaml

    from hashpivot.listed.catalog import _company_dir, parse_company

    data = yaml.safe_load(_company_dir().joinpath("wulf.yaml").read_text(encoding="utf-8"))
    data["balance_sheet"] = {
        "shares_outstanding": 4.0e8, "debt_usd": 1.0e9, "cash_usd": 5.0e8, "btc_held": 100.0,
        "as_of": "2026-02", "source_url": "https://example.com/user-input", "basis": "derived",
    }  # fmt: skip
    out = value(parse_company(yaml.safe_dump(data), "user file")).to_dict()
    ev = out["enterprise_value_usd"]
    btc = 100.0 * out["inputs"]["btc_price_usd"]
    # equity = EV − debt + cash + BTC held × price; per share ÷ 400M (hand arithmetic)
    assert out["equity_value_usd"] == pytest.approx(ev - 1.0e9 + 5.0e8 + btc)
    assert out["equity_value_usd_per_share"] == pytest.approx(out["equity_value_usd"] / 4.0e8)
    assert out["sotp"]["total_usd"] == pytest.approx(ev + btc)
    assert out["missing"] == []


def test_land_never_counts_mining_or_contracted_mw() -> None:
    from hashpivot.company.listed_value import land_mw_by_status
    from hashpivot.listed.catalog import load_company

    # CORZ: 1 400 MW secured, no operating figure; 590 IT MW contracted x 1.3 = 767 MW
    # and 19.3 EH/s x 20 J/TH x 1.05 = 405.3 MW mining → 1 400 − 767 − 405.3 = 227.7 MW
    land = land_mw_by_status(load_company("CORZ"), 405.3, 767.0)
    assert land == pytest.approx({"operating": 0.0, "secured": 227.7, "pipeline": 0.0})
    # HUT: 1 000 operating − 214.2 mining = 785.8; River Bend's 330 contracted MW are the
    # 330 secured (under construction); 2 500 − 1 330 = 1 170 pipeline
    hut = land_mw_by_status(load_company("HUT"), 214.2, 330.0)
    assert hut == pytest.approx({"operating": 785.8, "secured": 0.0, "pipeline": 1170.0})


def test_contract_phases_have_their_own_dates_and_capex() -> None:
    out = value("APLD").to_dict()
    phases = {c["id"]: c for c in out["contracts"]}
    # APLD-CoreWeave 400 MW in four phases; valued 2026-02-20 the 2026-06 and 2027 phases
    # (150 MW each) are still to build: 150 x 9M USD (default capex) = 1.35B USD each,
    # with the construction haircut on their income
    assert phases["coreweave-total-phase-3"]["remaining_capex_usd"] == pytest.approx(1.35e9)
    assert phases["coreweave-total-phase-4"]["construction_haircut_frac"] > 0
    assert phases["coreweave-total-phase-1"]["remaining_capex_usd"] == 0.0
    # year-1 NOI by MW share: 11B USD / 15 years x 80 % margin x 50/400 = 73.3M USD
    assert phases["coreweave-total-phase-1"]["noi_year1_usd"] == pytest.approx(11e9 / 15 * 0.8 / 8)
