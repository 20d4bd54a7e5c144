"""Estimate market-model parameters from history, with standard errors.

``fit_gbm``, ``fit_jump`` and ``fit_regime`` take a daily price series (from
:func:`load_btc_prices`, which refuses NaN, non-positive prices, duplicated dates and
calendar gaps) and return a :class:`ModelFit`: estimates and standard errors in the
units of the spec fields, ``summary()`` (a text table), ``to_dict()`` and ``to_spec()``
(the matching spec, ready for a scenario). :func:`fit_btc_price` picks the estimator by
name. :func:`fit_fees_baseline` estimates the fee baseline's OU parameters.

Conventions: daily data are calendar days (BTC trades every day), so a day is
1/365.25 yr; "drift" is the expected growth μ with ``E[S_t] = S_0·e^{μt}``, i.e. the
mean log return per year plus σ²/2.

References
----------
.. [1] GBM by maximum likelihood on log returns (sample mean and variance); standard
   errors from the normal-theory asymptotic variances ``σ²/n`` (mean) and ``σ²/(2n)``
   (standard deviation); J. Y. Campbell, A. W. Lo and A. C. MacKinlay (1997), The
   Econometrics of Financial Markets, §9.3.2.
.. [2] R. C. Merton (1976), J. Financial Economics 3:125–144: the log-return density is
   a Poisson mixture of normals; MLE as in C. A. Ball and W. N. Torous (1985), On jumps
   in common stock prices and their impact on call option pricing, J. Finance
   40(1):155–173. Standard errors from the inverse numerical Hessian of the negative
   log-likelihood at the optimum (observed information).
.. [3] J. D. Hamilton (1989), Econometrica 57(2):357–384; fitted with statsmodels
   ``MarkovRegression`` (switching mean and variance),
   https://www.statsmodels.org/stable/generated/statsmodels.tsa.regime_switching.markov_regression.MarkovRegression.html
   Standard errors of annualised drift and volatility by the delta method.
.. [4] OU from an AR(1) on monthly data: ``φ = e^{−κΔ}``, ``σ = s·sqrt(2κ/(1 − φ²))``;
   Glasserman (2003), Monte Carlo Methods in Financial Engineering, §3.3.1.

"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize, special

from hashpivot.markets._common import lookup
from hashpivot.markets._random import FloatArray
from hashpivot.markets.history import load_daily_history
from hashpivot.markets.spec import (
    FeesSpec,
    GbmPriceSpec,
    JumpPriceSpec,
    RegimePriceSpec,
    RegimeStateSpec,
)
from hashpivot.specbase import Spec

DAY_YEARS = 1.0 / 365.25
"""One calendar day [yr]."""

Frequency = Literal["daily", "weekly", "monthly"]
STEP_YEARS: dict[str, float] = {"daily": DAY_YEARS, "weekly": 7 * DAY_YEARS, "monthly": 1 / 12}
"""Length of one observation step at each frequency [yr]."""


@dataclass(frozen=True)
class ParameterEstimate:
    """One estimated parameter: value, standard error (NaN when not available), unit."""

    name: str
    value: float
    std_error: float
    unit: str


@dataclass(frozen=True)
class ModelFit:
    """Result of an estimation: parameters with standard errors and the data used."""

    model: str
    parameters: tuple[ParameterEstimate, ...]
    n_obs: int
    frequency: str
    first_date: dt.date
    last_date: dt.date
    log_likelihood: float | None = None
    notes: tuple[str, ...] = ()
    transition_matrix_per_month: tuple[tuple[float, ...], ...] | None = None
    source: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    def __getitem__(self, name: str) -> ParameterEstimate:
        """The parameter called ``name``."""
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    def summary(self) -> str:
        """A text table of the estimates and their standard errors."""
        src = f"{self.source}, " if self.source else ""
        lines = [
            f"model: {self.model} ({self.frequency} data)",
            f"data: {src}{self.first_date} to {self.last_date}, {self.n_obs} observations",
            f"{'parameter':<36}{'estimate':>12}{'std. error':>12}  unit",
        ]
        for p in self.parameters:
            se = "n/a" if not math.isfinite(p.std_error) else f"{p.std_error:.4g}"
            lines.append(f"{p.name:<36}{p.value:>12.4g}{se:>12}  {p.unit}")
        if self.transition_matrix_per_month is not None:
            lines.append("transition matrix per month (row = from, column = to):")
            lines += [
                "  " + "  ".join(f"{x:.3f}" for x in row)
                for row in self.transition_matrix_per_month
            ]
        if self.log_likelihood is not None:
            lines.append(f"log-likelihood: {self.log_likelihood:.2f}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (JSON-ready)."""
        return {
            "model": self.model,
            "frequency": self.frequency,
            "first_date": self.first_date.isoformat(),
            "last_date": self.last_date.isoformat(),
            "n_obs": self.n_obs,
            "log_likelihood": self.log_likelihood,
            "parameters": {
                p.name: {"estimate": p.value, "std_error": _json_float(p.std_error), "unit": p.unit}
                for p in self.parameters
            },
            "transition_matrix_per_month": self.transition_matrix_per_month,
            "notes": list(self.notes),
            "source": self.source,
        }

    def to_spec(self) -> Spec:
        """The spec these estimates describe (GBM, jump, regime or fees).

        For fees, the baseline level is the median of the last 12 months' fees per block
        and the spike parameters keep their defaults.
        """
        v = {p.name: p.value for p in self.parameters}
        if self.model == "gbm":
            return GbmPriceSpec(
                drift_frac_per_year=v["drift_frac_per_year"],
                volatility_frac_per_year=v["volatility_frac_per_year"],
            )
        if self.model == "jump":
            keys = ["drift_frac_per_year", "volatility_frac_per_year", "jump_intensity_per_year"]
            keys += ["jump_mean_log", "jump_std_log"]
            return JumpPriceSpec(**{k: v[k] for k in keys})
        if self.model == "regime" and self.transition_matrix_per_month is not None:
            k = len(self.transition_matrix_per_month)
            states = tuple(
                RegimeStateSpec(
                    drift_frac_per_year=v[f"state{i}_drift_frac_per_year"],
                    volatility_frac_per_year=v[f"state{i}_volatility_frac_per_year"],
                )
                for i in range(k)
            )
            return RegimePriceSpec(
                states=states, transition_matrix_per_month=self.transition_matrix_per_month
            )
        return FeesSpec(
            baseline_btc_per_block=v["recent_median_btc_per_block"],
            baseline_volatility_frac_per_year=v["baseline_volatility_frac_per_year"],
            baseline_mean_reversion_per_year=v["baseline_mean_reversion_per_year"],
        )


