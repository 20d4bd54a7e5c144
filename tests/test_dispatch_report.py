"""Dispatch report: the four figures and a self-contained HTML file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hashpivot.dispatch import (
    Dispatch,
    DispatchSiteSpec,
    DispatchTierSpec,
    HourCalendar,
    MarketData,
)
from hashpivot.dispatch.report import (
    dispatch_report,
    flexibility_figure,
    price_duration_figure,
    uptime_heatmap_figure,
    value_stack_figure,
)


def result(paths: int = 1):  # type: ignore[no-untyped-def]
    cal = HourCalendar.regular("2024-01-01", 24 * 45)
    price = np.random.default_rng(0).gamma(2.0, 25.0, (paths, cal.n_hours))
    tiers = (
        DispatchTierSpec(efficiency_j_per_th=18.0, power_mw=6.0),
        DispatchTierSpec(efficiency_j_per_th=30.0, power_mw=4.0),
    )
    sites = [DispatchSiteSpec(name="a", tiers=tiers), DispatchSiteSpec(name="b", tiers=tiers)]
    return Dispatch(sites, MarketData(cal, {"N": price}), 50.0, 9e4).run()


def test_figures() -> None:
    res = result()
    pdc = price_duration_figure(res)
    curves = [t for t in pdc.data if t.name.startswith("all-in price")]
    assert len(curves) == 1  # both sites share one node: one curve
    # one breakeven per efficiency, named in the legend (labels on the lines overlapped):
    # 50 USD/PH/day × 1000 / (24 × J/TH × 1.05) × (1 − 0.02) by hand
    lines = {t.name: t.y[0] for t in pdc.data if t.name.startswith("breakeven")}
    assert lines == {
        "breakeven 18 J/TH: 108 USD/MWh": pytest.approx(50e3 / (24 * 18 * 1.05) * 0.98),
        "breakeven 30 J/TH: 65 USD/MWh": pytest.approx(50e3 / (24 * 30 * 1.05) * 0.98),
    }
    assert not pdc.layout.annotations
    heat = uptime_heatmap_figure(res)
    assert heat is not None
    assert np.asarray(heat.data[0].z).shape == (2, 24)
    names = [t.name for t in value_stack_figure(res).data]
    assert "mining revenue" in names
    assert names[-1] == "profit"


def test_flexibility_figure_shows_the_headline_answer() -> None:
    res = result()
    fig = flexibility_figure(res)
    by_name = {t.name: np.asarray(t.y, dtype=float) for t in fig.data}
    monthly = res.monthly()
    np.testing.assert_allclose(
        by_name["curtailment savings"], monthly["curtailment_savings_usd"] / 1e6
    )
    # the line is profit minus the profit of running every hour, in USD millions
    np.testing.assert_allclose(
        by_name["flexibility value"], (monthly["profit_usd"] - monthly["firm_profit_usd"]) / 1e6
    )
    assert fig.layout.yaxis.title.text == "USD millions"


def test_no_heatmap_without_hourly_load() -> None:
    assert uptime_heatmap_figure(result(paths=3)) is None


def test_report_file(tmp_path: Path) -> None:
    inputs = {"node": "N", "year": 2024}
    out = dispatch_report(tmp_path / "d.html", result(), inputs, {"extra": {"x": 1.0}})
    text = out.read_text(encoding="utf-8")
    assert "<td>2024</td>" in text  # a year, not 2,024
    assert "Monthly value stack" in text
    assert "Monthly value of flexibility" in text
    assert "class='tablebox'" in text
    assert "extra" in text
