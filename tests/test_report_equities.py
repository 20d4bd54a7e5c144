"""Equity report figures: rolling-beta panels and the event CAR paths (issue 25 item 6)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hashpivot.report.equities import _car_paths, _rolling_figure


def rolling_frame(tickers: list[str]) -> pd.DataFrame:
    dates = pd.date_range("2022-01-03", periods=50, freq="B")
    return pd.concat(
        pd.DataFrame({"ticker": t, "date": dates, "beta_btc": 1.0 + i, "beta_ai": 0.1 * i})
        for i, t in enumerate(tickers)
    )


def test_rolling_panels_in_alphabetical_order_with_axes() -> None:
    fig = _rolling_figure(rolling_frame(["WULF", "CIFR", "IREN"]))  # given unordered
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["CIFR", "IREN", "WULF"]
    assert "alphabetical" in fig.layout.title.text
    # every panel: a y-axis title and its own date labels
    for k in ("", "2", "3"):
        assert fig.layout[f"yaxis{k}"].title.text == "beta [-]"
        assert fig.layout[f"xaxis{k}"].showticklabels is True
    assert fig.layout.xaxis.range == fig.layout.xaxis3.range  # the same dates on every panel
    # the CIFR panel (first) holds CIFR's betas: beta_btc 1 + 1 (its index in the input)
    first = [t for t in fig.data if t.xaxis == "x"]
    assert {float(np.asarray(t.y)[0]) for t in first} == {2.0, 0.1}


def test_fourteen_event_paths_are_small_multiples() -> None:
    rel = np.arange(-5, 11)
    events = [f"ev-{i:02d}" for i in range(14)]
    abnormal = pd.concat(
        pd.DataFrame({"event_id": e, "rel_day": rel, "car_frac": 0.01 * i * (rel >= 0)})
        for i, e in enumerate(events)
    )
    fig = _car_paths(abnormal)
    assert [a.text for a in fig.layout.annotations if a.text in events] == events
    # one panel per event: 14 event traces, each on its own axes, beside the mean
    own = [t for t in fig.data if t.name == "this event"]
    assert len(own) == 14
    assert len({(t.xaxis, t.yaxis) for t in own}) == 14
    # the mean line is the mean over events, by hand: 0.01 × mean(0..13) = 0.065 after day 0
    mean = next(t for t in fig.data if t.name == "mean of all events")
    assert abs(float(np.asarray(mean.y)[-1]) - 0.065) < 1e-12
