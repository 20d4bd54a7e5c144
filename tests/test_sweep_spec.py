"""Sweep specs, dotted paths, designs, seeds and validation of every point (no runs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hashpivot.errors import SpecError
from hashpivot.spec import default_scenario
from hashpivot.sweep.core import Sweep, SweepSpec, example_sweep_text, load_sweep, parse_sweep
from hashpivot.sweep.design import design_rows, point_seed, resolve_parameters
from hashpivot.sweep.paths import PathError, expand, format_path, get_value, parse_path

VOL = "market_model.btc_price.volatility_frac_per_year"
LEASE = "sites[*].conversions[0].lease.rate_usd_per_kw_month"
POWER = "sites[*].power.price_usd_per_mwh"


def spec(**fields: object) -> SweepSpec:
    base: dict[str, object] = {
        "name": "t",
        "fixed": {"horizon_months": 12},
        "paths": 1000,
        "parameters": [{"path": VOL, "values": [0.35, 0.5, 0.8]}],
    }
    return SweepSpec.model_validate({**base, **fields})


@pytest.fixture(scope="module")
def base_data() -> dict:
    return default_scenario().model_dump(mode="json")


# --------------------------------------------------------------------------- paths


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("horizon_months", ("horizon_months",)),
        ("sites[0].power.price_usd_per_mwh", ("sites", 0, "power", "price_usd_per_mwh")),
        ("sites[*].conversions[0].lease", ("sites", "*", "conversions", 0, "lease")),
    ],
)
def test_parse_and_format_round_trip(text: str, parts: tuple) -> None:
    assert parse_path(text) == parts
    assert format_path(parts) == text


@pytest.mark.parametrize("text", ["", "[0].a", "a..b", "a[x]", "a[0]b", ".a", "a.b-c"])
def test_bad_paths_refused(text: str) -> None:
    with pytest.raises(PathError):
        parse_path(text)


def test_wildcard_keeps_entries_that_have_the_rest(base_data: dict) -> None:
    # only the first site of the default scenario has a conversion
    assert expand(base_data, parse_path(LEASE)) == [
        ("sites", 0, "conversions", 0, "lease", "rate_usd_per_kw_month")
    ]
    assert len(expand(base_data, parse_path(POWER))) == 3


def test_unknown_field_names_the_closest(base_data: dict) -> None:
    with pytest.raises(PathError, match=r"did you mean 'price_usd_per_mwh'"):
        expand(base_data, parse_path("sites[0].power.price_usd_per_mwhh"))
    with pytest.raises(PathError, match=r"3 entries, so index \[7\] is out of range"):
        get_value(base_data, parse_path("sites[7]"))


# --------------------------------------------------------------------------- spec fields


def test_parameter_needs_values_or_a_range() -> None:
    with pytest.raises(ValueError, match="either values or both low and high"):
        spec(parameters=[{"path": VOL}])
    with pytest.raises(ValueError, match="give both low and high"):
        spec(parameters=[{"path": VOL, "low": 0.3}])
    with pytest.raises(ValueError, match="must be above low"):
        spec(parameters=[{"path": VOL, "low": 0.8, "high": 0.3}])
    with pytest.raises(ValueError, match="log needs low > 0"):
        spec(parameters=[{"path": VOL, "low": 0.0, "high": 0.3, "scale": "log"}])
    with pytest.raises(ValueError, match="multiply needs numeric"):
        spec(parameters=[{"path": VOL, "values": ["a"], "apply": "multiply"}])


def test_spec_consistency_rules() -> None:
    with pytest.raises(ValueError, match="repeated"):
        spec(parameters=[{"path": VOL, "values": [0.3]}, {"path": VOL, "values": [0.4]}])
    with pytest.raises(ValueError, match="one_way_points: 0"):
        spec(one_way_points=1)
    with pytest.raises(ValueError, match="needs a planner section"):
        spec(metrics=["planner.first_period_convert_mw"])
    with pytest.raises(ValueError, match=r"remove planner\.seed"):
        spec(planner={"seed": 3})
    with pytest.raises(ValueError, match="as many values"):
        spec(
            design="list",
            parameters=[{"path": VOL, "values": [0.3, 0.4]}, {"path": POWER, "values": [1.0]}],
        )
    with pytest.raises(ValueError, match="not a parameter path"):
        spec(design="grid", design_parameters=["foo"])


def test_planner_section_gets_sweep_defaults() -> None:
    s = spec(planner={"scenarios": 50})
    assert s.planner is not None
    assert s.planner.evaluation_paths == 0
    assert s.planner.frontier_risk_aversions == ()
    assert s.planner.scenarios == 50


def test_yaml_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: x\nparameters:\n  - path: a..b\n    values: [1]\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"parameters\[0\]\.path \(line 3\)"):
        load_sweep(path)


def test_packaged_example_is_valid() -> None:
    sw = Sweep(parse_sweep(example_sweep_text(), "example"))
    assert sw.spec.planner is not None
    designs = [p.design for p in sw.points]
    assert designs[0] == "base"
    assert designs.count("grid") == 9


# --------------------------------------------------------------------------- designs


def test_one_way_and_grid_rows(base_data: dict) -> None:
    s = spec(
        parameters=[
            {"path": VOL, "values": [0.35, 0.8]},
            {"path": POWER, "apply": "multiply", "low": 0.8, "high": 1.2},
        ],
        design="grid",
    )
    rows = design_rows(s, resolve_parameters(s, base_data))
    kinds = [r[0] for r in rows]
    assert kinds == ["base"] + ["one_way"] * 5 + ["grid"] * 6
    assert [r[2][POWER] for r in rows if r[1] == POWER] == pytest.approx([0.8, 1.0, 1.2])


def test_integer_fields_get_integer_values(base_data: dict) -> None:
    lead = "sites[0].conversions[0].lead_time_months"
    s = spec(parameters=[{"path": lead, "low": 9, "high": 24}], one_way_points=4)
    values = [r[2] for r in design_rows(s, resolve_parameters(s, base_data))][1:]
    assert [v[lead] for v in values] == [9, 14, 19, 24]


def test_multiply_scales_each_site_and_fixed_is_applied() -> None:
    s = spec(parameters=[{"path": POWER, "apply": "multiply", "values": [0.5]}])
    sw = Sweep(s, check_metrics=False)
    base_prices = [site.power.price_usd_per_mwh for site in sw.base.sites]
    point = sw.points[1].scenario
    assert [site.power.price_usd_per_mwh for site in point.sites] == pytest.approx(
        [0.5 * p for p in base_prices]
    )
    assert point.horizon_months == 12


def test_lhs_is_reproducible_and_stratified(base_data: dict) -> None:
    s = spec(
        parameters=[
            {"path": VOL, "low": 0.3, "high": 0.9},
            {"path": POWER, "apply": "multiply", "low": 0.5, "high": 1.5},
        ],
        design="lhs",
        samples=20,
        one_way_points=0,
        seed=5,
    )
    params = resolve_parameters(s, base_data)
    a, b = design_rows(s, params), design_rows(s, params)
    assert a == b
    vols = np.array([r[2][VOL] for r in a if r[0] == "lhs"])
    strata = np.floor((vols - 0.3) / 0.6 * 20).astype(int)
    assert sorted(strata) == list(range(20))  # one sample per stratum (McKay et al. 1979)
    other = design_rows(s.model_copy(update={"seed": 6}), params)
    assert other != a


# --------------------------------------------------------------------------- seeds


def test_point_seeds_follow_spawn_and_not_the_count() -> None:
    children = np.random.SeedSequence(42).spawn(10)
    for i in (0, 3, 9):
        hi, lo = (int(w) for w in children[i].generate_state(2, np.uint32))
        assert point_seed(42, i) == ((hi << 32) | lo) >> 11
    assert len({point_seed(42, i) for i in range(100)}) == 100
    assert {point_seed(42, i, "common") for i in range(5)} == {point_seed(42, 0, "common")}
    assert point_seed(42, 0) < 2**53


def test_seeds_and_keys_depend_only_on_the_point() -> None:
    s = spec()
    a, b = Sweep(s, check_metrics=False), Sweep(s, check_metrics=False)
    assert [(p.seed, p.key) for p in a.points] == [(p.seed, p.key) for p in b.points]
    assert len({p.key for p in a.points}) == len(a.points)


# --------------------------------------------------------------------------- bad points


def test_invalid_point_is_refused_naming_point_and_parameter() -> None:
    s = spec(parameters=[{"path": "sites[0].power.price_usd_per_mwh", "values": [40, -5000]}])
    with pytest.raises(SpecError) as info:
        Sweep(s, source="bad.yaml")
    text = str(info.value)
    assert "point 2 (one_way: sites[0].power.price_usd_per_mwh = -5000)" in text
    assert "parameter sites[0].power.price_usd_per_mwh" in text
    assert "greater than or equal to -1000" in text


def test_model_rule_at_a_parent_names_the_parameter() -> None:
    s = spec(parameters=[{"path": "sites[0].power_capacity_mw", "values": [10]}])
    with pytest.raises(
        SpecError,
        match=r"point 1 .*parameter sites\[0\]\.power_capacity_mw gives "
        r"sites\[0\] — fleets draw",
    ):
        Sweep(s)


def test_bad_path_is_refused_naming_the_parameter() -> None:
    s = spec(parameters=[{"path": "market_model.btc_price.volatility", "values": [0.3]}])
    with pytest.raises(
        SpecError,
        match=r"parameters\[0\] \(market_model.btc_price.volatility\): "
        r".*did you mean 'volatility_frac_per_year'",
    ):
        Sweep(s)
    with pytest.raises(SpecError, match=r"fixed\.horizon: .*did you mean 'horizon_months'"):
        Sweep(spec(fixed={"horizon": 12}))


def test_unknown_metric_is_refused_with_suggestions() -> None:
    with pytest.raises(
        SpecError,
        match=r"metrics\[0\]: 'hybrid.npv_usd.meen' .*did you mean "
        r"hybrid.npv_usd.mean",
    ):
        Sweep(spec(metrics=["hybrid.npv_usd.meen"]))


def test_too_many_points_refused() -> None:
    s = spec(
        parameters=[
            {"path": VOL, "low": 0.3, "high": 0.9, "grid_points": 1000},
            {"path": POWER, "apply": "multiply", "low": 0.5, "high": 1.5, "grid_points": 1000},
        ],
        design="grid",
        max_points=5000,
    )
    with pytest.raises(SpecError, match="more than max_points 5,000"):
        Sweep(s, check_metrics=False)
