"""HTML reports of the equity analytics: rolling betas, exposure labels, event CARs, beta shifts."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hashpivot.equities.beta_shift import BetaShiftResult
from hashpivot.equities.betas import LABELS, FactorModelResult
from hashpivot.equities.events import EventStudyResult
from hashpivot.report.html import Section, figure_section, table_section, text_section, write_report

_LABEL_COLOURS = {"BTC-driven": "#f2a900", "AI-driven": "#76b900", "mixed": "#5b8ff9"}
_NEITHER_COLOUR = "#d9d9d9"


def _method_text(result: FactorModelResult) -> str:
    s = result.settings
    market = f" and the market ({s['market_factor']})" if s.get("market_factor") else ""
    return (
        f"Daily returns of each stock regressed on BTC{market} and the AI factor "
        f"({s['ai_factor']}), the AI factor orthogonalised against BTC{market} inside each "
        "sample: beta_ai is the AI exposure BTC does not explain; beta_btc is the whole BTC "
        f"exposure. Standard errors: {s['hac']} (Newey and West 1987, 1994). Rolling "
        f"windows of {s['window_days']} trading days (statsmodels RollingOLS).\n\n"
        f"Label rule (an assumption): a factor counts when |t| ≥ {s['t_crit']} and its "
        f"standardised beta |β·sd(factor)/sd(stock)| ≥ {s['min_std_beta']}; BTC-driven or "
        f"AI-driven when only that factor counts or its standardised beta is at least "
        f"{s['dominance_ratio']}× the other's; mixed when both count; neither otherwise."
    )


def _label_heatmap(per_year: pd.DataFrame) -> go.Figure:
    grid = per_year.pivot(index="ticker", columns="year", values="label")
    code = {lab: float(i) for i, lab in enumerate(LABELS)}
    codes = grid.apply(lambda col: col.map(code))
    colours = [*(_LABEL_COLOURS[lab] for lab in LABELS[:3]), _NEITHER_COLOUR]
    n = len(LABELS)
    scale = [[i / n + d, colours[i]] for i in range(n) for d in (0.0, 1.0 / n)]
    fig = go.Figure(
        go.Heatmap(
            z=codes.to_numpy(),
            x=[str(c) for c in grid.columns],
            y=list(grid.index),
            text=grid.fillna("").to_numpy(),
            texttemplate="%{text}",
            colorscale=scale,
            zmin=-0.5,
            zmax=n - 0.5,
            showscale=False,
            hovertemplate="%{y} %{x}: %{text}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")  # alphabetical from the top, as the panels
    fig.update_layout(height=60 + 32 * len(grid))
    return fig


def _rolling_figure(rolling: pd.DataFrame) -> go.Figure:
    """One panel per ticker in alphabetical order, each with its own dates and beta axis."""
    tickers = sorted(dict.fromkeys(rolling["ticker"]))
    fig = make_subplots(
        rows=len(tickers),
        cols=1,
        shared_xaxes=False,
        subplot_titles=tickers,
        vertical_spacing=min(0.06, 0.5 / max(len(tickers), 1)),
    )
    for i, t in enumerate(tickers, start=1):
        sub = rolling[rolling["ticker"] == t]
        for col, colour in (("beta_btc", "#f2a900"), ("beta_ai", "#76b900")):
            fig.add_trace(
                go.Scatter(
                    x=sub["date"],
                    y=sub[col],
                    name=col,
                    line={"color": colour},
                    legendgroup=col,
                    showlegend=i == 1,
                ),
                row=i,
                col=1,
            )
        fig.update_yaxes(title_text="beta [-]", zeroline=True, row=i, col=1)
    # the same dates on every panel, each with its own labels
    span = [rolling["date"].min(), rolling["date"].max()]
    fig.update_xaxes(showticklabels=True, tickformat="%Y-%m", range=span)
    fig.update_layout(
        title="Rolling betas, tickers in alphabetical order",
        height=120 + 220 * len(tickers),
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1.0, "xanchor": "right"},
    )
    return fig


def write_betas_report(path: str | Path, result: FactorModelResult) -> Path:
    """Write the factor-model report: method, betas, label heatmap, rolling betas."""
    sections: list[Section] = [
        text_section("Method", _method_text(result)),
        table_section("Full-period betas", result.summary()),
        figure_section(
            "Exposure label by year (tickers in alphabetical order)",
            _label_heatmap(result.per_year),
        ),
        figure_section("Rolling betas", _rolling_figure(result.rolling)),
    ]
    cols = ["ticker", "year", "n_obs", "beta_btc", "t_btc", "beta_ai", "t_ai", "r2", "label"]
    sections.append(table_section("Per-year betas", result.per_year[cols]))
    notes = [*result.notes.get("", []), *(f"{t}: {m}" for t, m in result.skipped.items())]
    if notes:
        sections.append(text_section("Notes and skipped tickers", "\n\n".join(notes)))
    return write_report(path, "hashpivot: BTC and AI betas", sections)


def _car_bars(events: pd.DataFrame, windows: list[str]) -> go.Figure:
    labels = events["ticker"] + " " + events["date"] + " " + events["partner"].str.slice(0, 18)
    fig = go.Figure()
    for w in windows:
        fig.add_trace(
            go.Bar(
                x=labels,
                y=events[f"car_{w}"],
                name=f"CAR [{w.replace('_', ', ').replace('m', '-').replace('p', '+')}]",
                error_y={"type": "data", "array": 1.96 * events[f"se_car_{w}"]},
            )
        )
    fig.update_layout(barmode="group", yaxis_tickformat=".0%", height=480)
    return fig


PATH_PANEL_COLUMNS = 4
"""Small multiples of the CAR paths: panels per row (assumption: readable at 1100 px)."""


def _car_paths(abnormal: pd.DataFrame) -> go.Figure:
    """Small multiples: one panel per event with its CAR path and the mean path of all.

    With a dozen events one chart of overlaid lines is unreadable; a panel each, on one
    shared scale, keeps every event legible and comparable.
    """
    events = list(dict.fromkeys(abnormal["event_id"]))
    cols = min(PATH_PANEL_COLUMNS, max(len(events), 1))
    rows = max(1, math.ceil(len(events) / cols))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        shared_xaxes=True,
        shared_yaxes=True,
        subplot_titles=[str(e) for e in events],
        vertical_spacing=min(0.12, 0.6 / rows),
        horizontal_spacing=0.03,
    )
    mean = abnormal.groupby("rel_day")["car_frac"].mean()
    for k, event_id in enumerate(events):
        r, c = divmod(k, cols)
        sub = abnormal[abnormal["event_id"] == event_id]
        fig.add_trace(
            go.Scatter(
                x=mean.index,
                y=mean.to_numpy(),
                name="mean of all events",
                line={"color": "#9aa5b1", "dash": "dot"},
                legendgroup="mean",
                showlegend=k == 0,
            ),
            row=r + 1,
            col=c + 1,
        )
        fig.add_trace(
            go.Scatter(
                x=sub["rel_day"],
                y=sub["car_frac"],
                name="this event",
                line={"color": "#2b6cb0"},
                legendgroup="event",
                showlegend=k == 0,
            ),
            row=r + 1,
            col=c + 1,
        )
    fig.update_yaxes(tickformat=".0%")
    fig.update_yaxes(title_text="CAR", col=1)
    fig.update_xaxes(title_text="trading days from the event", row=rows)
    fig.update_annotations(font_size=11)
    fig.update_layout(height=120 + 230 * rows, legend={"orientation": "h", "y": -0.08})
    return fig


def write_events_report(path: str | Path, result: EventStudyResult) -> Path:
    """Write the event-study report: method, CAR bars, CAR paths, tables, skipped events."""
    s = result.settings
    windows = [c.removeprefix("car_") for c in result.events.columns if c.startswith("car_")]
    text = (
        f"Market model ({', '.join(s['factors'])}) fitted by OLS on trading days "
        f"{s['estimation_window_days']} before each announcement (at least "
        f"{s['min_estimation_days']} returns; other announcements of the same ticker left "
        "out), abnormal returns summed over the event windows "
        f"{s['car_windows_days']}. Error bars: ±1.96 standard errors including the "
        "estimation error of the model (MacKinlay 1997). Pooled: parametric t = ΣCAR/√ΣVar "
        "and Boehmer-Musumeci-Poulsen (1991) t. Announcements on the same day "
        f"are cross-correlated. {s['non_trading_day_rule']}."
    )
    sections = [
        text_section("Method", text),
        figure_section("Cumulative abnormal returns by event", _car_bars(result.events, windows)),
        figure_section("Cumulative abnormal return paths", _car_paths(result.abnormal)),
        table_section("Events", result.summary()),
        table_section("Pooled", result.pooled),
    ]
    if result.skipped:
        lines = [
            f"{x['event_id']} ({x['ticker']} {x['date']}): {x['reason']}" for x in result.skipped
        ]
        sections.append(text_section("Skipped events", "\n\n".join(lines)))
    return write_report(path, "hashpivot: AI/HPC deal event study", sections)


# --------------------------------------------------------------------------- beta shifts


def _shift_bars(shifts: pd.DataFrame) -> go.Figure:
    """Beta before and after each first AI contract, bars with ±1.96 standard errors."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("BTC beta", "AI beta (orthogonalised)"))
    for col, beta in enumerate(("beta_btc", "beta_ai"), start=1):
        for side, colour in (("before", "#bbbbbb"), ("after", "#2b6cb0")):
            fig.add_trace(
                go.Bar(
                    x=shifts["ticker"], y=shifts[f"{beta}_{side}"], name=side,
                    marker_color=colour, legendgroup=side, showlegend=col == 1,
                    error_y={"type": "data", "array": 1.96 * shifts[f"se_{beta}_{side}"]},
                ),
                row=1, col=col,
            )  # fmt: skip
    fig.update_layout(
        title="Betas in the year before vs after each first AI contract (±1.96 SE)",
        barmode="group",
        height=420,
    )
    return fig


