from pathlib import Path

import pytest
import yaml

from hashpivot.errors import SpecError
from hashpivot.projection import Projection
from hashpivot.spec import (
    default_scenario,
    default_scenario_text,
    load_scenario,
    parse_scenario,
    scenario_to_yaml,
)


def _edited(edit) -> str:
    data = yaml.safe_load(default_scenario_text())
    edit(data)
    return yaml.safe_dump(data, sort_keys=False)


def _problems(text: str) -> str:
    with pytest.raises(SpecError) as info:
        parse_scenario(text, "x.yaml")
    return str(info.value)


def test_default_scenario_is_realistic() -> None:
    sc = default_scenario()
    assert len(sc.sites) == 3
    assert sum(s.power_capacity_mw for s in sc.sites) == pytest.approx(300)
    assert any("ERCOT West" in s.region for s in sc.sites)


def test_round_trip_yaml() -> None:
    sc = default_scenario()
    assert parse_scenario(scenario_to_yaml(sc)) == sc


def test_negative_mw_names_field_and_line() -> None:
    msg = _problems(
        default_scenario_text().replace("power_capacity_mw: 100", "power_capacity_mw: -5")
    )
    assert "sites[1].power_capacity_mw" in msg
    assert "-5" in msg
    assert "greater than 0" in msg
    assert "(line " in msg


def test_zero_mw() -> None:
    msg = _problems(_edited(lambda d: d["sites"][0].update(power_capacity_mw=0)))
    assert "sites[0].power_capacity_mw" in msg


def test_zero_j_per_th() -> None:
    msg = _problems(_edited(lambda d: d["sites"][0]["fleets"][0].update(efficiency_j_per_th=0)))
    assert "sites[0].fleets[0].efficiency_j_per_th" in msg
    assert "greater than 0" in msg


def test_unknown_asic_lists_closest() -> None:
    msg = _problems(
        _edited(lambda d: d["sites"][0]["fleets"][0].update(asic_model="Antminer S21 XPX"))
    )
    assert "sites[0].fleets[0].asic_model" in msg
    assert "closest" in msg
    assert "Antminer S21 XP" in msg


def test_uptime_above_one() -> None:
    msg = _problems(_edited(lambda d: d["sites"][0]["fleets"][0].update(uptime_frac=1.2)))
    assert "sites[0].fleets[0].uptime_frac" in msg
    assert "less than or equal to 1" in msg


def test_pool_fee_two_meant_as_percent() -> None:
    msg = _problems(_edited(lambda d: d["sites"][2].update(pool_fee_frac=2)))
    assert "sites[2].pool_fee_frac" in msg
    assert "0.02 means 2 %" in msg


def test_missing_required_field() -> None:
    msg = _problems(_edited(lambda d: d["market"].pop("btc_price_usd")))
    assert "market.btc_price_usd" in msg
    assert "required" in msg


def test_misspelt_field_refused_with_suggestion() -> None:
    def edit(d):
        d["sites"][0]["power_capacity_mv"] = d["sites"][0].pop("power_capacity_mw")

    msg = _problems(_edited(edit))
    assert "sites[0].power_capacity_mv" in msg
    assert "did you mean 'power_capacity_mw'" in msg


def test_yaml_that_does_not_parse() -> None:
    msg = _problems("name: x\nsites: [\n  - a: 1\n")
    assert "YAML does not parse" in msg
    assert "line" in msg


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.yaml"
    p.write_text("")
    with pytest.raises(SpecError, match="empty"):
        load_scenario(p)


def test_top_level_not_a_mapping() -> None:
    assert "must be a mapping" in _problems("- 1\n- 2\n")


def test_fleet_larger_than_interconnect() -> None:
    msg = _problems(_edited(lambda d: d["sites"][2].update(power_capacity_mw=10)))
    assert "sites[2]" in msg
    assert "more than power_capacity_mw" in msg


def test_duplicate_site_names() -> None:
    msg = _problems(_edited(lambda d: d["sites"][1].update(name=d["sites"][0]["name"])))
    assert "unique" in msg


def test_start_date_first_of_month() -> None:
    msg = _problems(_edited(lambda d: d.update(start_date="2025-01-15")))
    assert "start_date" in msg


