"""Factor betas: how the market prices each miner's BTC and AI exposure.

Daily stock returns on a BTC factor and an AI factor (NVDA or SMH), optionally a market
factor (SPY or QQQ):

    r = α + β_btc·btc [+ β_m·mkt] + β_ai·ai⊥ + ε

The AI factor is orthogonalised, inside each estimation sample, against BTC (and the
market): ``ai⊥`` is the residual of an OLS of the AI return on a constant and the other
factors. So ``beta_ai`` is the exposure to AI news that BTC does not explain, and
``beta_btc`` is the stock's whole BTC exposure, including the part that runs through the
AI factor. ``beta_btc_partial`` is the BTC coefficient holding the raw AI return fixed
(the regression without orthogonalisation); the R² is the same either way.

Standard errors are Newey-West HAC [1]_ (Bartlett kernel, no small-sample correction) with
the lag rule of thumb of [2]_. Rolling betas come from statsmodels ``RollingOLS`` [3]_
with the orthogonalisation redone in every window through the FWL theorem [4]_. One
orchestrator, :func:`fit_factor_model`, runs full-period, per-year and rolling fits for
every ticker and labels each stock-year (:func:`label_exposure`). Data loading and
calendar alignment live in :mod:`hashpivot.equities.data`.

References
----------
.. [1] Newey, W. K. and West, K. D. (1987). A simple, positive semi-definite,
   heteroskedasticity and autocorrelation consistent covariance matrix. Econometrica
   55(3), 703-708. https://doi.org/10.2307/1913610
.. [2] Newey, W. K. and West, K. D. (1994). Automatic lag selection in covariance matrix
   estimation. Review of Economic Studies 61(4), 631-653.
   https://doi.org/10.2307/2297912 (rule of thumb ``floor(4 (T/100)^(2/9))``).
.. [3] statsmodels ``RollingOLS``:
   https://www.statsmodels.org/stable/generated/statsmodels.regression.rolling.RollingOLS.html
.. [4] Lovell, M. C. (1963). Seasonal adjustment of economic time series and multiple
   regression analysis. JASA 58(304), 993-1010. https://doi.org/10.2307/2283327

"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from hashpivot.equities.data import BTC, InsufficientHistoryError, require_columns
from hashpivot.errors import HashpivotError

FloatArray = npt.NDArray[np.float64]

LABELS = ("BTC-driven", "AI-driven", "mixed", "neither")
"""Exposure labels of a stock-year, see :func:`label_exposure`."""
DEFAULT_WINDOW_DAYS = 126
"""Rolling window: 126 trading days, about six months (assumption, a common half-year choice)."""
MIN_YEAR_OBS_DAYS = 60
"""Fewest returns for a per-year row: about one quarter of trading days (assumption)."""
T_CRIT = 1.96
"""Two-sided 5 % critical value of the asymptotically normal HAC t-statistic [1]_."""
DOMINANCE_RATIO = 2.0
"""One factor dominates when its standardised beta is at least twice the other's (assumption)."""
MIN_STD_BETA = 0.1
"""Smallest standardised beta that counts as an exposure: the factor explains about 1 % of
the stock's variance (assumption)."""


# --------------------------------------------------------------------------- factor model


def newey_west_maxlags(n_obs: int) -> int:
    """Newey-West (1994) rule-of-thumb HAC lag length ``floor(4 (T/100)^(2/9))``.

    Parameters
    ----------
    n_obs
        Observations in the regression. [days]

    Returns
    -------
    int
        Bartlett-kernel lags, e.g. 4 for 250 daily returns, 7 for 1 750. [days]

    References
    ----------
    Newey and West (1994), Rev. Econ. Stud. 61(4), 631-653; module ref [2]_.

    """
    return int(np.floor(4.0 * (max(n_obs, 1) / 100.0) ** (2.0 / 9.0)))