def _json_float(x: float) -> float | None:
    return x if math.isfinite(x) else None


# --------------------------------------------------------------------------- data


def load_btc_prices(
    path: str | Path,
    *,
    date_column: str = "date",
    price_column: str = "price_usd_cm",
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> pd.Series:
    """Daily BTC prices from a CSV, validated [USD/BTC].

    Validation by :func:`~hashpivot.markets.history.load_daily_history`; defaults match
    ``btc_network_daily.csv`` (SOURCES.md §1).
    """
    frame = load_daily_history(
        path,
        [price_column],
        date_column=date_column,
        positive=[price_column],
        start_date=start_date,
        end_date=end_date,
    )
    series = frame[price_column]
    series.attrs["source"] = Path(path).name
    return series


def _log_returns(prices: pd.Series, frequency: str) -> pd.Series:
    if not isinstance(prices.index, pd.DatetimeIndex):
        msg = "prices must be indexed by date (a DatetimeIndex)"
        raise ValueError(msg)
    values = prices.to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        msg = "prices must be finite and > 0"
        raise ValueError(msg)
    if frequency == "daily":
        sampled = prices
    else:
        rule = "W" if frequency == "weekly" else "ME"
        sampled = prices.resample(rule).last().dropna()
    returns: pd.Series = np.log(sampled).diff().dropna()
    if len(returns) < 24:
        msg = f"only {len(returns)} {frequency} returns; at least 24 needed"
        raise ValueError(msg)
    return returns


def _meta(prices: pd.Series, n: int, frequency: str) -> dict[str, Any]:
    index = pd.DatetimeIndex(prices.index)
    return {
        "n_obs": n,
        "frequency": frequency,
        "first_date": index[0].date(),
        "last_date": index[-1].date(),
        "source": str(prices.attrs.get("source", "")),
    }


# --------------------------------------------------------------------------- GBM


def fit_gbm(prices: pd.Series) -> ModelFit:
    """GBM drift and volatility from daily log returns, annualised, with SEs. Ref [1]."""
    r = _log_returns(prices, "daily").to_numpy()
    n = r.size
    mean, var = float(r.mean()), float(r.var(ddof=1))
    sigma = math.sqrt(var / DAY_YEARS)
    se_sigma = sigma / math.sqrt(2.0 * (n - 1))
    log_drift = mean / DAY_YEARS
    se_log_drift = sigma / math.sqrt(n * DAY_YEARS)
    drift = log_drift + 0.5 * sigma**2
    se_drift = math.hypot(se_log_drift, sigma * se_sigma)
    loglik = float(np.sum(-0.5 * np.log(2 * np.pi * var) - (r - mean) ** 2 / (2 * var)))
    params = (
        ParameterEstimate("drift_frac_per_year", drift, se_drift, "1/yr"),
        ParameterEstimate("volatility_frac_per_year", sigma, se_sigma, "1/sqrt(yr)"),
        ParameterEstimate("log_drift_per_year", log_drift, se_log_drift, "1/yr"),
    )
    return ModelFit("gbm", params, log_likelihood=loglik, **_meta(prices, n, "daily"))


# --------------------------------------------------------------------------- Merton jumps

_JUMP_NAMES = (
    ("drift_frac_per_year", "1/yr"),
    ("volatility_frac_per_year", "1/sqrt(yr)"),
    ("jump_intensity_per_year", "1/yr"),
    ("jump_mean_log", "log return"),
    ("jump_std_log", "log return"),
)


def merton_log_density(
    r: FloatArray, theta: FloatArray, dt_years: float, max_jumps: int
) -> FloatArray:
    """Log density of Merton log returns over ``dt_years``: a Poisson mixture. Ref [2].

    ``theta = (μ, σ, λ, m, s)``. The mixture is truncated where the Poisson tail falls
    below 1e-14, at most at ``max_jumps`` jumps a step.
    """
    mu, sigma, lam, m_j, s_j = (float(x) for x in theta)
    kappa = math.exp(m_j + 0.5 * s_j**2) - 1.0
    alpha = (mu - 0.5 * sigma**2 - lam * kappa) * dt_years
    rate = max(lam * dt_years, 1e-300)
    k = np.arange(_poisson_terms(rate, max_jumps))
    log_w = k * math.log(rate) - rate - special.gammaln(k + 1)
    var = sigma**2 * dt_years + k * s_j**2
    log_c = log_w - 0.5 * np.log(2 * np.pi * var)
    log_phi = log_c - (r[:, None] - (alpha + k * m_j)) ** 2 / (2 * var)
    top = log_phi.max(axis=1)
    return np.asarray(top + np.log(np.exp(log_phi - top[:, None]).sum(axis=1)))


def _poisson_terms(rate: float, max_jumps: int) -> int:
    """Terms ``0..K`` of a Poisson(rate) sum whose tail is below 1e-14 (at most max+1)."""
    term, total = math.exp(-rate), math.exp(-rate)
    for k in range(1, max_jumps + 1):
        if 1.0 - total < 1e-14:
            return k
        term *= rate / k
        total += term
    return max_jumps + 1


def fit_jump(
    prices: pd.Series, max_jumps: int = 12, max_intensity_per_year: float = 365.0
) -> ModelFit:
    """Merton jump-diffusion by maximum likelihood on daily log returns, with SEs. Ref [2].

    Optimised with L-BFGS-B over ``(μ, log σ, log λ, m, log s)`` from three starting jump
    rates (5, 20, 80 per year, capped), keeping the best. Standard errors come from the
    inverse numerical Hessian in the natural parameters. Daily BTC returns push the
    unconstrained MLE to many small jumps (a scale mixture for fat tails); cap
    ``max_intensity_per_year`` to fit rare jumps instead. When λ ends on that cap it is
    reported without a standard error and the others are conditional on it.
    """
    r = _log_returns(prices, "daily").to_numpy()
    sd = float(r.std(ddof=1))
    lam_cap = math.log(max_intensity_per_year)

    def nll_natural(theta: FloatArray) -> float:
        return -float(np.sum(merton_log_density(r, theta, DAY_YEARS, max_jumps)))

    def nll(x: FloatArray) -> float:
        return nll_natural(_jump_natural(x))

    bounds = [(-10.0, 10.0), (math.log(1e-3), math.log(10.0)), (math.log(1e-3), lam_cap)]
    bounds += [(-1.0, 1.0), (math.log(1e-4), math.log(2.0))]
    best: Any = None
    for lam0 in (5.0, 20.0, 80.0):
        x0 = np.array([0.0, math.log(0.7 * sd / math.sqrt(DAY_YEARS)), 0.0, 0.0, math.log(3 * sd)])
        x0[2] = min(math.log(lam0), lam_cap - 0.1)
        res = optimize.minimize(nll, x0, method="L-BFGS-B", bounds=bounds)
        if best is None or res.fun < best.fun:
            best = res
    theta = _jump_natural(best.x)
    on_cap = best.x[2] > lam_cap - 1e-4
    se, note = _jump_se(nll_natural, theta, on_cap)
    params = tuple(
        ParameterEstimate(name, float(v), float(s), unit)
        for (name, unit), v, s in zip(_JUMP_NAMES, theta, se, strict=True)
    )
    notes = tuple(n for n in (note,) if n)
    meta = _meta(prices, r.size, "daily")
    return ModelFit("jump", params, log_likelihood=-float(best.fun), notes=notes, **meta)


def _jump_se(
    nll: Callable[[FloatArray], float], theta: FloatArray, on_cap: bool
) -> tuple[FloatArray, str]:
    if not on_cap:
        return _hessian_se(nll, theta)
    free = np.array([0, 1, 3, 4])

    def sub(x: FloatArray) -> float:
        full = theta.copy()
        full[free] = x
        return nll(full)

    se_free, note = _hessian_se(sub, theta[free])
    se = np.full(theta.size, np.nan)
    se[free] = se_free
    cap_note = "jump intensity ended on max_intensity_per_year; other SEs are conditional on it"
    return se, "; ".join(n for n in (cap_note, note) if n)


def _jump_natural(x: FloatArray) -> FloatArray:
    """Unconstrained (μ, log σ, log λ, m, log s) to natural (μ, σ, λ, m, s)."""
    return np.array([x[0], math.exp(x[1]), math.exp(x[2]), x[3], math.exp(x[4])])


def _hessian_se(f: Callable[[FloatArray], float], theta: FloatArray) -> tuple[FloatArray, str]:
    """Standard errors from the inverse numerical Hessian of ``f`` at ``theta``."""
    from statsmodels.tools.numdiff import approx_hess3

    hess = np.asarray(approx_hess3(theta, f), dtype=np.float64)
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return np.full(theta.size, np.nan), "Hessian is singular: standard errors not available"
    diag = np.diag(cov)
    if np.any(diag <= 0) or not np.all(np.isfinite(diag)):
        se = np.where(diag > 0, np.sqrt(np.abs(diag)), np.nan)
        return se, "Hessian is not positive definite: some standard errors not available"
    return np.sqrt(diag), ""


# --------------------------------------------------------------------------- regimes


def fit_regime(
    prices: pd.Series,
    k_regimes: int = 2,
    frequency: Frequency = "monthly",
    seed: int = 0,
) -> ModelFit:
    """Markov-switching mean and variance of log returns (Hamilton 1989). Ref [3].

    States are ordered by volatility (state 0 the calmest). For ``weekly`` or ``daily``
    data the transition matrix is converted to one month with a fractional matrix power
    (its standard errors are then not reported).

    Parameters
    ----------
    k_regimes
        2 or 3 states.
    frequency
        Sampling of returns: month-end, week-end or daily prices.
    seed
        Seeds the random search over starting values (20 draws, statsmodels ``rng``).

    """
    from statsmodels.tsa.regime_switching.markov_regression import MarkovRegression

    if k_regimes not in (2, 3):
        msg = f"k_regimes must be 2 or 3, got {k_regimes}"
        raise ValueError(msg)
    returns = _log_returns(prices, frequency)
    step = STEP_YEARS[frequency]
    model = MarkovRegression(
        returns.to_numpy(), k_regimes=k_regimes, trend="c", switching_variance=True
    )
    res = model.fit(search_reps=20, rng=np.random.default_rng(seed), maxiter=500)
    params, cov = np.asarray(res.params), np.asarray(res.cov_params())
    names = list(model.param_names)
    k = k_regimes
    mean_idx = [names.index(f"const[{i}]") for i in range(k)]
    var_idx = [names.index(f"sigma2[{i}]") for i in range(k)]
    order = np.argsort([params[j] for j in var_idx])
    trans = np.asarray(res.regime_transition)[:, :, 0].T  # [from, to]
    trans = trans[np.ix_(order, order)]
    estimates: list[ParameterEstimate] = []
    for new, old in enumerate(order):
        estimates += _state_estimates(new, params, cov, mean_idx[old], var_idx[old], step)
    monthly, trans_se, note = _monthly_transition(trans, frequency, model, res, order)
    for i in range(k):
        for j in range(k):
            se = trans_se[i, j]
            estimates.append(
                ParameterEstimate(f"p_{i}_to_{j}_per_month", float(monthly[i, j]), se, "-")
            )
    notes = (note,) if note else ()
    matrix = tuple(tuple(float(x) for x in row) for row in monthly)
    meta = _meta(prices, returns.size, frequency)
    meta["first_date"] = returns.index[0].date()
    return ModelFit(
        "regime",
        tuple(estimates),
        log_likelihood=float(res.llf),
        notes=notes,
        transition_matrix_per_month=matrix,
        **meta,
    )


def _state_estimates(
    state: int, params: FloatArray, cov: FloatArray, i_mean: int, i_var: int, step: float
) -> list[ParameterEstimate]:
    """Annualised drift μ = (c + v/2)/Δ and volatility sqrt(v/Δ), delta-method SEs."""
    c, v = float(params[i_mean]), float(params[i_var])
    sub = cov[np.ix_([i_mean, i_var], [i_mean, i_var])]
    grad_mu = np.array([1.0 / step, 0.5 / step])
    grad_sigma = np.array([0.0, 0.5 / math.sqrt(v * step)])
    se_mu = math.sqrt(max(float(grad_mu @ sub @ grad_mu), 0.0))
    se_sigma = math.sqrt(max(float(grad_sigma @ sub @ grad_sigma), 0.0))
    return [
        ParameterEstimate(f"state{state}_drift_frac_per_year", (c + 0.5 * v) / step, se_mu, "1/yr"),
        ParameterEstimate(
            f"state{state}_volatility_frac_per_year", math.sqrt(v / step), se_sigma, "1/sqrt(yr)"
        ),
    ]


def _monthly_transition(
    trans: FloatArray, frequency: str, model: Any, res: Any, order: npt.NDArray[np.intp]
) -> tuple[FloatArray, FloatArray, str]:
    """The transition matrix over one month and its SEs (monthly data only)."""
    k = trans.shape[0]
    if frequency == "monthly":
        return trans, _transition_se(model, res, order), ""
    from scipy.linalg import fractional_matrix_power

    steps = (1.0 / 12.0) / STEP_YEARS[frequency]
    monthly = np.real(fractional_matrix_power(trans, steps))
    monthly = np.clip(monthly, 0.0, None)
    monthly /= monthly.sum(axis=1, keepdims=True)
    note = f"transition matrix raised to the power {steps:.3f} ({frequency} steps per month)"
    return monthly, np.full((k, k), np.nan), note


def _transition_se(model: Any, res: Any, order: npt.NDArray[np.intp]) -> FloatArray:
    """SEs of every ``P[from, to]`` (states reordered by ``order``).

    statsmodels estimates ``p[i->j]`` for ``j < k − 1``; the last column of each row is
    ``1 − Σ_j p[i->j]``, whose variance is the sum of that block of the covariance.
    """
    k = len(order)
    names = list(model.param_names)
    cov = np.asarray(res.cov_params())
    se = np.full((k, k), np.nan)
    for new_from, old_from in enumerate(order):
        free = [names.index(f"p[{old_from}->{j}]") for j in range(k - 1)]
        for new_to, old_to in enumerate(order):
            if old_to < k - 1:
                idx = free[old_to]
                var = float(cov[idx, idx])
            else:
                var = float(cov[np.ix_(free, free)].sum())
            se[new_from, new_to] = math.sqrt(var) if var >= 0 else math.nan
    return se


# --------------------------------------------------------------------------- fees


def fit_fees_baseline(
    path: str | Path,
    *,
    date_column: str = "date",
    fees_column: str = "drv_fees_btc",
    blocks_column: str = "drv_blocks_est",
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> ModelFit:
    """OU parameters of log baseline fees per block from an AR(1) on monthly medians. Ref [4].

    The median of daily fees per block in each month filters out short spikes; also
    reported is the median of the last 12 months (no standard error).
    """
    frame = load_daily_history(
        path,
        [fees_column, blocks_column],
        date_column=date_column,
        positive=[blocks_column],
        start_date=start_date,
        end_date=end_date,
    )
    per_block = (frame[fees_column] / frame[blocks_column]).clip(lower=1e-12)
    monthly = np.log(per_block.resample("ME").median().to_numpy(dtype=np.float64))
    x, y = monthly[:-1], monthly[1:]
    design = np.column_stack([np.ones_like(x), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    n = y.size
    s2 = float(resid @ resid) / (n - 2)
    cov = s2 * np.linalg.inv(design.T @ design)
    phi, se_phi = float(coef[1]), math.sqrt(float(cov[1, 1]))
    if not 0.0 < phi < 1.0:
        msg = f"AR(1) coefficient {phi:.3f} is outside (0, 1): no mean reversion to estimate"
        raise ValueError(msg)
    step = 1.0 / 12.0
    kappa = -math.log(phi) / step
    se_kappa = se_phi / (phi * step)
    s = math.sqrt(s2)
    ratio = 2.0 * kappa / (1.0 - phi**2)
    sigma = s * math.sqrt(ratio)
    dsigma_dphi = (
        s
        * 0.5
        / math.sqrt(ratio)
        * (-2.0 / (phi * step) * (1 - phi**2) + 4 * kappa * phi)
        / (1 - phi**2) ** 2
    )
    se_sigma = math.hypot(dsigma_dphi * se_phi, math.sqrt(ratio) * s / math.sqrt(2.0 * (n - 2)))
    recent = float(per_block.iloc[-365:].median())
    params = (
        ParameterEstimate("baseline_mean_reversion_per_year", kappa, se_kappa, "1/yr"),
        ParameterEstimate("baseline_volatility_frac_per_year", sigma, se_sigma, "1/sqrt(yr)"),
        ParameterEstimate("recent_median_btc_per_block", recent, float("nan"), "BTC/block"),
    )
    index = pd.DatetimeIndex(frame.index)
    return ModelFit(
        "fees_baseline",
        params,
        n_obs=n,
        frequency="monthly",
        first_date=index[0].date(),
        last_date=index[-1].date(),
        source=Path(path).name,
    )


# --------------------------------------------------------------------------- factory

ESTIMATORS: dict[str, Callable[..., ModelFit]] = {
    "gbm": fit_gbm,
    "jump": fit_jump,
    "regime": fit_regime,
}
"""BTC price estimators by model name."""


def fit_btc_price(model: str, prices: pd.Series, **options: Any) -> ModelFit:
    """Estimate the BTC price model ``model`` on ``prices``; unknown names list valid ones."""
    return lookup("BTC price estimator", model, ESTIMATORS)(prices, **options)
