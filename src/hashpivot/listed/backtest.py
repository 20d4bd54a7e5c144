"""The back-test: the self-mining model against what listed miners reported, quarter by quarter.

For each company-quarter of the packaged file ``hashpivot/data/backtest_reported.yaml``
(single sourced facts: the company's self-mining hashrate, BTC mined and self-mining
revenue, each with its release or filing), the model's figures come from the realised
network of that quarter alone, day by day, in the columns of ``btc_network_daily.csv``
(shared data SOURCES.md §1):

- ``share_frac(d) = H_company(d) / H_network(d)``: the company's share of the network
  hashrate, with ``H_company(d)`` the reported hashrate of the month (or quarter) holding
  day ``d`` [EH/s → TH/s] and ``H_network(d)`` = ``hashrate_ths_bc`` [TH/s];
- ``btc_mined_model = Σ_d share_frac(d) × R(d) × (1 - f)`` with ``R(d)`` =
  ``issuance_btc_cm(d) + drv_fees_btc(d)`` (subsidy plus fees issued that day) and ``f`` the
  pool fee: the expected BTC of that hashrate [BTC];
- ``self_mining_revenue_usd_model = Σ_d share_frac(d) × R(d) × price_usd_cm(d) × (1 - f)``
  [USD], i.e. hashprice (``drv_hashprice_usd_per_phs_day``) × the company's PH/s × days.

This is the expected value of the reported hashrate, the model's mining revenue
(:mod:`hashpivot.mining`: share of network × block reward × price). A company's luck,
curtailment counted inside an "average operating" figure or not, energised versus
operating hashrate, the price at which each day's coins are booked and pool fees are what
separates it from the reported figure; the rows carry the basis of each so the reader can
judge. The pool fee is deducted only where the file gives one (none of the 2024 sources
does; the rows say so).

The differences are what they are: nothing here is fitted to the reported figures.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from hashpivot.errors import HashpivotError, SpecError

TH_PER_EH = 1e6
"""Terahash per exahash [TH/EH] (SI prefixes)."""

HISTORY_COLUMNS = ("date", "hashrate_ths_bc", "issuance_btc_cm", "drv_fees_btc", "price_usd_cm")
"""Columns of the daily network history the back-test reads (``btc_network_daily.csv``)."""

METRICS = ("hashrate_eh_s", "btc_mined", "self_mining_revenue_usd")
"""Reported metrics of the file, with their units in the names."""

REVENUE_TARGET_MEDIAN_ABS_PCT = 10.0
"""Median absolute difference for self-mining revenue the model should stay within [%]
(issue 19's acceptance check; a target, not a fit)."""

LARGE_DIFF_PCT = 10.0
"""A row whose revenue differs by more than this gets a note pointing at its basis [%]
(assumption: the same threshold as the median target)."""


# --------------------------------------------------------------------------- pure formulas


def quarter_days(quarter: str) -> pd.DatetimeIndex:
    """The UTC days of a calendar quarter ``YYYY-Qn``."""
    year, q = _parse_quarter(quarter)
    start = dt.date(year, 3 * (q - 1) + 1, 1)
    end = (pd.Timestamp(start) + pd.offsets.QuarterEnd(0)).date()
    return pd.date_range(start, end, freq="D", name="date")


def _parse_quarter(quarter: str) -> tuple[int, int]:
    text = str(quarter).strip().upper()
    year, sep, q = text.partition("-Q")
    if not sep or not year.isdigit() or q not in ("1", "2", "3", "4"):
        raise SpecError([f"quarter: {quarter!r} — must be YYYY-Qn with n in 1..4"])
    return int(year), int(q)


def months_of(quarter: str) -> list[str]:
    """The three months ``YYYY-MM`` of a quarter."""
    year, q = _parse_quarter(quarter)
    return [f"{year}-{m:02d}" for m in range(3 * (q - 1) + 1, 3 * q + 1)]


def daily_hashrate_eh_s(quarter: str, by_period: dict[str, float]) -> pd.Series:
    """The company's hashrate on each day of the quarter [EH/s].

    ``by_period`` maps the quarter itself (one figure for all its days) or each of its
    three months (the month's figure for each of its days) to a hashrate.
    """
    days = quarter_days(quarter)
    if quarter in by_period:
        return pd.Series(float(by_period[quarter]), index=days)
    months = months_of(quarter)
    lacking = [m for m in months if m not in by_period]
    if lacking:
        raise SpecError([f"{quarter}: hashrate_eh_s has no figure for {', '.join(lacking)}"])
    keys = days.strftime("%Y-%m")
    return pd.Series([float(by_period[k]) for k in keys], index=days)


def share_of_network_frac(company_eh_s: pd.Series, network_ths: pd.Series) -> pd.Series:
    """The company's share of the network hashrate each day [-]: EH/s × 1e6 / TH/s."""
    return company_eh_s * TH_PER_EH / network_ths


def expected_btc(
    share_frac: pd.Series, revenue_btc_per_day: pd.Series, pool_fee_frac: float = 0.0
) -> float:
    """Expected BTC over the days: Σ share × (subsidy + fees issued that day) × (1 - pool fee)."""
    return float((share_frac * revenue_btc_per_day).sum() * (1.0 - pool_fee_frac))


def expected_revenue_usd(
    share_frac: pd.Series,
    revenue_btc_per_day: pd.Series,
    price_usd: pd.Series,
    pool_fee_frac: float = 0.0,
) -> float:
    """Expected USD over the days: Σ share × (subsidy + fees) × that day's price × (1 - fee)."""
    return float((share_frac * revenue_btc_per_day * price_usd).sum() * (1.0 - pool_fee_frac))


def pct_difference(model: float, reported: float) -> float:
    """(model − reported) / reported × 100 [%]."""
    return (model - reported) / reported * 100.0


# --------------------------------------------------------------------------- reported file


@dataclass(frozen=True)
class Figure:
    """One reported fact with its source."""

    metric: str
    period: str
    value: float
    source_url: str
    published: str
    secondary: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON form (keys as the file's)."""
        return {
            "metric": self.metric,
            "period": self.period,
            "value": self.value,
            "source_url": self.source_url,
            "published": self.published,
            "secondary": self.secondary,
        }


@dataclass(frozen=True)
class ReportedQuarter:
    """What one company reported for one quarter."""

    ticker: str
    quarter: str
    hashrate_basis: str
    figures: tuple[Figure, ...]
    note: str = ""
    pool_fee_frac: float | None = None
    pool_fee_note: str = ""

    def by_metric(self, metric: str) -> dict[str, float]:
        """The figures of one metric by period (a month or the quarter)."""
        return {f.period: f.value for f in self.figures if f.metric == metric}

    def total(self, metric: str) -> float:
        """The quarter's BTC or revenue: its own figure, else the sum of its three months."""
        values = self.by_metric(metric)
        if self.quarter in values:
            return values[self.quarter]
        lacking = [m for m in months_of(self.quarter) if m not in values]
        if lacking:
            raise SpecError(
                [f"{self.ticker} {self.quarter}: {metric} has no figure for {', '.join(lacking)}"]
            )
        return float(sum(values[m] for m in months_of(self.quarter)))


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _figure(f: Any, where: str) -> Figure:
    """One figure of the file; a ValueError naming the field on a bad one."""
    metric = str(f["metric"])
    if metric not in METRICS:
        raise ValueError(f"{where}.metric: {metric!r} — must be one of {', '.join(METRICS)}")
    value = float(f["value"])
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{where}.value: {f['value']!r} — must be a number > 0")
    return Figure(
        metric=metric,
        period=_text(f["period"]).upper(),
        value=value,
        source_url=str(f["source_url"]),
        published=_text(f["published"]),
        secondary=bool(f["secondary"]),
    )


def parse_reported(data: Any, source: str = "backtest_reported.yaml") -> list[ReportedQuarter]:
    """The quarters of a mapping shaped like the packaged file (see its header)."""
    if not isinstance(data, dict) or not isinstance(data.get("quarters"), list):
        raise SpecError(["quarters: missing — must be a list of company-quarters"], source)
    problems: list[str] = []
    companies = data.get("companies") or {}
    out: list[ReportedQuarter] = []
    for i, q in enumerate(data["quarters"]):
        where = f"quarters[{i}]"
        try:
            ticker = str(q["ticker"]).upper()
            quarter = _text(q["quarter"]).upper()
            _parse_quarter(quarter)
            figures = tuple(_figure(f, f"{where}.figures[{j}]") for j, f in enumerate(q["figures"]))
        except KeyError as exc:
            problems.append(f"{where}: {exc} missing — each figure needs metric, period, value, "
                            "source_url, published, secondary")  # fmt: skip
            continue
        except (TypeError, ValueError, SpecError) as exc:
            problems.append(f"{where}: {exc}")
            continue
        company = companies.get(ticker) or {}
        fee = company.get("pool_fee_frac")
        out.append(
            ReportedQuarter(
                ticker=ticker,
                quarter=quarter,
                hashrate_basis=str(q.get("hashrate_basis", "")),
                figures=figures,
                note=str(q.get("note", "")),
                pool_fee_frac=None if fee is None else float(fee),
                pool_fee_note=str(company.get("pool_fee_note", "")),
            )
        )
    if problems:
        raise SpecError(problems, source)
    return out


def load_reported() -> list[ReportedQuarter]:
    """The packaged ``backtest_reported.yaml``."""
    text = resources.files("hashpivot.data").joinpath("backtest_reported.yaml").read_text("utf-8")
    return parse_reported(yaml.safe_load(text))


# --------------------------------------------------------------------------- network history


def read_network_history(path: Path) -> pd.DataFrame:
    """Daily network history: hashrate [TH/s], BTC issued + fees [BTC/day], price [USD/BTC].

    Reads the columns :data:`HISTORY_COLUMNS` of a CSV like ``btc_network_daily.csv``;
    returns a frame indexed by day with ``network_ths``, ``revenue_btc`` and ``price_usd``
    (rows lacking any of them are dropped, so a quarter they fall in is reported as not
    covered).
    """
    path = Path(path)
    if not path.is_file():
        msg = f"--history: '{path}' — no such file (the daily network history, e.g. "
        raise HashpivotError(msg + "btc_network_daily.csv)")
    head = pd.read_csv(path, nrows=0)
    lacking = [c for c in HISTORY_COLUMNS if c not in head.columns]
    if lacking:
        need = ", ".join(HISTORY_COLUMNS)
        raise HashpivotError(
            f"--history: '{path.name}' has no column {', '.join(lacking)} (needs {need})"
        )
    raw = pd.read_csv(path, usecols=list(HISTORY_COLUMNS))
    days = pd.to_datetime(raw["date"], errors="coerce")
    frame = pd.DataFrame(
        {
            "network_ths": pd.to_numeric(raw["hashrate_ths_bc"], errors="coerce").to_numpy(),
            "revenue_btc": (
                pd.to_numeric(raw["issuance_btc_cm"], errors="coerce")
                + pd.to_numeric(raw["drv_fees_btc"], errors="coerce")
            ).to_numpy(),
            "price_usd": pd.to_numeric(raw["price_usd_cm"], errors="coerce").to_numpy(),
        },
        index=pd.DatetimeIndex(days, name="date"),
    )
    frame = frame.loc[frame.index.notna()].dropna()
    return frame.loc[frame["network_ths"] > 0].sort_index()


# --------------------------------------------------------------------------- the back-test


@dataclass(frozen=True)
class BacktestRow:
    """One company-quarter: reported against modelled."""

    ticker: str
    quarter: str
    hashrate_basis: str
    hashrate_eh_s: float
    days: int
    btc_mined: float
    self_mining_revenue_usd: float
    btc_mined_model: float | None
    self_mining_revenue_usd_model: float | None
    pool_fee_frac: float
    notes: tuple[str, ...]
    sources: tuple[Figure, ...]

    @property
    def btc_mined_diff_pct(self) -> float | None:
        """Model BTC against reported [%] (None when the history does not cover the quarter)."""
        return (
            None
            if self.btc_mined_model is None
            else pct_difference(self.btc_mined_model, self.btc_mined)
        )

    @property
    def self_mining_revenue_diff_pct(self) -> float | None:
        """Model revenue against reported [%] (None when not covered)."""
        if self.self_mining_revenue_usd_model is None:
            return None
        return pct_difference(self.self_mining_revenue_usd_model, self.self_mining_revenue_usd)

    def to_dict(self) -> dict[str, Any]:
        """JSON form: reported, model and difference side by side, with the sources."""
        return {
            "ticker": self.ticker,
            "quarter": self.quarter,
            "hashrate_basis": self.hashrate_basis,
            "hashrate_eh_s": self.hashrate_eh_s,
            "days": self.days,
            "pool_fee_frac": self.pool_fee_frac,
            "btc_mined": self.btc_mined,
            "btc_mined_model": self.btc_mined_model,
            "btc_mined_diff_pct": self.btc_mined_diff_pct,
            "self_mining_revenue_usd": self.self_mining_revenue_usd,
            "self_mining_revenue_usd_model": self.self_mining_revenue_usd_model,
            "self_mining_revenue_diff_pct": self.self_mining_revenue_diff_pct,
            "notes": list(self.notes),
            "sources": [f.to_dict() for f in self.sources],
        }


@dataclass(frozen=True)
class BacktestResult:
    """The back-test's rows and their summary."""

    rows: tuple[BacktestRow, ...]
    history_file: str
    history_end: str
    notes: tuple[str, ...] = field(default=())

    def _abs_diffs(self, name: str) -> list[float]:
        values = [getattr(r, name) for r in self.rows]
        return [abs(v) for v in values if v is not None]

    @property
    def median_abs_revenue_diff_pct(self) -> float | None:
        """Median over the covered rows of |revenue difference| [%]."""
        diffs = self._abs_diffs("self_mining_revenue_diff_pct")
        return statistics.median(diffs) if diffs else None

    @property
    def median_abs_btc_diff_pct(self) -> float | None:
        """Median over the covered rows of |BTC difference| [%]."""
        diffs = self._abs_diffs("btc_mined_diff_pct")
        return statistics.median(diffs) if diffs else None

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the summary, the rows and the notes."""
        median = self.median_abs_revenue_diff_pct
        return {
            "history_file": self.history_file,
            "history_end": self.history_end,
            "company_quarters": sum(r.self_mining_revenue_usd_model is not None for r in self.rows),
            "median_abs_revenue_diff_pct": median,
            "median_abs_btc_diff_pct": self.median_abs_btc_diff_pct,
            "revenue_target_median_abs_pct": REVENUE_TARGET_MEDIAN_ABS_PCT,
            "revenue_target_met": None
            if median is None
            else median <= REVENUE_TARGET_MEDIAN_ABS_PCT,
            "rows": [r.to_dict() for r in self.rows],
            "notes": list(self.notes),
        }


def backtest_quarter(q: ReportedQuarter, history: pd.DataFrame) -> BacktestRow:
    """One company-quarter against the network history (None model figures when not covered)."""
    days = quarter_days(q.quarter)
    company = daily_hashrate_eh_s(q.quarter, q.by_metric("hashrate_eh_s"))
    fee = q.pool_fee_frac if q.pool_fee_frac is not None else 0.0
    notes: list[str] = []
    if q.pool_fee_frac is None:
        notes.append(f"no pool fee deducted ({q.pool_fee_note or 'none stated in the sources'})")
    else:
        notes.append(f"pool fee {q.pool_fee_frac:.3%} deducted")
    if q.note:
        notes.append(q.note)
    covered = history.reindex(days)
    btc_model: float | None = None
    usd_model: float | None = None
    if covered.isna().any(axis=None):
        missing = int(covered.isna().any(axis=1).sum())
        notes.append(f"not covered: the network history lacks {missing} of the quarter's "
                     f"{len(days)} days, so no model figure")  # fmt: skip
    else:
        share = share_of_network_frac(company, covered["network_ths"])
        btc_model = expected_btc(share, covered["revenue_btc"], fee)
        usd_model = expected_revenue_usd(share, covered["revenue_btc"], covered["price_usd"], fee)
    if usd_model is not None:
        diff = pct_difference(usd_model, q.total("self_mining_revenue_usd"))
        if abs(diff) > LARGE_DIFF_PCT:
            notes.append(f"large difference ({diff:+.1f} %): see the hashrate basis and the note")
    secondary = sorted({f.metric for f in q.figures if f.secondary})
    if secondary:
        notes.append(f"secondary source (a write-up of the release) for {', '.join(secondary)}")
    return BacktestRow(
        ticker=q.ticker,
        quarter=q.quarter,
        hashrate_basis=q.hashrate_basis,
        hashrate_eh_s=float(np.mean(company.to_numpy())),
        days=len(days),
        btc_mined=q.total("btc_mined"),
        self_mining_revenue_usd=q.total("self_mining_revenue_usd"),
        btc_mined_model=btc_model,
        self_mining_revenue_usd_model=usd_model,
        pool_fee_frac=fee,
        notes=tuple(notes),
        sources=q.figures,
    )


def backtest(
    history_path: Path,
    tickers: Sequence[str] = (),
    reported: Iterable[ReportedQuarter] | None = None,
) -> BacktestResult:
    """Every reported company-quarter (or those of ``tickers``) against the network history."""
    quarters = list(load_reported() if reported is None else reported)
    wanted = {t.strip().upper() for t in tickers if t.strip()}
    known = sorted({q.ticker for q in quarters})
    unknown = sorted(wanted - set(known))
    if unknown:
        msg = f"tickers: {', '.join(unknown)} — the back-test has reported quarters for "
        raise HashpivotError(msg + f"{', '.join(known)} only")
    if wanted:
        quarters = [q for q in quarters if q.ticker in wanted]
    history = read_network_history(history_path)
    rows = tuple(backtest_quarter(q, history) for q in quarters)
    notes = (
        "model = Σ over the quarter's days of (reported hashrate / network hashrate) × "
        "(BTC issued + fees that day) [× that day's price], less a pool fee where the "
        "company states one; network from the history file (hashrate_ths_bc, "
        "issuance_btc_cm + drv_fees_btc, price_usd_cm)",
        "reported: the company's own release or filing (secondary: a write-up of it), each "
        "figure's URL in the row's sources; monthly figures are unaudited estimates",
        "hashrate basis differs: IREN and RIOT publish the month's average operating "
        "hashrate (curtailment and downtime already out), CORZ only energised hash rate at "
        "month or quarter end and WULF capacity at quarter end (the model then counts hours "
        "the fleet was curtailed, down or not yet installed)",
        "IREN's rows agree within about 1 %, which suggests its monthly average operating hashrate "
        "is measured from what the pool credited (realised), so they check the network data "
        "and the arithmetic more than the model's assumptions",
        f"target: median absolute revenue difference within {REVENUE_TARGET_MEDIAN_ABS_PCT:g} % "
        "(nothing is fitted to it)",
    )
    end = history.index.max()
    return BacktestResult(
        rows, Path(history_path).name, "" if pd.isna(end) else end.date().isoformat(), notes
    )
