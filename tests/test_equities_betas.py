import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from _synthetic_equities import AI_ON_BTC, EXPOSURES, synthetic_market, write_synthetic_csvs
from hashpivot.cli import app
from hashpivot.equities import betas as eq
from hashpivot.equities import data as ed
from hashpivot.errors import HashpivotError, SpecError, UnknownNameError

runner = CliRunner()
EQUITIES_CSV = "equities_adj_close_daily_2018_2026.csv"


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "160", "NO_COLOR": "1"})


@pytest.fixture(scope="module")
def synth_panel() -> pd.DataFrame:
    prices, btc = synthetic_market()
    return ed.build_return_panel(prices, btc)


@pytest.fixture(scope="module")
def synth_result(synth_panel: pd.DataFrame) -> eq.FactorModelResult:
    return eq.fit_factor_model(synth_panel, "NVDA")


# --------------------------------------------------------------------------- recovery


@pytest.mark.parametrize("ticker", sorted(EXPOSURES))
def test_known_betas_recovered_within_0_05(synth_result: eq.FactorModelResult, ticker: str) -> None:
    b_btc, b_ai = EXPOSURES[ticker]
    row = synth_result.full.loc[ticker]
    assert row["beta_btc"] == pytest.approx(b_btc, abs=0.05)
    assert row["beta_ai"] == pytest.approx(b_ai, abs=0.05)
    assert row["beta_btc_partial"] == pytest.approx(b_btc - b_ai * AI_ON_BTC, abs=0.05)
    years = synth_result.per_year[synth_result.per_year["ticker"] == ticker]
    assert len(years) >= 5
    assert np.allclose(years["beta_btc"], b_btc, atol=0.15)
    last = synth_result.rolling[synth_result.rolling["ticker"] == ticker].iloc[-1]
    assert last["beta_ai"] == pytest.approx(b_ai, abs=0.25)


def test_labels_follow_the_exposures(synth_result: eq.FactorModelResult) -> None:
    labels = synth_result.full["label"].to_dict()
    assert labels["MINR"] == "BTC-driven"
    assert labels["AIDC"] == "AI-driven"
    assert labels["MIXD"] == "mixed"


def test_market_factor_betas_recovered() -> None:
    prices, btc = synthetic_market(seed=3)
    panel = ed.build_return_panel(prices, btc)
    res = eq.fit_factor_model(panel, "NVDA", "SPY")
    for ticker, (b_btc, b_ai) in EXPOSURES.items():
        row = res.full.loc[ticker]
        # the market factor carries no exposure; BTC's beta is partial w.r.t. the market
        assert row["beta_market"] == pytest.approx(0.0, abs=0.1)
        assert row["beta_ai"] == pytest.approx(b_ai, abs=0.05)
        assert row["beta_btc"] == pytest.approx(b_btc, abs=0.05)
    assert "SPY" not in res.full.index


def test_log_returns_recover_betas_too() -> None:
    prices, btc = synthetic_market(seed=5)
    panel = ed.build_return_panel(prices, btc, kind="log")
    res = eq.fit_factor_model(panel, "NVDA", tickers=["MINR"])
    assert res.full.loc["MINR", "beta_btc"] == pytest.approx(1.5, abs=0.05)