def test_many_problems_reported_at_once() -> None:
    def edit(d):
        d["sites"][0]["power_capacity_mw"] = -1
        d["market"]["btc_price_usd"] = -1

    msg = _problems(_edited(edit))
    assert "2 problems" in msg


def test_unsafe_yaml_tags_refused() -> None:
    msg = _problems("!!python/object/apply:os.system ['echo hi']\n")
    assert "YAML does not parse" in msg


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="file not found"):
        load_scenario(tmp_path / "nope.yaml")


def _conv(d):
    return d["sites"][0]["conversions"][0]


def test_lease_energised_before_signing() -> None:
    def edit(d):
        _conv(d)["lease"]["signing_date"] = "2026-03-01"

    msg = _problems(_edited(edit))
    assert "sites[0].conversions[0].lease" in msg
    assert "before signing_date" in msg


def test_lease_energised_before_build_ends() -> None:
    def edit(d):
        _conv(d)["lead_time_months"] = 30

    msg = _problems(_edited(edit))
    assert "sites[0].conversions[0]" in msg
    assert "before the build ends" in msg


def test_conversion_needs_exactly_one_use() -> None:
    def edit(d):
        _conv(d).pop("lease")

    assert "exactly one of lease or gpu_cloud" in _problems(_edited(edit))


def test_lease_larger_than_converted_it_mw() -> None:
    def edit(d):
        _conv(d)["lease"]["it_mw"] = 80

    assert "exceeds gross_mw / ai_pue" in _problems(_edited(edit))


def test_conversions_larger_than_site() -> None:
    def edit(d):
        _conv(d)["gross_mw"] = 400

    assert "more than power_capacity_mw" in _problems(_edited(edit))


def test_gpu_without_price_needs_capex() -> None:
    def edit(d):
        conv = _conv(d)
        conv.pop("lease")
        conv["gpu_cloud"] = {
            "gpu_model": "B300",
            "gpu_count": 1000,
            "start_date": "2026-06-01",
            "price_usd_per_gpu_hour": 5.0,
        }

    msg = _problems(_edited(edit))
    assert "capex_usd_per_gpu is required" in msg
    assert "B300" in msg


def test_probability_outside_unit_interval() -> None:
    def edit(d):
        _conv(d)["lease"]["tenant_default_prob_per_year"] = 1.5

    assert "tenant_default_prob_per_year" in _problems(_edited(edit))


def test_error_messages_show_dates_as_written_and_cut_long_values() -> None:
    text = default_scenario_text().replace("start_date: 2025-01-01", "start_date: 2025-01-15")
    with pytest.raises(SpecError) as err:
        parse_scenario(text)
    assert "start_date (line 12): '2025-01-15' — must be the first day" in str(err.value)
    assert "datetime.date" not in str(err.value)


@pytest.mark.parametrize(
    ("difficulty", "shown"),
    [
        (109.78, "1.46e+14 blocks per day"),
        (1.0, "1.6e+16 blocks per day"),
        (1e-12, "blocks per day"),
    ],
)
def test_difficulty_in_the_wrong_unit_is_refused_before_any_work(
    difficulty: float, shown: str
) -> None:
    # 86400·H/(D·2^32) with H = 795.7e18 H/s: 795.7e18·86400/(109.78·2^32) ≈ 1.46e14 blocks
    # a day, where one retarget allows 36 to 576 (144 / 4 to 144 × 4)
    text = _edited(lambda d: d["market"].__setitem__("difficulty", difficulty))
    msg = _problems(text)
    assert "market" in msg
    assert shown in msg
    assert "meets difficulty 1.112e+14" in msg


def test_hashprice_beyond_history_is_refused() -> None:
    # price 1e8 USD at 1 EH/s and its own difficulty: hashprice ~3e10 USD/PH/day
    def edit(d: dict) -> None:
        d["market"].update(btc_price_usd=1e8, network_hashrate_eh_s=0.001, difficulty=None)

    assert "USD/PH/day (must be at most 1e+08)" in _problems(_edited(edit))


@pytest.mark.parametrize("date", ["9000-01-01", "2008-12-01"])
def test_start_date_outside_the_modelled_years_is_refused(date: str) -> None:
    msg = _problems(_edited(lambda d: d.__setitem__("start_date", date)))
    assert "start_date" in msg
    assert "must be between 2009-01-01 and 2200-01-01" in msg


