"""Dispatch specs: ranges, cross-field rules, conversion from a scenario."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hashpivot.dispatch import (
    DataRulesSpec,
    DemandResponseSpec,
    DispatchContractSpec,
    DispatchSiteSpec,
    DispatchTierSpec,
    FourCPSpec,
    OperatingLimitsSpec,
    sites_from_scenario,
)
from hashpivot.dispatch.spec import ERS_USD_PER_MW_YEAR, HOURS_PER_YEAR
from hashpivot.errors import SpecError
from hashpivot.hardware import get_asic
from hashpivot.spec import default_scenario, scenario_from_dict

TIER = DispatchTierSpec(efficiency_j_per_th=20.0, power_mw=10.0)


def test_contract_fields_match_kind() -> None:
    assert DispatchContractSpec().fixed_share_frac() == 0.0
    assert DispatchContractSpec(kind="ppa", ppa_price_usd_per_mwh=30).fixed_share_frac() == 1.0
    hybrid = DispatchContractSpec(kind="hybrid", ppa_price_usd_per_mwh=30, ppa_share_frac=0.3)
    assert hybrid.fixed_share_frac() == 0.3
    with pytest.raises(ValidationError, match="required when kind is 'ppa'"):
        DispatchContractSpec(kind="ppa")
    with pytest.raises(ValidationError, match="kind is 'index'"):
        DispatchContractSpec(ppa_price_usd_per_mwh=30)
    with pytest.raises(ValidationError, match="ppa_share_frac"):
        DispatchContractSpec(kind="hybrid", ppa_price_usd_per_mwh=30)
    with pytest.raises(ValidationError, match="kind"):
        DispatchContractSpec(kind="swap")  # type: ignore[arg-type]


def test_ranges_and_units() -> None:
    with pytest.raises(ValidationError, match="efficiency_j_per_th"):
        DispatchTierSpec(efficiency_j_per_th=0.0, power_mw=1.0)
    with pytest.raises(ValidationError, match="power_mw"):
        DispatchTierSpec(efficiency_j_per_th=20.0, power_mw=-1.0)
    with pytest.raises(ValidationError, match="extra"):
        DispatchTierSpec(efficiency_j_per_th=20.0, power_mw=1.0, count=3)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="first_hour_ending"):
        FourCPSpec(first_hour_ending=20, last_hour_ending=14)
    with pytest.raises(ValidationError, match="missing"):
        DataRulesSpec(missing="guess")  # type: ignore[arg-type]


def test_default_capacity_payment_is_ers_midpoint() -> None:
    # ERS paid about 60–70 kUSD/MW-year (methods.md §6): 65 000 / 8760 h
    expected = round(ERS_USD_PER_MW_YEAR / HOURS_PER_YEAR, 2)
    assert DemandResponseSpec().capacity_usd_per_mw_hour == pytest.approx(expected)
    assert expected == pytest.approx(7.42)


def test_site_commitments_fit_the_mining_mw() -> None:
    site = DispatchSiteSpec(name="s", tiers=(TIER,))
    assert site.mining_mw == 10.0
    assert not site.limits.needs_lp()
    assert OperatingLimitsSpec(ramp_mw_per_hour=5).needs_lp()
    with pytest.raises(ValidationError, match=r"committed_mw: 12 exceeds the mining MW"):
        DispatchSiteSpec(
            name="s", tiers=(TIER,), demand_response=DemandResponseSpec(committed_mw=12)
        )
    with pytest.raises(ValidationError, match=r"min_load_mw: 11 exceeds"):
        DispatchSiteSpec(name="s", tiers=(TIER,), limits=OperatingLimitsSpec(min_load_mw=11))


def test_sites_from_default_scenario() -> None:
    sc = default_scenario()
    sites = sites_from_scenario(sc)
    assert [s.name for s in sites] == [s.name for s in sc.sites]
    first = sc.sites[0]
    fleet = first.fleets[0]
    asic = get_asic(fleet.asic_model)
    expected_mw = fleet.count * asic.power_w * first.mining_pue / 1e6
    assert sites[0].tiers[0].power_mw == pytest.approx(expected_mw)
    assert sites[0].tiers[0].efficiency_j_per_th == pytest.approx(asic.efficiency_j_per_th)
    assert sites[0].contract.kind == "index"


def test_default_scenario_sites_name_their_market_and_node() -> None:
    # issue 25 item 1: each site is priced at its own node; 4CP (PUCT Subst. R. 25.192,
    # an ERCOT tariff) only at the ERCOT site
    sites = {s.name: s for s in sites_from_scenario(default_scenario())}
    got = {name: (s.power_market, s.node, s.has_four_cp) for name, s in sites.items()}
    assert got == {
        "Pecos West": ("ERCOT", "LZ_WEST", True),
        "Lake Niagara": ("NYISO", "WEST", False),
        "Red River": ("SPP", "SPPNORTH_HUB", False),
    }
    assert sites["Pecos West"].load_zone == "LZ_WEST"


def test_four_cp_only_at_ercot_sites() -> None:
    heuristic = FourCPSpec(strategy="heuristic")
    assert DispatchSiteSpec(name="s", tiers=(TIER,), four_cp=heuristic).has_four_cp
    for market in ("NYISO", "SPP", None):
        with pytest.raises(ValidationError, match=r"4CP is an ERCOT tariff.*power_market"):
            DispatchSiteSpec(name="s", tiers=(TIER,), four_cp=heuristic, power_market=market)
        assert not DispatchSiteSpec(name="s", tiers=(TIER,), power_market=market).has_four_cp


def test_scenario_load_zone_only_for_ercot() -> None:
    data = default_scenario().model_dump(mode="json")
    data["sites"][1]["load_zone"] = "LZ_WEST"  # Lake Niagara is NYISO
    with pytest.raises(SpecError, match=r"sites\[1\].*load_zone 'LZ_WEST'.*ERCOT sites only"):
        scenario_from_dict(data)