# --------------------------------------------------------------------------- orthogonalisation


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(min_value=12, max_value=300),
    loading=st.floats(min_value=-3.0, max_value=3.0),
    k=st.integers(min_value=1, max_value=2),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_orthogonalised_factor_is_uncorrelated_with_what_it_was_cleaned_of(
    n: int, loading: float, k: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    against = rng.normal(0.0, 0.03, (n, k))
    target = loading * against[:, 0] + rng.normal(0.0, 0.02, n)
    resid, coef = eq.orthogonalise(target, against)
    assert abs(resid.mean()) < 1e-12
    for j in range(k):
        assert abs(float(np.dot(resid, against[:, j] - against[:, j].mean()))) < 1e-10
    assert np.allclose(
        target - resid - (target - resid).mean(), against @ coef - (against @ coef).mean()
    )


@settings(max_examples=30, deadline=None)
@given(
    b_btc=st.floats(-2, 2),
    b_ai=st.floats(-2, 2),
    g=st.floats(-1, 1),
    seed=st.integers(0, 10_000),
)
def test_orthogonalisation_keeps_r2_and_the_ai_beta(
    b_btc: float, b_ai: float, g: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    n = 120
    btc = rng.normal(0, 0.03, n)
    ai = g * btc + rng.normal(0, 0.02, n)
    y = b_btc * btc + b_ai * ai + rng.normal(0, 0.01, n)
    idx = pd.RangeIndex(n)
    fit = eq.fit_factor_betas(pd.Series(y, idx), pd.Series(btc, idx), pd.Series(ai, idx))
    raw = sm.OLS(y, sm.add_constant(np.column_stack([btc, ai]))).fit()
    uni = sm.OLS(y, sm.add_constant(btc)).fit()
    assert fit.r2 == pytest.approx(raw.rsquared, abs=1e-10)
    assert fit.beta_ai == pytest.approx(raw.params[2], abs=1e-9)  # Frisch-Waugh-Lovell
    assert fit.beta_btc_partial == pytest.approx(raw.params[1], abs=1e-9)
    assert fit.beta_btc == pytest.approx(uni.params[1], abs=1e-9)  # whole BTC exposure
    assert fit.std_beta_btc**2 + fit.std_beta_ai**2 == pytest.approx(fit.r2, rel=1e-6, abs=1e-12)


# --------------------------------------------------------------------------- HAC


def _newey_west_se(x: np.ndarray, resid: np.ndarray, lags: int) -> np.ndarray:
    """Textbook Newey-West (1987): Bartlett weights 1 - l/(L+1), no small-sample factor."""
    scores = x * resid[:, None]
    s = scores.T @ scores
    for lag in range(1, lags + 1):
        w = 1.0 - lag / (lags + 1.0)
        gamma = scores[lag:].T @ scores[:-lag]
        s += w * (gamma + gamma.T)
    bread = np.linalg.inv(x.T @ x)
    return np.sqrt(np.diag(bread @ s @ bread))


def test_hac_errors_match_statsmodels_and_newey_west_for_a_fixed_case() -> None:
    rng = np.random.default_rng(20240603)
    n = 400
    btc = rng.normal(0, 0.035, n)
    ai = 0.5 * btc + rng.normal(0, 0.02, n)
    e = np.zeros(n)
    shocks = rng.normal(0, 0.02, n) * (1 + 5 * np.abs(btc))
    for t in range(1, n):  # autocorrelated and heteroskedastic errors
        e[t] = 0.4 * e[t - 1] + shocks[t]
    y = 0.001 + 1.1 * btc + 0.6 * ai + e
    idx = pd.date_range("2022-01-03", periods=n, freq="B")
    fit = eq.fit_factor_betas(pd.Series(y, idx), pd.Series(btc, idx), pd.Series(ai, idx))
    assert fit.hac_maxlags == eq.newey_west_maxlags(n) == 5

    ai_orth, _ = eq.orthogonalise(ai, btc)
    x = sm.add_constant(np.column_stack([btc, ai_orth]))
    ref = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": 5})
    assert [fit.se_btc, fit.se_ai] == pytest.approx(list(ref.bse[1:]), rel=1e-10)
    assert [fit.t_btc, fit.t_ai] == pytest.approx(list(ref.tvalues[1:]), rel=1e-10)
    assert fit.r2 == pytest.approx(ref.rsquared, rel=1e-12)
    by_hand = _newey_west_se(x, ref.resid, 5)
    assert [fit.se_btc, fit.se_ai] == pytest.approx(list(by_hand[1:]), rel=1e-10)


@pytest.mark.parametrize(("n", "lags"), [(100, 4), (250, 4), (400, 5), (1760, 7)])
def test_newey_west_lag_rule(n: int, lags: int) -> None:
    assert eq.newey_west_maxlags(n) == lags


# --------------------------------------------------------------------------- rolling, labels


@pytest.mark.parametrize("market", [None, "SPY"])
def test_rolling_betas_equal_a_direct_fit_on_the_last_window(
    synth_panel: pd.DataFrame, market: str | None
) -> None:
    p = synth_panel
    mkt = p[market] if market else None
    roll = eq.rolling_factor_betas(p["MIXD"], p["BTC"], p["NVDA"], mkt, window_days=126)
    tail = p.dropna().iloc[-126:]
    direct = eq.fit_factor_betas(
        tail["MIXD"], tail["BTC"], tail["NVDA"], tail[market] if market else None
    )
    last = roll.iloc[-1]
    assert last["beta_btc"] == pytest.approx(direct.beta_btc, abs=1e-9)
    assert last["beta_ai"] == pytest.approx(direct.beta_ai, abs=1e-9)
    assert last["r2"] == pytest.approx(direct.r2, abs=1e-9)
    if market:
        assert last["beta_market"] == pytest.approx(direct.beta_market, abs=1e-9)
    assert len(roll) == len(p.dropna()) - 125


def test_label_rule_on_arrays() -> None:
    labels = eq.label_exposure(
        t_btc=[5.0, 5.0, 5.0, 1.0, 5.0, 0.5, 8.0],
        t_ai=[1.0, 5.0, 5.0, 5.0, 5.0, 0.5, 8.0],
        std_beta_btc=[0.5, 0.5, 0.3, 0.1, 0.5, 0.5, 0.05],
        std_beta_ai=[0.1, 0.2, 0.3, 0.5, -0.3, 0.5, 0.5],
    )
    assert list(labels) == [
        "BTC-driven",  # AI not significant
        "BTC-driven",  # both significant, BTC 2.5x AI
        "mixed",
        "AI-driven",
        "mixed",  # sign ignored: |-0.3| vs 0.5
        "neither",
        "AI-driven",  # BTC significant but negligible (std beta 0.05 < 0.1)
    ]


# --------------------------------------------------------------------------- calendar


def test_btc_close_of_each_trading_day_spans_the_weekend() -> None:
    prices, btc = synthetic_market(n_days=40)
    panel = ed.build_return_panel(prices, btc)
    monday = next(d for d in panel.index if d.day_of_week == 0)
    friday = monday - pd.Timedelta(days=3)
    assert panel.loc[monday, "BTC"] == pytest.approx(btc[monday] / btc[friday] - 1)
    assert set(panel.index.day_of_week) <= {0, 1, 2, 3, 4}


def test_missing_btc_day_is_carried_but_a_series_is_never_extended() -> None:
    days = pd.DatetimeIndex(["2024-12-27", "2024-12-30", "2024-12-31", "2025-01-02"])
    btc = pd.Series(
        [100.0, 101.0, 103.0],
        index=pd.DatetimeIndex(["2024-12-27", "2024-12-29", "2024-12-31"]),
    )
    out = ed.align_btc_to_trading_days(btc, days)
    assert out.tolist()[:3] == [100.0, 101.0, 103.0]  # 12-30 takes the 12-29 close
    assert np.isnan(out.iloc[3])  # the series ends 12-31: not carried to 2025


def test_stale_btc_beyond_the_tolerance_is_nan() -> None:
    btc = pd.Series([100.0, 200.0], index=pd.DatetimeIndex(["2024-01-01", "2024-01-20"]))
    out = ed.align_btc_to_trading_days(btc, pd.DatetimeIndex(["2024-01-02", "2024-01-10"]))
    assert out.iloc[0] == 100.0
    assert np.isnan(out.iloc[1])


def test_returns_kinds_and_unknown_kind() -> None:
    prices = pd.DataFrame({"A": [100.0, 110.0, 99.0]}, index=pd.date_range("2024-01-01", periods=3))
    assert ed.returns_frac(prices)["A"].tolist() == pytest.approx([0.1, -0.1])
    assert ed.returns_frac(prices, "log")["A"].tolist() == pytest.approx([np.log(1.1), np.log(0.9)])
    with pytest.raises(UnknownNameError, match="valid names: simple, log"):
        ed.returns_frac(prices, "logs")


# --------------------------------------------------------------------------- bad data


def _write(tmp_path: Path, text: str, name: str = "p.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_non_positive_price_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,MARA,NVDA\n2024-01-02,10,5\n2024-01-03,0,5\n2024-01-04,-1,5\n")
    with pytest.raises(SpecError, match=r"MARA: 0 on 2024-01-03, -1 on 2024-01-04 .*> 0"):
        ed.read_prices_csv(path)


def test_duplicated_dates_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,MARA\n2024-01-02,10\n2024-01-02,11\n2024-01-03,12\n")
    with pytest.raises(SpecError, match=r"date: 2024-01-02 — duplicated"):
        ed.read_prices_csv(path)


def test_unparseable_date_and_text_price_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,MARA\n2024-01-02,10\nyesterday,11\n")
    with pytest.raises(SpecError, match="'yesterday' — not a date"):
        ed.read_prices_csv(path)
    path = _write(tmp_path, "date,MARA\n2024-01-02,10\n2024-01-03,n/a?\n")
    with pytest.raises(SpecError, match=r"MARA: 'n/a\?' on 2024-01-03 — not a number"):
        ed.read_prices_csv(path)


def test_missing_file_and_missing_date_column(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="file not found"):
        ed.read_prices_csv(tmp_path / "nope.csv")
    with pytest.raises(SpecError, match="no `date` column"):
        ed.read_prices_csv(_write(tmp_path, "day,MARA\n2024-01-02,10\n"))


def test_long_format_is_read_and_duplicated_pairs_refused(tmp_path: Path) -> None:
    text = "date,ticker,adj_close\n2024-01-02,MARA,10\n2024-01-02,NVDA,5\n2024-01-03,MARA,11\n"
    wide = ed.read_prices_csv(_write(tmp_path, text))
    assert list(wide.columns) == ["MARA", "NVDA"]
    assert np.isnan(wide.loc["2024-01-03", "NVDA"])
    text += "2024-01-03,MARA,12\n"
    with pytest.raises(SpecError, match=r"MARA 2024-01-03 — duplicated"):
        ed.read_prices_csv(_write(tmp_path, text))


def test_btc_file_column_detection(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,price_usd_cm,other\n2024-01-01,,1\n2024-01-02,42000,1\n", "b.csv")
    btc = ed.read_btc_price_csv(path)
    assert btc.name == "BTC"
    assert btc.tolist() == [42000.0]  # the row before coverage is dropped
    with pytest.raises(UnknownNameError, match="closest: price_usd_cm"):
        ed.read_btc_price_csv(path, "price_usd")


def test_too_short_history_gives_a_clear_message_not_nan_rows(synth_panel: pd.DataFrame) -> None:
    panel = synth_panel.copy()
    panel["NEWCO"] = np.nan
    panel.iloc[-60:, panel.columns.get_loc("NEWCO")] = 0.01 * np.sin(np.arange(60))
    res = eq.fit_factor_model(panel, "NVDA")
    assert "NEWCO" not in res.full.index
    assert res.skipped["NEWCO"].startswith("60 daily returns overlap BTC, NVDA")
    assert "needs at least 126" in res.skipped["NEWCO"]
    assert not res.full[["beta_btc", "beta_ai", "r2"]].isna().any().any()
    with pytest.raises(eq.InsufficientHistoryError, match="NEWCO: 60 daily returns"):
        eq.fit_factor_model(panel, "NVDA", tickers=["NEWCO"])


def test_unknown_factor_and_factor_as_ticker_refused(synth_panel: pd.DataFrame) -> None:
    with pytest.raises(UnknownNameError, match="unknown factor column 'NVDX'; closest: NVDA"):
        eq.fit_factor_model(synth_panel, "NVDX")
    with pytest.raises(HashpivotError, match="ticker NVDA is also a factor"):
        eq.fit_factor_model(synth_panel, "NVDA", tickers=["MINR", "NVDA"])
    with pytest.raises(HashpivotError, match="factors must differ"):
        eq.fit_factor_model(synth_panel, "SPY", "SPY")


def test_missing_yfinance_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yfinance", None)  # import now raises ImportError
    with pytest.raises(HashpivotError, match=r"pip install yfinance.*--prices"):
        ed.fetch_adj_close_yfinance(["MARA"], "2024-01-01")


def test_result_frames(synth_result: eq.FactorModelResult) -> None:
    tidy = synth_result.to_frame()
    assert set(tidy.columns) == {"ticker", "period", "field", "value"}
    assert {"full", "2020"} <= set(tidy["period"])
    summary = synth_result.summary()
    assert sorted(summary["ticker"]) == ["AIDC", "MINR", "MIXD", "SPY"]
    assert "beta_market" not in summary.columns  # no market factor, no market columns


# --------------------------------------------------------------------------- CLI


@pytest.fixture(scope="module")
def synth_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_synthetic_csvs(tmp_path_factory.mktemp("synth"))


def test_cli_betas_json(synth_files: tuple[Path, Path]) -> None:
    prices, btc = synth_files
    res = invoke("betas", "--prices", str(prices), "--btc", str(btc), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    minr = out["tickers"]["MINR"]
    assert minr["beta_btc"] == pytest.approx(1.5, abs=0.05)
    for key in ("beta_btc", "beta_ai", "r2", "per_year", "label", "rolling_last"):
        assert key in minr
    row = minr["per_year"][0]
    assert {"year", "beta_btc", "beta_ai", "label"} <= set(row)
    assert out["settings"]["ai_factor"] == "NVDA"


def test_cli_betas_btc_column_in_the_prices_file(tmp_path: Path) -> None:
    # one file: BTC on every calendar day, stocks NaN on weekends
    prices, btc = synthetic_market(n_days=300)
    wide = prices.reindex(btc.index).assign(BITCOIN=btc).rename_axis("date").reset_index()
    assert wide["MINR"].isna().sum() > 80
    path = tmp_path / "all.csv"
    wide.to_csv(path, index=False, date_format="%Y-%m-%d")
    args = ["--ai-column", "NVDA", "--market", "SPY", "--tickers", "MINR,AIDC", "--json"]
    res = invoke("betas", "--prices", str(path), "--btc-column", "BITCOIN", *args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert sorted(out["tickers"]) == ["AIDC", "MINR"]
    assert out["tickers"]["AIDC"]["beta_ai"] == pytest.approx(1.2, abs=0.1)
    # the same numbers as with prices and BTC in two files
    p_path, b_path = tmp_path / "p.csv", tmp_path / "b.csv"
    prices.reset_index().to_csv(p_path, index=False, date_format="%Y-%m-%d")
    btc.rename_axis("date").reset_index().to_csv(b_path, index=False, date_format="%Y-%m-%d")
    two = json.loads(invoke("betas", "--prices", str(p_path), "--btc", str(b_path), *args).stdout)
    assert two["tickers"]["MINR"]["beta_btc"] == pytest.approx(
        out["tickers"]["MINR"]["beta_btc"], rel=1e-12
    )
    same = invoke("betas", "--prices", str(path), "--btc", "BITCOIN", "--tickers", "MINR", "--json")
    assert same.exit_code == 0, same.output


def test_cli_betas_table_and_report(synth_files: tuple[Path, Path], tmp_path: Path) -> None:
    prices, btc = synth_files
    report = tmp_path / "betas.html"
    res = invoke("betas", "--prices", str(prices), "--btc", str(btc), "--report", str(report))
    assert res.exit_code == 0, res.output
    assert "Full-period betas" in res.stdout
    assert "BTC-driven" in res.stdout
    text = report.read_text(encoding="utf-8")
    assert "Rolling betas" in text
    assert "Exposure label by year" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "--prices FILE is required"),
        (["--prices", "{prices}"], "no BTC price series: pass --btc FILE"),
        (["--prices", "{prices}", "--btc", "nope.csv"], "BTC file not found"),
        (["--prices", "{prices}", "--btc", "{btc}", "--ai-factor", "NVDX"], "closest: NVDA"),
        (["--prices", "{bad}", "--btc", "{btc}"], "prices must be finite and > 0"),
    ],
)
def test_cli_betas_bad_input_exit_2(
    synth_files: tuple[Path, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    prices, btc = synth_files
    bad = _write(tmp_path, "date,MARA,NVDA\n2024-01-02,10,5\n2024-01-03,-2,5\n")
    fill = {"prices": str(prices), "btc": str(btc), "bad": str(bad)}
    res = invoke("betas", *[a.format(**fill) for a in args])
    assert res.exit_code == 2
    assert message in " ".join(res.output.split())
    assert "Traceback" not in res.output


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real_panel() -> pd.DataFrame:
    from conftest import shared_data_dir

    folder = shared_data_dir()
    if not (folder / EQUITIES_CSV).is_file():
        pytest.skip(f"{EQUITIES_CSV} not found in {folder}; set HASHPIVOT_SHARED_DATA")
    return ed.load_return_panel(folder / EQUITIES_CSV, folder / "btc_network_daily.csv")


def test_real_data_every_ticker_has_betas_or_a_reason(
    shared_data: Path, real_panel: pd.DataFrame
) -> None:
    res = eq.fit_factor_model(real_panel, "NVDA")
    tickers = [c for c in real_panel.columns if c not in ("BTC", "NVDA")]
    assert sorted([*res.full.index, *res.skipped]) == sorted(tickers)
    assert not res.full.isna().any().any()
    assert not res.per_year.isna().any().any()
    assert "beta_market" not in res.full.columns
    # GLXY lists in 2025, after the BTC file's last day: a message, not a row of NaN
    assert "GLXY" in res.skipped
    assert "0 daily returns overlap" in res.skipped["GLXY"]
    assert "BTC returns end 2024-12-31" in res.notes[""][0]
    # miners load on BTC (fact sheet F: 2-3x operating leverage), SMH on the AI factor
    assert res.full.loc["MARA", "beta_btc"] > 0.7
    assert res.full.loc["MARA", "label"] == "BTC-driven"
    assert res.full.loc["SMH", "label"] == "AI-driven"
    assert set(res.per_year["label"]) <= set(eq.LABELS)


def test_real_data_cli_betas_json(shared_data: Path) -> None:
    res = invoke(
        "betas", "--prices", str(shared_data / EQUITIES_CSV),
        "--btc", str(shared_data / "btc_network_daily.csv"), "--ai-factor", "SMH",
        "--market", "SPY", "--json",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert "MARA" in out["tickers"]
    assert out["skipped"]["GLXY"].startswith("0 daily returns")
    assert all(r["label"] in eq.LABELS for t in out["tickers"].values() for r in t["per_year"])