def orthogonalise(target: npt.ArrayLike, against: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Residual of an OLS of ``target`` on a constant and ``against``.

    Parameters
    ----------
    target
        The factor to clean, shape ``(n,)``, e.g. NVDA returns. [fraction per day]
    against
        The factors to remove, shape ``(n,)`` or ``(n, k)``, e.g. BTC (and market)
        returns. [fraction per day]

    Returns
    -------
    residual : numpy.ndarray
        ``(n,)``: mean zero and exactly uncorrelated in-sample with every column of
        ``against``. [fraction per day]
    coef : numpy.ndarray
        ``(k,)``: the slopes removed (``target ≈ c + against @ coef``). [-]

    """
    y = np.asarray(target, dtype=np.float64)
    z = np.asarray(against, dtype=np.float64).reshape(len(y), -1)
    x = np.column_stack([np.ones(len(y)), z])
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    return y - x @ coef, np.asarray(coef[1:])


@dataclass(frozen=True)
class FactorFit:
    """One regression of a stock's returns on BTC, the orthogonalised AI factor (and market).

    Betas are in return per unit factor return [-]. ``std_beta_*`` is the standardised
    beta ``beta × stdev(factor) / stdev(stock)``: the stock's move, in its own standard
    deviations, on a one-standard-deviation factor day. Without a market factor the two
    factors are uncorrelated, so ``std_beta_btc² + std_beta_ai² = r2`` exactly.
    """

    beta_btc: float
    beta_ai: float
    beta_market: float
    beta_btc_partial: float
    se_btc: float
    se_ai: float
    se_market: float
    t_btc: float
    t_ai: float
    t_market: float
    alpha_frac_per_day: float
    r2: float
    n_obs: int
    hac_maxlags: int
    std_beta_btc: float
    std_beta_ai: float
    start_date: str
    end_date: str
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the fields."""
        return asdict(self)


def _stacked(
    stock: pd.Series, btc: pd.Series, ai: pd.Series, market: pd.Series | None
) -> pd.DataFrame:
    parts = {"y": stock, "btc": btc, "ai": ai}
    if market is not None:
        parts["mkt"] = market
    return pd.concat(parts, axis=1).dropna()


def fit_factor_betas(
    stock_ret: pd.Series,
    btc_ret: pd.Series,
    ai_ret: pd.Series,
    market_ret: pd.Series | None = None,
    maxlags: int | None = None,
    min_obs_days: int = 30,
) -> FactorFit:
    """Betas of a stock on BTC and the BTC-orthogonalised AI factor, HAC errors and R².

    Model: ``r = α + β_btc·btc [+ β_m·mkt] + β_ai·ai⊥ + ε`` where ``ai⊥`` is the AI return
    orthogonalised in this sample against BTC (and the market) by :func:`orthogonalise`.
    Rows where any input is NaN are dropped.

    Parameters
    ----------
    stock_ret, btc_ret, ai_ret, market_ret
        Daily returns on one calendar (Series aligned by date). [fraction per day]
    maxlags
        HAC lags; default :func:`newey_west_maxlags` of the sample size. [days]
    min_obs_days
        Fewest joint returns to fit. [days]

    Returns
    -------
    FactorFit
        Betas, HAC standard errors and t-statistics (Bartlett kernel, no small-sample
        correction: statsmodels ``cov_type="HAC"``), R², sample size and dates.

    Raises
    ------
    InsufficientHistoryError
        With fewer than ``min_obs_days`` joint returns.

    References
    ----------
    Newey and West (1987); statsmodels OLS ``cov_type="HAC"``. Module refs [1]_, [2]_.

    """
    data = _stacked(stock_ret, btc_ret, ai_ret, market_ret)
    n = len(data)
    if n < max(min_obs_days, 5):
        msg = f"{n} joint daily returns, needs at least {max(min_obs_days, 5)}"
        raise InsufficientHistoryError(msg)
    others = ["btc"] + (["mkt"] if market_ret is not None else [])
    ai_orth, gamma = orthogonalise(data["ai"].to_numpy(), data[others].to_numpy())
    x = np.column_stack([np.ones(n), data[others].to_numpy(), ai_orth])
    lags = newey_west_maxlags(n) if maxlags is None else maxlags
    import statsmodels.api as sm  # 1.4 s to import: only when a regression runs

    res = sm.OLS(data["y"].to_numpy(), x).fit(
        cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": False}
    )
    b, se = np.asarray(res.params), np.asarray(res.bse)
    i_ai = len(b) - 1
    has_m = market_ret is not None
    nan = float("nan")
    sd_y = float(data["y"].std())
    return FactorFit(
        beta_btc=float(b[1]),
        beta_ai=float(b[i_ai]),
        beta_market=float(b[2]) if has_m else nan,
        beta_btc_partial=float(b[1] - b[i_ai] * gamma[0]),
        se_btc=float(se[1]),
        se_ai=float(se[i_ai]),
        se_market=float(se[2]) if has_m else nan,
        t_btc=float(b[1] / se[1]),
        t_ai=float(b[i_ai] / se[i_ai]),
        t_market=float(b[2] / se[2]) if has_m else nan,
        alpha_frac_per_day=float(b[0]),
        r2=float(res.rsquared),
        n_obs=n,
        hac_maxlags=lags,
        std_beta_btc=float(b[1] * data["btc"].std() / sd_y),
        std_beta_ai=float(b[i_ai] * np.std(ai_orth, ddof=1) / sd_y),
        start_date=str(pd.Timestamp(data.index[0]).date()),
        end_date=str(pd.Timestamp(data.index[-1]).date()),
    )


def label_exposure(
    t_btc: npt.ArrayLike,
    t_ai: npt.ArrayLike,
    std_beta_btc: npt.ArrayLike,
    std_beta_ai: npt.ArrayLike,
    t_crit: float = T_CRIT,
    dominance_ratio: float = DOMINANCE_RATIO,
    min_std_beta: float = MIN_STD_BETA,
) -> npt.NDArray[np.str_]:
    """Label stock-years as ``BTC-driven``, ``AI-driven``, ``mixed`` or ``neither``.

    Rule (an assumption: no source gives one). A factor *counts* when its beta is
    significant, HAC ``|t| ≥ t_crit`` (1.96, two-sided 5 %), and not negligible in size,
    ``|std_beta| ≥ min_std_beta`` (0.1: the factor explains about 1 % or more of the
    stock's variance). Sizes are compared as standardised betas
    ``β × stdev(factor) / stdev(stock)``, which puts both factors on one scale (raw BTC
    and AI betas are not comparable: the factors have different volatilities).

    - ``neither``: no factor counts;
    - ``BTC-driven``: BTC counts, and AI does not or ``|std_beta_btc|`` is at least
      ``dominance_ratio`` (2) times ``|std_beta_ai|``;
    - ``AI-driven``: the mirror image;
    - ``mixed``: both count, neither twice the other.

    The rule ignores signs: a significant negative beta is an exposure too (read the sign
    from the beta).

    Parameters
    ----------
    t_btc, t_ai
        HAC t-statistics of the BTC and AI betas. [-]
    std_beta_btc, std_beta_ai
        Standardised betas. [-]
    t_crit
        Significance threshold on ``|t|``. [-]
    dominance_ratio
        How many times larger one standardised beta must be to dominate. [-]
    min_std_beta
        Smallest ``|std_beta|`` that counts. [-]

    Returns
    -------
    numpy.ndarray
        Labels, broadcast over the inputs.

    """
    size_b = np.abs(np.asarray(std_beta_btc, dtype=np.float64))
    size_a = np.abs(np.asarray(std_beta_ai, dtype=np.float64))
    on_b = (np.abs(np.asarray(t_btc, dtype=np.float64)) >= t_crit) & (size_b >= min_std_beta)
    on_a = (np.abs(np.asarray(t_ai, dtype=np.float64)) >= t_crit) & (size_a >= min_std_beta)
    btc = on_b & (~on_a | (size_b >= dominance_ratio * size_a))
    ai = on_a & (~on_b | (size_a >= dominance_ratio * size_b))
    mixed = on_a & on_b & ~btc & ~ai
    return np.select([btc, ai, mixed], list(LABELS[:3]), default=LABELS[3])


@dataclass(frozen=True)
class LabelRule:
    """Thresholds of :func:`label_exposure` (assumptions, see there)."""

    t_crit: float = T_CRIT
    dominance_ratio: float = DOMINANCE_RATIO
    min_std_beta: float = MIN_STD_BETA

    def apply(self, fits: pd.DataFrame) -> npt.NDArray[np.str_]:
        """Labels of rows holding ``t_btc``, ``t_ai``, ``std_beta_btc``, ``std_beta_ai``."""
        return label_exposure(
            fits["t_btc"],
            fits["t_ai"],
            fits["std_beta_btc"],
            fits["std_beta_ai"],
            self.t_crit,
            self.dominance_ratio,
            self.min_std_beta,
        )


def rolling_factor_betas(
    stock_ret: pd.Series,
    btc_ret: pd.Series,
    ai_ret: pd.Series,
    market_ret: pd.Series | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> pd.DataFrame:
    """Rolling betas on BTC and the AI factor orthogonalised inside every window.

    Two ``RollingOLS`` runs: the stock on ``[1, btc, (mkt), ai]`` gives the partial
    slopes ``b``; the AI return on ``[1, btc, (mkt)]`` gives the window's ``γ``. By the
    Frisch-Waugh-Lovell theorem the orthogonalised model in the same window has
    ``β_ai = b_ai`` and ``β_btc = b_btc + b_ai·γ_btc`` (likewise the market), exactly as
    if the factor had been orthogonalised window by window.

    Parameters
    ----------
    stock_ret, btc_ret, ai_ret, market_ret
        Daily returns (Series aligned by date). [fraction per day]
    window_days
        Returns per window. [trading days]

    Returns
    -------
    pandas.DataFrame
        Indexed by the last day of each window: ``beta_btc``, ``beta_ai``,
        ``beta_btc_partial``, ``r2`` (and ``beta_market``).

    References
    ----------
    Module refs [3]_ (RollingOLS) and [5]_ (FWL).

    """
    data = _stacked(stock_ret, btc_ret, ai_ret, market_ret)
    if len(data) < window_days:
        msg = f"{len(data)} joint daily returns, the rolling window needs {window_days}"
        raise InsufficientHistoryError(msg)
    others = ["btc"] + (["mkt"] if market_ret is not None else [])
    import statsmodels.api as sm  # 1.4 s to import: only when a regression runs
    from statsmodels.regression.rolling import RollingOLS

    z = sm.add_constant(data[others], has_constant="add")
    full = RollingOLS(data["y"], pd.concat([z, data["ai"]], axis=1), window=window_days).fit()
    aux = RollingOLS(data["ai"], z, window=window_days).fit(params_only=True)
    b, g = full.params, aux.params
    out = pd.DataFrame(
        {
            "beta_btc": b["btc"] + b["ai"] * g["btc"],
            "beta_ai": b["ai"],
            "beta_btc_partial": b["btc"],
            "r2": full.rsquared,
        }
    )
    if market_ret is not None:
        out["beta_market"] = b["mkt"] + b["ai"] * g["mkt"]
    return out.dropna(how="all")


def factor_betas_by_year(
    stock_ret: pd.Series,
    btc_ret: pd.Series,
    ai_ret: pd.Series,
    market_ret: pd.Series | None = None,
    min_obs_days: int = MIN_YEAR_OBS_DAYS,
    rule: LabelRule | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Calendar-year betas (AI factor orthogonalised within each year) and their labels.

    Parameters
    ----------
    stock_ret, btc_ret, ai_ret, market_ret
        Daily returns (Series aligned by date). [fraction per day]
    min_obs_days
        Fewest returns for a year's row; shorter years are left out with a note. [days]
    rule
        Label thresholds; default :class:`LabelRule` ().

    Returns
    -------
    rows : pandas.DataFrame
        One row per year: ``year`` and the fields of :class:`FactorFit`, ``label`` filled.
    notes : list of str
        One line per year left out, saying how many returns it had.

    """
    data = _stacked(stock_ret, btc_ret, ai_ret, market_ret)
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for year, chunk in data.groupby(pd.DatetimeIndex(data.index).year):
        if len(chunk) < min_obs_days:
            notes.append(f"{year}: {len(chunk)} returns, a year needs at least {min_obs_days}")
            continue
        mkt = chunk["mkt"] if market_ret is not None else None
        fit = fit_factor_betas(chunk["y"], chunk["btc"], chunk["ai"], mkt, None, min_obs_days)
        rows.append({"year": int(year), **fit.to_dict()})
    frame = pd.DataFrame(rows, columns=["year", *FactorFit.__dataclass_fields__])
    if len(frame):
        frame["label"] = (rule or LabelRule()).apply(frame)
    return frame, notes


# --------------------------------------------------------------------------- orchestrator


@dataclass(frozen=True)
class FactorModelResult:
    """Betas of every ticker: full period, per year, rolling; and why tickers were skipped.

    Attributes
    ----------
    full
        One row per ticker (index ``ticker``): the fields of :class:`FactorFit`.
    per_year
        Long frame: ``ticker``, ``year`` and the fields of :class:`FactorFit`.
    rolling
        Long frame: ``ticker``, ``date`` (window end), ``beta_btc``, ``beta_ai``, ...
    skipped
        Ticker → the reason it has no estimate (too little history, no overlap).
    notes
        Ticker → lines about years left out; key ``""`` holds notes on the whole panel.
    settings
        The choices that produced the numbers.

    """

    full: pd.DataFrame
    per_year: pd.DataFrame
    rolling: pd.DataFrame
    skipped: dict[str, str]
    notes: dict[str, list[str]]
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Compact full-period table: sample, betas, t-statistics, R² and label per ticker."""
        cols = ["start_date", "end_date", "n_obs", "beta_btc", "t_btc", "beta_ai", "t_ai"]
        if self.settings.get("market_factor"):
            cols += ["beta_market", "t_market"]
        return self.full[[*cols, "r2", "label"]].reset_index()

    def to_frame(self) -> pd.DataFrame:
        """Tidy long frame: ``ticker``, ``period`` (``full`` or a year), ``field``, ``value``."""
        full = self.full.reset_index().assign(period="full")
        years = self.per_year.assign(period=self.per_year["year"].astype(str))
        both = pd.concat([full, years.drop(columns=["year"])], ignore_index=True)
        keep = [c for c in both.columns if c.startswith(("beta_", "se_", "t_", "std_beta_"))]
        keep += ["alpha_frac_per_day", "r2", "n_obs"]
        return both.melt(["ticker", "period"], keep, var_name="field", value_name="value")

    def _repr_html_(self) -> str:
        """Compact HTML summary for Jupyter: the full-period table of :meth:`summary`."""
        from hashpivot.display import frame_html

        return frame_html(f"BTC and AI factor betas of {len(self.full)} tickers", self.summary())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``tickers``, ``skipped``, ``notes`` and ``settings``.

        Each entry of ``tickers`` holds the full-period fields, ``per_year`` rows,
        ``rolling_last`` (the latest window) and ``notes``.
        """
        out: dict[str, Any] = {}
        for ticker, row in self.full.iterrows():
            years = self.per_year[self.per_year["ticker"] == ticker].drop(columns="ticker")
            roll = self.rolling[self.rolling["ticker"] == ticker]
            last = roll.iloc[-1] if len(roll) else None
            out[str(ticker)] = {
                **row.to_dict(),
                "per_year": years.to_dict(orient="records"),
                "rolling_last": None if last is None else _rolling_last(last),
                "notes": self.notes.get(str(ticker), []),
            }
        return {
            "tickers": out,
            "skipped": dict(self.skipped),
            "notes": self.notes.get("", []),
            "settings": dict(self.settings),
        }


def _rolling_last(row: pd.Series) -> dict[str, Any]:
    keys = [k for k in row.index if k.startswith("beta_") or k == "r2"]
    return {"date": str(pd.Timestamp(row["date"]).date()), **{k: row[k] for k in keys}}


def _span(series: pd.Series | pd.DataFrame) -> str:
    idx = series.dropna().index
    if len(idx) == 0:
        return "no returns"
    return f"{pd.Timestamp(idx[0]).date()} → {pd.Timestamp(idx[-1]).date()}"


def _history_message(returns: pd.DataFrame, ticker: str, factors: list[str], needed: int) -> str:
    joint = returns[[ticker, *factors]].dropna()
    return (
        f"{len(joint)} daily returns overlap {', '.join(factors)} "
        f"({ticker} {_span(returns[ticker])}; factors {_span(returns[factors])}); "
        f"needs at least {needed} (the rolling window)"
    )


def _check_factor_choice(
    returns: pd.DataFrame, factors: list[str], tickers: Sequence[str] | None
) -> list[str]:
    require_columns(returns, factors, "factor column")
    if len(set(factors)) != len(factors):
        msg = f"factors must differ: {', '.join(factors)} (AI factor and market are the same)"
        raise HashpivotError(msg)
    names = list(tickers) if tickers else [c for c in returns.columns if c not in factors]
    require_columns(returns, names, "ticker")
    clash = [t for t in names if t in factors]
    if clash:
        msg = f"ticker {clash[0]} is also a factor ({', '.join(factors)}); leave it out of tickers"
        raise HashpivotError(msg)
    if not names:
        raise HashpivotError("no tickers to analyse: the prices hold only factor columns")
    return names


def _fit_ticker(
    returns: pd.DataFrame,
    ticker: str,
    factors: list[str],
    window_days: int,
    min_year_obs_days: int,
    rule: LabelRule,
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame, list[str]]:
    """Full-period row, per-year rows, rolling rows and year notes of one ticker."""
    mkt = returns[factors[2]] if len(factors) > 2 else None
    args = (returns[ticker], returns[BTC], returns[factors[1]], mkt)
    fit = fit_factor_betas(*args, min_obs_days=window_days)
    years, notes = factor_betas_by_year(*args, min_year_obs_days, rule)
    rolling = rolling_factor_betas(*args, window_days).rename_axis("date").reset_index()
    rolling.insert(0, "ticker", ticker)
    return {"ticker": ticker, **fit.to_dict()}, years.assign(ticker=ticker), rolling, notes


def fit_factor_model(
    returns: pd.DataFrame,
    ai_factor: str = "NVDA",
    market_factor: str | None = None,
    tickers: Sequence[str] | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    min_year_obs_days: int = MIN_YEAR_OBS_DAYS,
    rule: LabelRule | None = None,
) -> FactorModelResult:
    """Full-period, per-year and rolling factor betas of every ticker, with labels.

    Parameters
    ----------
    returns
        Panel from :func:`hashpivot.equities.data.build_return_panel`: column ``BTC``, the
        AI factor, the market factor if used, and the tickers. [fraction per trading day]
    ai_factor
        AI factor column, e.g. ``NVDA`` or ``SMH``.
    market_factor
        Optional market factor column, e.g. ``SPY`` or ``QQQ``.
    tickers
        Tickers to analyse; default every column that is not a factor.
    window_days
        Rolling window, and the fewest joint returns a ticker needs. [trading days]
    min_year_obs_days
        Fewest returns for a per-year row. [trading days]
    rule
        Label thresholds; default :class:`LabelRule` ().

    Returns
    -------
    FactorModelResult
        Estimates of the tickers with enough history; the others in ``skipped`` with
        the reason (never rows of NaN). Without a market factor the frames have no
        market columns.

    Raises
    ------
    UnknownNameError
        For a factor or ticker that is not a column.
    InsufficientHistoryError
        When no ticker has enough history; the message lists each one's reason.

    """
    if window_days < 20:
        msg = f"window_days: {window_days} — must be ≥ 20 trading days"
        raise HashpivotError(msg)
    rule = rule or LabelRule()
    factors = [BTC, ai_factor] + ([market_factor] if market_factor else [])
    names = _check_factor_choice(returns, factors, tickers)
    parts: list[tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]] = []
    skipped: dict[str, str] = {}
    notes: dict[str, list[str]] = {"": _panel_notes(returns, factors)}
    for t in names:
        if len(returns[[t, *factors]].dropna()) < window_days:
            skipped[t] = _history_message(returns, t, factors, window_days)
            continue
        full_row, years, rolling, notes[t] = _fit_ticker(
            returns, t, factors, window_days, min_year_obs_days, rule
        )
        parts.append((full_row, years, rolling))
    if not parts:
        lines = "; ".join(f"{t}: {why}" for t, why in skipped.items())
        raise InsufficientHistoryError(f"no ticker has enough history — {lines}")
    settings = {
        "ai_factor": ai_factor,
        "market_factor": market_factor,
        "window_days": window_days,
        "min_year_obs_days": min_year_obs_days,
        **asdict(rule),
        "hac": "Newey-West, Bartlett kernel, maxlags floor(4 (T/100)^(2/9))",
    }
    return _assemble(parts, skipped, notes, settings, rule)


def _assemble(
    parts: list[tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]],
    skipped: dict[str, str],
    notes: dict[str, list[str]],
    settings: dict[str, Any],
    rule: LabelRule,
) -> FactorModelResult:
    full = pd.DataFrame([p[0] for p in parts]).set_index("ticker")
    full["label"] = rule.apply(full)
    per_year = pd.concat([p[1] for p in parts], ignore_index=True)
    per_year = per_year[["ticker", *[c for c in per_year if c != "ticker"]]]
    if settings["market_factor"] is None:  # no market factor: no columns of NaN for it
        unused = ["beta_market", "se_market", "t_market"]
        full, per_year = full.drop(columns=unused), per_year.drop(columns=unused)
    rolling = pd.concat([p[2] for p in parts], ignore_index=True)
    return FactorModelResult(full, per_year, rolling, skipped, notes, settings)


def _panel_notes(returns: pd.DataFrame, factors: list[str]) -> list[str]:
    """Say when a factor's returns stop before the panel's last day."""
    last = pd.Timestamp(returns.index[-1])
    out = []
    for f in factors:
        idx = returns[f].dropna().index
        if len(idx) and pd.Timestamp(idx[-1]) < last:
            out.append(
                f"{f} returns end {pd.Timestamp(idx[-1]).date()}, before the prices "
                f"({last.date()}): later stock returns are not used"
            )
    return out
