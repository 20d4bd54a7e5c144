"""Event studies of AI/HPC deal announcements: market-model abnormal returns and CARs.

For each announcement the *market model* ``r = α + β·r_m (+ β_btc·r_btc) + ε`` is fitted
by OLS on an estimation window before the event, ``[-250, -30]`` trading days by default
(MacKinlay 1997 [1]_ uses about 250 days; the 29-day gap keeps pre-announcement leaks
out of "normal" returns). The window days of the same ticker's other announcements are
left out of the estimation sample. An event needs at least 30 valid estimation returns
(the minimum of Brown and Warner 1985 [2]_), else it is skipped with the reason.

Abnormal returns ``AR = r − (α̂ + β̂·r_m)`` are summed into cumulative abnormal returns
over ``[-1, +1]`` and ``[-1, +5]`` trading days. The ``[-1, +1]`` window covers a release
before the open, during the session or after the close. The variance of a CAR includes
the estimation error of α̂ and β̂: ``Var(CAR) = σ̂²·(L + 1ᵀ X* (XᵀX)⁻¹ X*ᵀ 1)`` with ``X``
the estimation design, ``X*`` the event-window design and ``L`` the window length
(Campbell, Lo and MacKinlay 1997 [3]_, §4.4); ``t = CAR / √Var``.

Pooled over events: the mean CAR (CAAR) with the parametric ``t = ΣCAR / √ΣVar`` (events
independent, [3]_) and the Boehmer-Musumeci-Poulsen ``t`` on standardised CARs [4]_, which
stays valid when announcements raise volatility. Announcements on the same day by
different companies (IREN and Cipher on 2025-11-03) are cross-correlated; neither test
corrects for that (Kolari and Pynnönen 2010 would), so read pooled t-statistics as upper
bounds.

Event dates are calendar days (US Eastern). An announcement on a weekend or holiday moves
to the next trading day of the panel.

References
----------
.. [1] MacKinlay, A. C. (1997). Event studies in economics and finance. Journal of
   Economic Literature 35(1), 13-39. https://www.jstor.org/stable/2729691
.. [2] Brown, S. J. and Warner, J. B. (1985). Using daily stock returns: the case of event
   studies. Journal of Financial Economics 14(1), 3-31.
   https://doi.org/10.1016/0304-405X(85)90042-X
.. [3] Campbell, J. Y., Lo, A. W. and MacKinlay, A. C. (1997). The Econometrics of
   Financial Markets, ch. 4. Princeton University Press.
.. [4] Boehmer, E., Musumeci, J. and Poulsen, A. B. (1991). Event-study methodology under
   conditions of event-induced variance. Journal of Financial Economics 30(2), 253-272.
   https://doi.org/10.1016/0304-405X(91)90032-F

"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import Field, ValidationError, model_validator

from hashpivot.equities.data import InsufficientHistoryError, require_columns
from hashpivot.errors import SpecError
from hashpivot.specbase import Spec, format_errors, parse_yaml_mapping

FloatArray = npt.NDArray[np.float64]

ESTIMATION_WINDOW_DAYS = (-250, -30)
"""Estimation window in trading days relative to the event day (after MacKinlay 1997)."""
CAR_WINDOWS_DAYS = ((-1, 1), (-1, 5))
"""Event windows of the cumulative abnormal returns, in trading days around the event."""
MIN_ESTIMATION_DAYS = 30
"""Fewest valid estimation-window returns (Brown and Warner 1985)."""
DEFAULT_MARKET = "SPY"
"""Default market index of the market model."""


# --------------------------------------------------------------------------- event catalogue


class DealEvent(Spec):
    """One dated AI/HPC deal announcement by a listed company, with its source."""

    event_id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9-]{2,79}$",
        description="Unique id, lower case with dashes, e.g. `wulf-fluidstack-2025-08-14`.",
    )
    ticker: str = Field(
        pattern=r"^[A-Z][A-Z0-9.\-]{0,9}$", description="Ticker of the announcing company."
    )
    partner: str = Field(min_length=1, max_length=120, description="Counterparty of the deal.")
    kind: Literal["colocation_lease", "gpu_cloud", "acquisition"] = Field(
        description="Deal type: a lease of data-centre capacity, a GPU-cloud contract, or a "
        "takeover agreement."
    )
    date: dt.date = Field(description="Announcement day (US Eastern calendar day).")
    date_basis: str = Field(
        min_length=3, max_length=300, description="What fixes the date (dated release, article)."
    )
    headline: str = Field(min_length=3, max_length=300, description="What was announced.")
    it_mw: float | None = Field(
        default=None, gt=0.0, le=10_000.0, description="Critical IT capacity of the deal. [MW]"
    )
    contract_value_usd: float | None = Field(
        default=None, gt=0.0, le=1e12, description="Headline contract value, initial term. [USD]"
    )
    term_years: float | None = Field(
        default=None, gt=0.0, le=40.0, description="Initial term. [years]"
    )
    source_url: str = Field(pattern=r"^https?://\S+$", description="Where the facts come from.")
    as_of: dt.date = Field(description="Date the entry was compiled and checked.")

    @model_validator(mode="after")
    def _as_of_after_date(self) -> DealEvent:
        if self.as_of < self.date:
            msg = f"as_of {self.as_of} is before the announcement date {self.date}"
            raise ValueError(msg)
        return self


class DealEventCatalog(Spec):
    """A list of deal announcements (the layout of ``data/ai_deals.yaml``)."""

    events: tuple[DealEvent, ...] = Field(description="Deal announcements (at least one).")

    @model_validator(mode="after")
    def _unique_ids(self) -> DealEventCatalog:
        if not self.events:
            msg = "events: the list is empty (give at least one announcement)"
            raise ValueError(msg)
        ids = [e.event_id for e in self.events]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            msg = f"event_id {dup[0]!r} appears more than once (ids must be unique)"
            raise ValueError(msg)
        return self


def load_deal_events(path: str | Path | None = None) -> tuple[DealEvent, ...]:
    """Load and validate deal announcements from YAML (safe YAML only).

    Parameters
    ----------
    path
        YAML file with a top-level ``events:`` list; default the packaged
        ``hashpivot/data/ai_deals.yaml`` (each event with its public source_url).

    Returns
    -------
    tuple of DealEvent
        The announcements, in file order.

    Raises
    ------
    SpecError
        When the file is missing or does not parse, or an entry breaks a rule; each line
        names the entry's field path, its YAML line, the value and the rule.

    """
    if path is None:
        text = resources.files("hashpivot.data").joinpath("ai_deals.yaml").read_text("utf-8")
        source = "packaged ai_deals.yaml"
    else:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (FileNotFoundError, IsADirectoryError, PermissionError, UnicodeDecodeError):
            raise SpecError([f"cannot read the events file {path}"], source) from None
    data, root = parse_yaml_mapping(text, source)
    try:
        return DealEventCatalog.model_validate(data).events
    except ValidationError as exc:
        raise SpecError(format_errors(exc, root, DealEventCatalog), source) from None


def deal_events_frame(events: Sequence[DealEvent]) -> pd.DataFrame:
    """One row per announcement with every field, sorted by date."""
    rows = [e.model_dump() for e in events]
    return pd.DataFrame(rows).sort_values(["date", "ticker"], kind="stable", ignore_index=True)


# --------------------------------------------------------------------------- one event


def window_name(start_day: int, end_day: int) -> str:
    """Name of an event window: ``(-1, 5)`` → ``"m1_p5"``, ``(0, 2)`` → ``"0_p2"``."""

    def part(day: int) -> str:
        return "0" if day == 0 else f"{'m' if day < 0 else 'p'}{abs(day)}"

    return f"{part(start_day)}_{part(end_day)}"


def event_day_positions(
    trading_days: pd.DatetimeIndex, event_dates: Sequence[dt.date] | pd.DatetimeIndex
) -> npt.NDArray[np.intp]:
    """Position of each event's trading day: the first trading day on or after the date.

    Parameters
    ----------
    trading_days
        Sorted trading calendar of the return panel.
    event_dates
        Announcement days; a weekend or holiday moves to the next trading day.

    Returns
    -------
    numpy.ndarray
        Integer positions into ``trading_days``; ``len(trading_days)`` when an event is
        after the last trading day.

    """
    dates = pd.DatetimeIndex(pd.to_datetime(list(event_dates)))
    return np.asarray(trading_days.searchsorted(dates, side="left"), dtype=np.intp)


@dataclass(frozen=True)
class EventFit:
    """Market model of one event: parameters, abnormal returns and CARs.

    Attributes
    ----------
    alpha_frac_per_day
        Intercept of the market model. [fraction per trading day]
    factor_betas
        Slopes on the factors, in the order given. [-]
    sigma_frac_per_day
        Residual standard deviation in the estimation window. [fraction per trading day]
    n_estimation_days
        Valid returns in the estimation window. [trading days]
    rel_days
        Trading days relative to the event day covered by ``abnormal_frac``. [days]
    abnormal_frac
        Abnormal returns on ``rel_days``. [fraction per trading day]
    car_frac, se_car_frac, t_stat
        Window name (e.g. ``m1_p1``) → CAR [fraction], its standard error [fraction] and
        its t-statistic [-].

    """

    alpha_frac_per_day: float
    factor_betas: tuple[float, ...]
    sigma_frac_per_day: float
    n_estimation_days: int
    rel_days: npt.NDArray[np.int64]
    abnormal_frac: FloatArray
    car_frac: dict[str, float]
    se_car_frac: dict[str, float]
    t_stat: dict[str, float]


def _estimation_rows(
    y: FloatArray, f: FloatArray, pos: int, window: tuple[int, int], excluded: Any
) -> npt.NDArray[np.intp]:
    idx = np.arange(max(pos + window[0], 0), max(pos + window[1] + 1, 0))
    ok = np.isfinite(y[idx]) & np.isfinite(f[idx]).all(axis=1)
    if excluded is not None:
        ok &= ~np.asarray(excluded, dtype=bool)[idx]
    return idx[ok]


def market_model_event(
    stock_ret: npt.ArrayLike,
    factor_ret: npt.ArrayLike,
    event_pos: int,
    estimation_window_days: tuple[int, int] = ESTIMATION_WINDOW_DAYS,
    car_windows_days: Sequence[tuple[int, int]] = CAR_WINDOWS_DAYS,
    min_estimation_days: int = MIN_ESTIMATION_DAYS,
    excluded: npt.ArrayLike | None = None,
) -> EventFit:
    """Fit the market model before one event and measure its abnormal returns.

    Parameters
    ----------
    stock_ret
        Returns of the stock on the trading calendar, shape ``(T,)``. [fraction per day]
    factor_ret
        Returns of the market (and any other factor), shape ``(T,)`` or ``(T, k)``.
        [fraction per day]
    event_pos
        Position of the event day in the calendar (see :func:`event_day_positions`).
    estimation_window_days
        First and last estimation day relative to the event, inclusive. [trading days]
    car_windows_days
        Event windows ``(start, end)``, inclusive. [trading days]
    min_estimation_days
        Fewest valid estimation returns. [trading days]
    excluded
        Optional ``(T,)`` booleans: days kept out of the estimation (other events).

    Returns
    -------
    EventFit
        Parameters, abnormal returns over the span of the windows, and per window the
        CAR, its standard error (with estimation error, module ref [3]_) and t-statistic.

    Raises
    ------
    InsufficientHistoryError
        With too few estimation returns, or when a window runs past the data or holds a
        missing return.

    """
    y = np.asarray(stock_ret, dtype=np.float64)
    f = np.asarray(factor_ret, dtype=np.float64).reshape(len(y), -1)
    rows = _estimation_rows(y, f, event_pos, estimation_window_days, excluded)
    k = f.shape[1] + 1
    need = max(min_estimation_days, k + 2)
    if len(rows) < need:
        lo, hi = estimation_window_days
        msg = f"{len(rows)} returns in the estimation window [{lo}, {hi}], needs at least {need}"
        raise InsufficientHistoryError(msg)
    x = np.column_stack([np.ones(len(rows)), f[rows]])
    xtx_inv = np.linalg.inv(x.T @ x)
    coef = xtx_inv @ x.T @ y[rows]
    resid = y[rows] - x @ coef
    s2 = float(resid @ resid) / (len(rows) - k)
    first = min(a for a, _ in car_windows_days)
    last = max(b for _, b in car_windows_days)
    rel = np.arange(first, last + 1)
    span = event_pos + rel
    if span[0] < 0 or span[-1] >= len(y):
        msg = f"the event window [{first}, +{last}] runs past the data"
        raise InsufficientHistoryError(msg)
    for name, ok in (("stock", np.isfinite(y[span])), ("factor", np.isfinite(f[span]).all(1))):
        if not ok.all():
            days = ", ".join(f"{d:+d}" for d in rel[~ok])
            raise InsufficientHistoryError(f"no {name} return on event days {days}")
    xs = np.column_stack([np.ones(len(span)), f[span]])
    ar = y[span] - xs @ coef
    cars, ses = _cars(rel, ar, xs, xtx_inv, s2, car_windows_days)
    ts = {name: cars[name] / ses[name] for name in cars}
    betas = tuple(float(c) for c in coef[1:])
    sigma = float(np.sqrt(s2))
    return EventFit(float(coef[0]), betas, sigma, len(rows), rel, ar, cars, ses, ts)


def _cars(
    rel: npt.NDArray[np.int64],
    ar: FloatArray,
    xs: FloatArray,
    xtx_inv: FloatArray,
    s2: float,
    windows: Sequence[tuple[int, int]],
) -> tuple[dict[str, float], dict[str, float]]:
    """CAR and its standard error per window: Var = s²·(L + 1ᵀX*(XᵀX)⁻¹X*ᵀ1)."""
    cars, ses = {}, {}
    for a, b in windows:
        sel = (rel >= a) & (rel <= b)
        ones = xs[sel].sum(axis=0)
        name = window_name(a, b)
        cars[name] = float(ar[sel].sum())
        ses[name] = float(np.sqrt(s2 * (sel.sum() + ones @ xtx_inv @ ones)))
    return cars, ses


def pool_cars(car_frac: npt.ArrayLike, se_car_frac: npt.ArrayLike) -> dict[str, float]:
    """Pool CARs across events: CAAR, parametric and BMP t-statistics.

    Parameters
    ----------
    car_frac
        CAR of each event over one window. [fraction]
    se_car_frac
        Standard error of each CAR. [fraction]

    Returns
    -------
    dict
        ``n_events``; ``caar`` (mean CAR) [fraction]; ``t_stat`` = ΣCAR/√ΣSE²
        (independent events, module ref [3]_); ``t_stat_bmp`` = mean(z)·√N / sd(z) with
        z = CAR/SE (module ref [4]_; NaN below 2 events); ``positive_frac``: share of
        events with CAR > 0 [-].

    """
    car = np.asarray(car_frac, dtype=np.float64)
    se = np.asarray(se_car_frac, dtype=np.float64)
    n = len(car)
    z = car / se
    sd_z = float(np.std(z, ddof=1)) if n > 1 else float("nan")
    return {
        "n_events": n,
        "caar": float(car.mean()),
        "t_stat": float(car.sum() / np.sqrt((se**2).sum())),
        "t_stat_bmp": float(z.mean() * np.sqrt(n) / sd_z) if n > 1 and sd_z > 0 else np.nan,
        "positive_frac": float((car > 0).mean()),
    }


# --------------------------------------------------------------------------- orchestrator


@dataclass(frozen=True)
class EventStudyResult:
    """Per-event and pooled CARs, abnormal-return paths and the events left out.

    Attributes
    ----------
    events
        One row per event: ids, the trading day used, market-model parameters, and per
        window ``car_<w>``, ``se_car_<w>``, ``t_stat_<w>`` (``t_stat`` is the first
        window's). CARs are fractions (0.12 = +12 %).
    pooled
        Rows of ``group`` (``all`` or a deal kind), ``window``, ``n_events``, ``caar``,
        ``t_stat``, ``t_stat_bmp``, ``positive_frac``.
    abnormal
        Long frame: ``event_id``, ``ticker``, ``rel_day``, ``ar_frac``, ``car_frac``
        (cumulative from the first window day).
    skipped
        Events without an estimate: ``event_id``, ``ticker``, ``date``, ``reason``.
    settings
        The choices that produced the numbers.

    """

    events: pd.DataFrame
    pooled: pd.DataFrame
    abnormal: pd.DataFrame
    skipped: list[dict[str, str]]
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Compact per-event table: ticker, partner, dates and the CARs with t-statistics."""
        cars = [c for c in self.events.columns if c.startswith(("car_", "t_stat_"))]
        cols = ["ticker", "partner", "date", "event_day", "n_estimation_days", *cars]
        return self.events[cols]

    def to_frame(self) -> pd.DataFrame:
        """Tidy long frame of the per-event numbers: ``event_id``, ``field``, ``value``."""
        num = [c for c in self.events.columns if c.startswith(("car_", "se_car_", "t_stat"))]
        return self.events.melt(["event_id"], num, var_name="field", value_name="value")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``events``, ``pooled``, ``skipped`` and ``settings``."""
        return {
            "events": self.events.to_dict(orient="records"),
            "pooled": self.pooled.to_dict(orient="records"),
            "skipped": list(self.skipped),
            "settings": dict(self.settings),
        }


def _check_windows(estimation: tuple[int, int], windows: Sequence[tuple[int, int]]) -> None:
    lo, hi = estimation
    problems = [f"event window {w}: start must be ≤ end" for w in windows if w[0] > w[1]]
    if not windows:
        problems.append("car_windows_days: give at least one event window")
    elif lo >= hi or hi >= min(a for a, _ in windows):
        first = min(a for a, _ in windows)
        problems.append(
            f"estimation window [{lo}, {hi}]: must have start < end < first event-window "
            f"day {first}, so the estimation never sees the event"
        )
    if problems:
        raise SpecError(problems, "event study settings")


def _excluded_days(
    positions: npt.NDArray[np.intp], same: npt.NDArray[np.bool_], span: tuple[int, int], n: int
) -> npt.NDArray[np.bool_]:
    """Days inside the event windows of the other events of the same ticker."""
    mask = np.zeros(n, dtype=bool)
    for p in positions[same]:
        mask[max(p + span[0], 0) : max(min(p + span[1] + 1, n), 0)] = True
    return mask


def _span_text(series: pd.Series | pd.DataFrame) -> str:
    idx = series.dropna().index
    if len(idx) == 0:
        return "no returns"
    return f"{pd.Timestamp(idx[0]).date()} → {pd.Timestamp(idx[-1]).date()}"


def _event_row(
    e: DealEvent, day: pd.Timestamp, fit: EventFit, factors: Sequence[str], overlap: bool
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "event_id": e.event_id,
        "ticker": e.ticker,
        "partner": e.partner,
        "kind": e.kind,
        "date": str(e.date),
        "event_day": str(day.date()),
        "date_shifted": day.date() != e.date,
        "n_estimation_days": fit.n_estimation_days,
        "alpha_frac_per_day": fit.alpha_frac_per_day,
        **{f"beta_{f.lower()}": b for f, b in zip(factors, fit.factor_betas, strict=True)},
        "sigma_frac_per_day": fit.sigma_frac_per_day,
    }
    for name in fit.car_frac:
        row[f"car_{name}"] = fit.car_frac[name]
        row[f"se_car_{name}"] = fit.se_car_frac[name]
        row[f"t_stat_{name}"] = fit.t_stat[name]
    row["t_stat"] = next(iter(fit.t_stat.values()))
    row["overlaps"] = overlap
    return row


def _pooled_rows(events: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    rows = []
    groups = [("all", events)] + [(str(k), g) for k, g in events.groupby("kind", sort=True)]
    for group, frame in groups:
        if len(frame) < 2 and group != "all":
            continue
        for name in names:
            stats = pool_cars(frame[f"car_{name}"], frame[f"se_car_{name}"])
            rows.append({"group": group, "window": name, **stats})
    return pd.DataFrame(rows)


def _ar_path(e: DealEvent, fit: EventFit) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": e.event_id,
            "ticker": e.ticker,
            "rel_day": fit.rel_days,
            "ar_frac": fit.abnormal_frac,
            "car_frac": np.cumsum(fit.abnormal_frac),
        }
    )


def _skip(e: DealEvent, reason: str) -> dict[str, str]:
    return {"event_id": e.event_id, "ticker": e.ticker, "date": str(e.date), "reason": reason}


def _precheck(e: DealEvent, returns: pd.DataFrame, pos: int, factors: Sequence[str]) -> str:
    if e.ticker not in returns.columns:
        return f"ticker {e.ticker} is not a column of the prices"
    if e.ticker in factors:
        return f"ticker {e.ticker} is a factor of the market model"
    if pos >= len(returns.index):
        return f"after the last trading day of the prices ({returns.index[-1].date()})"
    return ""


def event_study(
    returns: pd.DataFrame,
    events: Sequence[DealEvent],
    market_factor: str = DEFAULT_MARKET,
    extra_factors: Sequence[str] = (),
    estimation_window_days: tuple[int, int] = ESTIMATION_WINDOW_DAYS,
    car_windows_days: Sequence[tuple[int, int]] = CAR_WINDOWS_DAYS,
    min_estimation_days: int = MIN_ESTIMATION_DAYS,
) -> EventStudyResult:
    """Market-model event study of every announcement: per-event and pooled CARs.

    Parameters
    ----------
    returns
        Return panel on the trading calendar (see
        :func:`hashpivot.equities.data.build_return_panel`). [fraction per trading day]
    events
        Announcements, e.g. :func:`load_deal_events`.
    market_factor
        Market index column of the market model (default ``SPY``).
    extra_factors
        More factor columns, e.g. ``("BTC",)`` for a two-factor model.
    estimation_window_days
        Estimation window relative to the event day, inclusive. [trading days]
    car_windows_days
        CAR windows, inclusive. [trading days]
    min_estimation_days
        Fewest valid estimation returns. [trading days]

    Returns
    -------
    EventStudyResult
        Estimates of the events with enough data; the others in ``skipped`` with the
        reason (ticker absent, too little history, window past the data), never NaN rows.

    Raises
    ------
    UnknownNameError
        For a factor that is not a column.
    SpecError
        For windows that overlap (the estimation must end before the event windows).

    """
    factors = [market_factor, *extra_factors]
    require_columns(returns, factors, "factor column")
    _check_windows(estimation_window_days, car_windows_days)
    days = pd.DatetimeIndex(returns.index)
    pos = event_day_positions(days, [e.date for e in events])
    tickers = np.array([e.ticker for e in events])
    span = (min(a for a, _ in car_windows_days), max(b for _, b in car_windows_days))
    f = returns[factors].to_numpy(dtype=np.float64)
    rows, paths, skipped = [], [], []
    for i, e in enumerate(events):
        reason = _precheck(e, returns, int(pos[i]), factors)
        if reason:
            skipped.append(_skip(e, reason))
            continue
        same = (tickers == e.ticker) & (np.arange(len(events)) != i)
        excl = _excluded_days(pos, same, span, len(days))
        y = returns[e.ticker]
        windows = (estimation_window_days, car_windows_days, min_estimation_days)
        try:
            fit = market_model_event(y.to_numpy(dtype=np.float64), f, int(pos[i]), *windows, excl)
        except InsufficientHistoryError as exc:
            spans = f"{e.ticker} returns {_span_text(y)}; factors {_span_text(returns[factors])}"
            skipped.append(_skip(e, f"{exc} ({spans})"))
            continue
        overlap = bool(np.any(np.abs(pos[same] - pos[i]) <= span[1] - span[0]))
        rows.append(_event_row(e, days[pos[i]], fit, factors, overlap))
        paths.append(_ar_path(e, fit))
    if not rows:
        lines = "; ".join(f"{s['event_id']}: {s['reason']}" for s in skipped)
        raise InsufficientHistoryError(f"no event could be estimated — {lines}")
    frame = pd.DataFrame(rows)
    names = [window_name(a, b) for a, b in car_windows_days]
    settings = {
        "model": "market model, OLS",
        "factors": factors,
        "estimation_window_days": list(estimation_window_days),
        "car_windows_days": [list(w) for w in car_windows_days],
        "min_estimation_days": min_estimation_days,
        "non_trading_day_rule": "an event on a non-trading day moves to the next trading day",
    }
    return EventStudyResult(
        frame, _pooled_rows(frame, names), pd.concat(paths, ignore_index=True), skipped, settings
    )