@pytest.mark.parametrize("date", ["2025-13-01", "2025-02-30", "0000-01-01"])
def test_impossible_calendar_dates_name_the_field(date: str) -> None:
    text = default_scenario_text().replace("start_date: 2025-01-01", f"start_date: {date}")
    assert text != default_scenario_text()
    msg = _problems(text)
    assert "start_date (line" in msg
    assert date in msg


def test_a_scenario_without_any_fleet_or_conversion_is_refused() -> None:
    def empty(d: dict) -> None:
        for site in d["sites"]:
            site["fleets"], site["conversions"] = [], []

    msg = _problems(_edited(empty))
    assert "needs at least one ASIC fleet or one conversion" in msg


def test_a_scenario_of_conversions_without_a_fleet_is_valid_and_mines_nothing() -> None:
    # an AI landlord (no self-mining): the default scenario's sites with their fleets
    # removed keep the Alpha conversion, so the scenario validates and projects
    text = _edited(lambda d: [s.__setitem__("fleets", []) for s in d["sites"]])
    scenario = parse_scenario(text, "x.yaml")
    assert not any(s.fleets for s in scenario.sites)
    assert any(s.conversions for s in scenario.sites)
    summary = Projection(scenario).run(12).summary()
    assert summary["btc_mined"] == 0.0  # no fleet, no bitcoin


def test_wacc_at_or_below_terminal_growth_is_refused() -> None:
    def edit(d: dict) -> None:
        d.setdefault("company", {}).update(
            wacc_frac_per_year=0.05, terminal_growth_frac_per_year=0.05
        )

    assert "must exceed company.terminal_growth_frac_per_year" in _problems(_edited(edit))


@pytest.mark.parametrize("value", ["true", ".inf", ".nan", "-.inf"])
def test_bools_and_non_finite_numbers_are_not_numbers(value: str) -> None:
    text = default_scenario_text().replace("horizon_months: 60", f"horizon_months: {value}")
    assert text != default_scenario_text()
    msg = _problems(text)
    assert "horizon_months" in msg


def test_infinite_lease_rate_is_refused() -> None:
    text = default_scenario_text()
    assert "usd_per_kw_month: 150" in text
    assert "finite number" in _problems(
        text.replace("usd_per_kw_month: 150", "usd_per_kw_month: .inf")
    )


def test_a_valid_scenario_written_with_aliases_loads_and_runs() -> None:
    data = yaml.safe_load(default_scenario_text())
    shared = data["sites"][0]["power"]
    data["sites"][1]["power"] = shared  # one object twice: dumped as &id / *id
    text = yaml.safe_dump(data, sort_keys=False)
    assert "&id001" in text
    assert "*id001" in text
    scenario = parse_scenario(text, "aliased.yaml")
    assert scenario.sites[1].power == scenario.sites[0].power
    assert Projection(scenario).run(12).summary()["btc_mined"] > 0


def test_tenant_default_probability_defaults_by_credit_class() -> None:
    # S&P 2023 study: investment-grade default rates 1981-1996 average 0.07 %/yr (hand mean
    # of its Table 1 rows); speculative grade 3.7 % in 2023
    from hashpivot.spec import ColocationLeaseSpec

    base = {"it_mw": 10, "rate_usd_per_kw_month": 150, "term_years": 10,
            "signing_date": "2025-01-01",
            "energisation": [{"date": "2026-01-01", "it_mw": 10}]}  # fmt: skip
    classes = ("hyperscaler", "backstopped", "neocloud")
    prob = {c: ColocationLeaseSpec.model_validate({**base, "tenant_credit": c})
            .tenant_default_prob_per_year for c in classes}  # fmt: skip
    assert prob == {"hyperscaler": 0.0007, "backstopped": 0.037, "neocloud": 0.037}
    assert ColocationLeaseSpec.model_validate(base).tenant_default_prob_per_year == 0.037
    given = {**base, "tenant_credit": "hyperscaler", "tenant_default_prob_per_year": 0.2}
    assert ColocationLeaseSpec.model_validate(given).tenant_default_prob_per_year == 0.2
