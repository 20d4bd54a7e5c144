"""The Monte Carlo report's EBITDA histogram zoom and the risk side of the frontier."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from hashpivot.report.montecarlo import distribution_figure, frontier_risk, frontier_risk_figure


def test_histogram_zooms_on_the_paths_and_counts_the_tails() -> None:
    rng = np.random.default_rng(0)
    pure = rng.normal(100e6, 20e6, 1000)
    hybrid = rng.normal(120e6, 5e6, 1000)
    pure[:3] = [-5e9, -4e9, 9e9]  # three wild paths that used to squash the view
    fig = distribution_figure(pure, hybrid)
    both = np.concatenate([pure, hybrid])
    lo, hi = np.quantile(both, [0.01, 0.99])
    assert tuple(fig.layout.xaxis.range) == pytest.approx((lo / 1e6, hi / 1e6))
    assert -100 < fig.layout.xaxis.range[0] < 100 < fig.layout.xaxis.range[1] < 200
    # the tails, counted by hand with the same cut: 1 % of 2 000 paths each side
    title = fig.layout.title.text
    pure_below, pure_above = int((pure < lo).sum()), int((pure > hi).sum())
    assert f"pure mining {pure_below:,} below, {pure_above:,} above" in title
    assert pure_below + int((hybrid < lo).sum()) == 20
    bins = fig.data[0].xbins
    assert bins.start == pytest.approx(lo / 1e6)
    assert fig.data[1].xbins.size == bins.size  # same bins for both variants


def test_histogram_of_identical_paths_has_a_window() -> None:
    fig = distribution_figure(np.full(10, 5e6), np.full(10, 5e6))
    lo, hi = fig.layout.xaxis.range
    assert lo < 5.0 < hi


def test_frontier_risk_by_hand() -> None:
    # two shares, three paths, two years of EBITDA
    by_year = {
        0.0: np.array([[10.0, -1.0], [5.0, 5.0], [-2.0, 3.0]]),  # 2 of 3 paths negative once
        1.0: np.array([[4.0, 4.0], [5.0, 5.0], [6.0, 6.0]]),  # never negative
    }
    variants: dict[str, Any] = {
        f"ai_share_{s:.2f}": {"ebitda_usd_by_year": v, "ebitda_usd_per_year": v.mean(axis=1)}
        for s, v in by_year.items()
    }
    result = SimpleNamespace(
        frontier=[{"ai_share_frac": 0.0}, {"ai_share_frac": 1.0}], variants=variants
    )
    rows = frontier_risk(result)  # type: ignore[arg-type]
    assert rows[0]["prob_negative_ebitda_any_year"] == pytest.approx(2 / 3)
    assert rows[1]["prob_negative_ebitda_any_year"] == 0.0
    # averages 4.5, 5, 0.5: sample std by hand
    mean = (4.5 + 5 + 0.5) / 3
    std = np.sqrt(((4.5 - mean) ** 2 + (5 - mean) ** 2 + (0.5 - mean) ** 2) / 2)
    assert rows[0]["ebitda_std_usd_per_year"] == pytest.approx(std)
    assert rows[1]["ebitda_std_usd_per_year"] == pytest.approx(1.0)
    fig = frontier_risk_figure(rows)
    assert list(fig.data[0].y) == pytest.approx([200 / 3, 0.0])  # percent
    assert fig.data[1].yaxis == "y2"
