"""Event study on betas: a miner's BTC and AI beta before and after its first AI contract.

For each ticker the first dated AI/HPC contract (a colocation lease or a GPU-cloud deal
of :mod:`hashpivot.equities.events`; takeovers are not contracts) splits the return
history in two windows that leave out the days around the announcement:

    before = trading days [-gap - window, -gap - 1],  after = [+gap + 1, +gap + window]

The two-factor model of :func:`hashpivot.equities.betas.fit_factor_betas` (BTC, and the
AI factor orthogonalised against BTC inside each window) is fitted on each window, with
Newey-West HAC standard errors [1]_. The shift ``after - before`` has the standard error
``sqrt(se_before² + se_after²)``, which treats the two estimates as independent: the
windows do not overlap and HAC already absorbs short-lag dependence inside each
(assumption; a Chow-type comparison of two separate samples [2]_). A pooled row averages
the shifts over tickers with the standard error ``sqrt(Σ se²) / n`` (same assumption
across tickers; their returns are correlated, so the pooled t-statistic is optimistic).

References
----------
.. [1] Newey, W. K. and West, K. D. (1987). Econometrica 55(3), 703-708.
   https://doi.org/10.2307/1913610
.. [2] Chow, G. C. (1960). Tests of equality between sets of coefficients in two linear
   regressions. Econometrica 28(3), 591-605. https://doi.org/10.2307/1910133

"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hashpivot.equities.betas import MIN_YEAR_OBS_DAYS, fit_factor_betas
from hashpivot.equities.data import BTC, InsufficientHistoryError, require_columns
from hashpivot.equities.events import DealEvent, event_day_positions
from hashpivot.errors import HashpivotError

CONTRACT_KINDS = ("colocation_lease", "gpu_cloud")
"""Deal kinds that count as an AI contract (a takeover agreement does not)."""
WINDOW_DAYS = 250
"""Length of each of the before and after windows: one trading year (assumption, the
length of the estimation window of MacKinlay 1997, J. Econ. Lit. 35(1), 13-39)."""
GAP_DAYS = 5
"""Trading days left out on each side of the announcement, so its own jump does not
enter either beta (assumption; the [-1, +5] CAR window of :mod:`~hashpivot.equities.events`)."""

_FIELDS = ("beta_btc", "beta_ai")
_SE = {"beta_btc": "se_btc", "beta_ai": "se_ai"}


def first_ai_contracts(events: Sequence[DealEvent]) -> dict[str, DealEvent]:
    """The earliest AI contract (lease or GPU cloud) of each ticker.

    Parameters
    ----------
    events
        Deal announcements, e.g. :func:`~hashpivot.equities.events.load_deal_events`.

    Returns
    -------
    dict
        Ticker → its first contract, tickers in order of that contract's date.

    """
    firsts: dict[str, DealEvent] = {}
    for e in sorted(events, key=lambda e: (e.date, e.event_id)):
        if e.kind in CONTRACT_KINDS and e.ticker not in firsts:
            firsts[e.ticker] = e
    return firsts


def shift_standard_error(se_before: Any, se_after: Any) -> Any:
    """Standard error of ``after - before`` for two independent estimates [-]."""
    return np.sqrt(np.square(se_before) + np.square(se_after))


def _window(returns: pd.DataFrame, lo: int, hi: int) -> pd.DataFrame:
    return returns.iloc[max(lo, 0) : max(hi, 0)]


def beta_shift(
    returns: pd.DataFrame,
    ticker: str,
    event_pos: int,
    ai_factor: str = "NVDA",
    window_days: int = WINDOW_DAYS,
    gap_days: int = GAP_DAYS,
    min_obs_days: int = MIN_YEAR_OBS_DAYS,
) -> dict[str, Any]:
    """BTC and AI betas of one ticker before and after the trading day ``event_pos``.

    Parameters
    ----------
    returns
        Return panel with ``BTC``, ``ai_factor`` and ``ticker``. [fraction per day]
    ticker, ai_factor
        Column names.
    event_pos
        Position of the event's trading day in ``returns``.
    window_days, gap_days
        Window length and days left out beside the event (module docstring). [trading days]
    min_obs_days
        Fewest joint returns in each window. [trading days]

    Returns
    -------
    dict
        ``n_before``, ``n_after``, ``<beta>_before``, ``<beta>_after``, their ``se_``,
        ``<beta>_shift``, ``se_<beta>_shift`` and ``t_<beta>_shift`` for ``beta_btc`` and
        ``beta_ai``, and the windows' first and last days.

    Raises
    ------
    InsufficientHistoryError
        When either window has fewer than ``min_obs_days`` joint returns.

    """
    cols = [ticker, BTC, ai_factor]
    parts = {
        "before": _window(returns[cols], event_pos - gap_days - window_days, event_pos - gap_days),
        "after": _window(
            returns[cols], event_pos + gap_days + 1, event_pos + gap_days + 1 + window_days
        ),
    }
    row: dict[str, Any] = {}
    for side, frame in parts.items():
        n = len(frame.dropna())
        if n < min_obs_days:
            msg = f"{n} joint returns {side} the event, needs at least {min_obs_days}"
            raise InsufficientHistoryError(msg)
        fit = fit_factor_betas(
            frame[ticker], frame[BTC], frame[ai_factor], None, None, min_obs_days
        )
        row |= {
            f"n_{side}": fit.n_obs,
            f"start_{side}": fit.start_date,
            f"end_{side}": fit.end_date,
        }
        for f in _FIELDS:
            row |= {f"{f}_{side}": getattr(fit, f), f"se_{f}_{side}": getattr(fit, _SE[f])}
    for f in _FIELDS:
        se = float(shift_standard_error(row[f"se_{f}_before"], row[f"se_{f}_after"]))
        shift = row[f"{f}_after"] - row[f"{f}_before"]
        row |= {f"{f}_shift": shift, f"se_{f}_shift": se, f"t_{f}_shift": shift / se}
    return row


@dataclass(frozen=True)
class BetaShiftResult:
    """Beta before vs after each ticker's first AI contract, pooled, and tickers left out.

    Attributes
    ----------
    shifts
        One row per ticker: the event (``event_id``, ``partner``, ``date``,
        ``event_day``) and the fields of :func:`beta_shift`.
    pooled
        One row per beta (``beta_btc``, ``beta_ai``): ``n_tickers``, ``mean_shift``,
        ``se_mean_shift``, ``t_stat``.
    skipped
        Ticker → why it has no estimate.
    settings
        The choices that produced the numbers.

    """

    shifts: pd.DataFrame
    pooled: pd.DataFrame
    skipped: dict[str, str]
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Per-ticker table: date, betas before and after, shifts and their t-statistics."""
        cols = ["ticker", "date", "n_before", "n_after"]
        for f in _FIELDS:
            cols += [f"{f}_before", f"{f}_after", f"{f}_shift", f"t_{f}_shift"]
        return self.shifts[cols]

    def to_frame(self) -> pd.DataFrame:
        """Tidy long frame: ``ticker``, ``field``, ``value`` (numeric fields)."""
        num = list(self.shifts.select_dtypes("number").columns)
        return self.shifts.melt(["ticker"], num, var_name="field", value_name="value")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``shifts``, ``pooled``, ``skipped`` and ``settings``."""
        return {
            "shifts": self.shifts.to_dict(orient="records"),
            "pooled": self.pooled.to_dict(orient="records"),
            "skipped": dict(self.skipped),
            "settings": dict(self.settings),
        }


def _pooled(shifts: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for f in _FIELDS:
        n = len(shifts)
        se = float(np.sqrt((shifts[f"se_{f}_shift"] ** 2).sum()) / n)
        mean = float(shifts[f"{f}_shift"].mean())
        rows.append(
            {
                "beta": f,
                "n_tickers": n,
                "mean_shift": mean,
                "se_mean_shift": se,
                "t_stat": mean / se,
            }
        )
    return pd.DataFrame(rows)


def beta_event_study(
    returns: pd.DataFrame,
    events: Sequence[DealEvent],
    ai_factor: str = "NVDA",
    window_days: int = WINDOW_DAYS,
    gap_days: int = GAP_DAYS,
    min_obs_days: int = MIN_YEAR_OBS_DAYS,
) -> BetaShiftResult:
    """BTC and AI betas before vs after each ticker's first AI contract (module docstring).

    Parameters
    ----------
    returns
        Return panel with ``BTC`` and the AI factor. [fraction per trading day]
    events
        Deal announcements; tickers that are not columns of ``returns`` are skipped.
    ai_factor, window_days, gap_days, min_obs_days
        See :func:`beta_shift`.

    Returns
    -------
    BetaShiftResult

    Raises
    ------
    HashpivotError
        For a window shorter than ``min_obs_days`` or a negative gap.
    InsufficientHistoryError
        When no ticker has enough history on both sides; the message gives each reason.

    """
    if window_days < min_obs_days or gap_days < 0:
        msg = (
            f"window_days {window_days}, gap_days {gap_days}: need window_days ≥ "
            f"min_obs_days ({min_obs_days}) and gap_days ≥ 0"
        )
        raise HashpivotError(msg)
    require_columns(returns, [BTC, ai_factor], "factor column")
    days = pd.DatetimeIndex(returns.index)
    rows, skipped = [], {}
    for ticker, e in first_ai_contracts(events).items():
        if ticker not in returns.columns:
            skipped[ticker] = "no price column"
            continue
        pos = int(event_day_positions(days, [e.date])[0])
        head = {"ticker": ticker, "event_id": e.event_id, "partner": e.partner, "date": str(e.date)}
        try:
            row = beta_shift(returns, ticker, pos, ai_factor, window_days, gap_days, min_obs_days)
        except InsufficientHistoryError as exc:
            skipped[ticker] = str(exc)
            continue
        rows.append(head | {"event_day": str(days[min(pos, len(days) - 1)].date())} | row)
    if not rows:
        lines = "; ".join(f"{t}: {why}" for t, why in skipped.items())
        raise InsufficientHistoryError(
            f"no ticker has returns on both sides of its first AI contract — {lines}"
        )
    shifts = pd.DataFrame(rows)
    settings = {
        "ai_factor": ai_factor,
        "window_days": window_days,
        "gap_days": gap_days,
        "min_obs_days": min_obs_days,
        "contract_kinds": list(CONTRACT_KINDS),
        "se_shift": "sqrt(se_before^2 + se_after^2), HAC within each window",
    }
    return BetaShiftResult(shifts, _pooled(shifts), skipped, settings)