def _rolling_with_events(rolling: pd.DataFrame, shifts: pd.DataFrame) -> go.Figure:
    """:func:`_rolling_figure` with a dashed line at each ticker's first AI contract."""
    fig = _rolling_figure(rolling)
    tickers = sorted(dict.fromkeys(rolling["ticker"]))
    dates = dict(zip(shifts["ticker"], shifts["event_day"], strict=True))
    for i, t in enumerate(tickers, start=1):
        if t in dates:
            day = pd.Timestamp(dates[t])
            fig.add_vline(x=day.value / 1e6, line_dash="dash", line_color="#444", row=i, col=1)
    fig.update_layout(title="Rolling betas; dashed: first AI contract")
    return fig


def write_beta_events_report(
    path: str | Path, result: BetaShiftResult, rolling: pd.DataFrame
) -> Path:
    """Write the beta event-study report: method, bars before/after, rolling betas, table."""
    s = result.settings
    method = (
        f"For each miner's first AI contract (colocation lease or GPU cloud), the two-factor "
        f"model on BTC and {s['ai_factor']} orthogonalised against BTC is fitted on the "
        f"{s['window_days']} trading days before and after the announcement, leaving out "
        f"{s['gap_days']} days on each side; standard errors are Newey-West HAC, and the "
        "shift's standard error is sqrt(se_before² + se_after²), treating the two "
        "non-overlapping windows as independent."
    )
    sections: list[Section] = [
        text_section("Method", method),
        figure_section("Before vs after", _shift_bars(result.shifts)),
        figure_section("Rolling betas around the first contract", _rolling_with_events(
            rolling, result.shifts)),
        table_section("Shifts per ticker", result.summary()),
        table_section("Mean shift over tickers", result.pooled),
    ]  # fmt: skip
    if result.skipped:
        lines = "\n\n".join(f"{t}: {why}" for t, why in result.skipped.items())
        sections.append(text_section("Skipped tickers", lines))
    return write_report(path, "hashpivot: betas around the first AI contract", sections)
