"""Dispatch report: the three figures and a self-contained HTML file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hashpivot.dispatch import (
    Dispatch,
    DispatchSiteSpec,
    DispatchTierSpec,
    HourCalendar,
    MarketData,
)
from hashpivot.dispatch.report import (
    dispatch_report,
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
    assert len(pdc.data) == 1  # both sites share one node: one curve
    assert len(pdc.layout.annotations) == 2  # one breakeven line per efficiency
    heat = uptime_heatmap_figure(res)
    assert heat is not None
    assert np.asarray(heat.data[0].z).shape == (2, 24)
    names = [t.name for t in value_stack_figure(res).data]
    assert "mining revenue" in names
    assert names[-1] == "profit"


def test_no_heatmap_without_hourly_load() -> None:
    assert uptime_heatmap_figure(result(paths=3)) is None


def test_report_file(tmp_path: Path) -> None:
    out = dispatch_report(tmp_path / "d.html", result(), {"node": "N"}, {"extra": {"x": 1.0}})
    text = out.read_text(encoding="utf-8")
    assert "Monthly value stack" in text
    assert "extra" in text
