"""Notebook display: ``_repr_html_`` and ``to_frame()`` of the jobs' result objects."""

import math
import re

import numpy as np
import pandas as pd
import pytest

from _synthetic_equities import synthetic_market
from hashpivot import display
from hashpivot.company.model import project
from hashpivot.company.valuation import value
from hashpivot.dispatch import (
    Dispatch,
    DispatchSiteSpec,
    DispatchTierSpec,
    HourCalendar,
    MarketData,
)
from hashpivot.equities import betas as eq
from hashpivot.equities import data as ed
from hashpivot.simulation import Simulation, SimulationResult
from hashpivot.spec import default_scenario


def _cells(html: str) -> dict[str, str]:
    """name → shown value, read back from the HTML table."""
    pairs = re.findall(r"<code>(.*?)</code></td><td[^>]*>(.*?)</td>", html)
    return dict(pairs)


def test_summary_html_escapes_formats_and_truncates() -> None:
    html = display.summary_html(
        "<b>t</b>",
        {"a<script>": "x&y", "share_frac": 0.125, "big_usd": 1234567.8, "n": float("nan"),
         "rows": [{"x": 1}, {"x": 2}], "nested": {"small": 0.5}},
    )  # fmt: skip
    assert "<script>" not in html
    assert "&lt;b&gt;t&lt;/b&gt;" in html
    cells = _cells(html)
    assert cells["a&lt;script&gt;"] == "x&amp;y"
    assert cells["share_frac"] == "12.50%"
    assert cells["big_usd"] == "1,234,568"
    assert cells["n"] == "—"
    assert cells["nested.small"] == "0.5"
    assert cells["rows"].startswith("2 rows")
    many = display.summary_html("t", {f"k{i}": i for i in range(display.MAX_ROWS + 5)})
    assert len(_cells(many)) == display.MAX_ROWS
    assert "5 more" in many


def test_number_frame_keeps_numbers_only() -> None:
    frame = display.number_frame({"a": 1, "b": {"c": 2.5, "d": "text", "e": True}})
    assert frame.to_dict("list") == {"metric": ["a", "b.c"], "value": [1.0, 2.5]}


@pytest.fixture(scope="module")
def sim_result() -> SimulationResult:
    return Simulation(default_scenario()).run(paths=1000, seed=0)


def test_simulation_result_shows_its_summary(sim_result: SimulationResult) -> None:
    result = sim_result
    html = result._repr_html_()
    assert "1,000 paths" in html
    cells = _cells(html)
    mean = result.summary()["hybrid"]["npv_usd"]["mean"]
    assert cells["hybrid.npv_usd.mean"] == f"{mean:,.0f}"
    assert cells["variance_reduction_frac"].endswith("%")
    frame = result.to_frame()
    hybrid = frame[(frame["variant"] == "hybrid") & (frame["metric"] == "npv_usd")]
    assert math.isclose(hybrid["value"].mean(), mean, rel_tol=1e-12)


def test_company_result_and_valuation_show_and_frame() -> None:
    company = project()
    cells = _cells(company._repr_html_())
    assert cells["revenue_usd"] == f"{company.summary()['revenue_usd']:,.0f}"
    assert set(company.to_frame().columns) == {"month", "site", "segment", "project", "metric",
                                               "value"}  # fmt: skip
    val = value()
    out = val.to_dict()
    frame = val.to_frame().set_index("metric")["value"]
    assert frame["enterprise_value_usd"] == out["enterprise_value_usd"]
    assert frame["sotp.total_usd"] == out["sotp"]["total_usd"]
    assert _cells(val._repr_html_())["enterprise_value_usd"] == (
        f"{out['enterprise_value_usd']:,.0f}"
    )


def test_listed_valuation_shows_and_frames() -> None:
    val = value("IREN")
    frame = val.to_frame()
    assert "enterprise_value_usd" in set(frame["metric"])
    assert "IREN" in val._repr_html_()


def test_dispatch_result_shows_its_totals() -> None:
    cal = HourCalendar.regular("2024-01-01", 48)
    prices = np.where(np.arange(48) % 24 < 12, 20.0, 500.0)[None, :]
    site = DispatchSiteSpec.model_validate(
        {"name": "s", "mining_pue": 1.0, "pool_fee_frac": 0.0,
         "tiers": (DispatchTierSpec(efficiency_j_per_th=20.0, power_mw=10.0),)}
    )  # fmt: skip
    result = Dispatch([site], MarketData(cal, {"N": prices}, None), 50.0, 100_000.0).run()
    cells = _cells(result._repr_html_())
    # runs the 24 cheap hours (20 < 104 USD/MWh breakeven at 50 USD/PH/day and 20 J/TH),
    # stops the 24 at 500: 24 h × 10 MW = 240 MWh
    assert cells["energy_mwh"] == "240"
    assert isinstance(result.to_frame(), pd.DataFrame)


def test_betas_result_shows_its_table() -> None:
    prices, btc = synthetic_market()
    result = eq.fit_factor_model(ed.build_return_panel(prices, btc), "NVDA")
    html = result._repr_html_()
    for ticker in result.full.index:
        assert f"<td>{ticker}</td>" in html
    assert {"ticker", "period", "field", "value"} <= set(result.to_frame().columns)


@pytest.mark.parametrize("n", [0, 3])
def test_frame_html_says_how_many_rows_are_left_out(n: int) -> None:
    frame = pd.DataFrame({"x": range(display.MAX_ROWS + n)})
    html = display.frame_html("t", frame)
    assert (f"{n} more rows" in html) is (n > 0)


def test_report_figures_take_a_result_as_the_docs_show(sim_result: SimulationResult) -> None:
    """The notebook recipe of docs/excel-and-notebooks.md: figures from a result's data."""
    from hashpivot.report.montecarlo import distribution_figure, fan_figure, frontier_figure

    result = sim_result
    frontier = frontier_figure(result.frontier)
    shares = sorted({round(p["ai_share_frac"], 2) for p in result.frontier})
    assert len(frontier.data) >= 1
    assert len(shares) == len(result.frontier)
    dist = distribution_figure(
        result.variants["pure_mining"]["ebitda_usd_per_year"],
        result.variants["hybrid"]["ebitda_usd_per_year"],
    )
    assert len(dist.data) == 2  # one histogram per variant
    fan = fan_figure(
        result.month_start, result.fans["hashprice_usd_per_ph_day"], "Hashprice", "USD/PH/day"
    )
    median = next(t for t in fan.data if t.name == "median")
    np.testing.assert_allclose(median.y, result.fans["hashprice_usd_per_ph_day"][2])


def test_plan_result_shows_its_summary() -> None:
    import hashpivot as hp

    spec = hp.PlannerSpec(
        scenarios=20, evaluation_paths=1000, frontier_risk_aversions=(), decision_rule_buckets=1
    )
    result = hp.plan(default_scenario(), spec)
    html = result._repr_html_()
    cells = _cells(html)
    s = result.summary()
    assert f"{s['status']}" in html
    assert cells["expected_npv_usd"] == f"{s['expected_npv_usd']:,.0f}"
    for site, mw in s["converted_mw_by_site"].items():
        shown = cells[f"converted_mw_by_site.{site}"]
        assert shown == (f"{mw:,.0f}" if abs(mw) >= 1000 else f"{mw:,.4g}")
    frame = result.to_frame()
    assert {"site", "period", "period_start", "metric", "value"} == set(frame.columns)
