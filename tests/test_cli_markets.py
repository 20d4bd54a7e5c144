"""``hashpivot estimate``: market-model fits from a history file, printed and as JSON."""

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from hashpivot.cli import app
from hashpivot.spec import default_scenario, scenario_from_dict

runner = CliRunner()

DRIFT_LOG_PER_DAY = 0.0004
VOL_PER_DAY = 0.03


def invoke(*args: str):
    return runner.invoke(app, ["estimate", *args], env={"COLUMNS": "160", "NO_COLOR": "1"})


def _history_csv(path: Path, days: int = 2000, seed: int = 5, wild_vol: float = 0.0) -> Path:
    """GBM prices (known daily log drift and volatility) and OU-like fees per block.

    With ``wild_vol``, every other 250-day stretch has that daily volatility instead.
    """
    rng = np.random.default_rng(seed)
    wild = ((np.arange(days) // 250) % 2 == 1) & (wild_vol > 0)
    vol = np.where(wild, wild_vol, VOL_PER_DAY)
    log_price = np.log(20_000.0) + np.cumsum(DRIFT_LOG_PER_DAY + vol * rng.standard_normal(days))
    log_fees = np.zeros(days)
    for t in range(1, days):  # daily AR(1) around ln 0.05 BTC/block
        log_fees[t] = 0.995 * log_fees[t - 1] + 0.05 * rng.standard_normal()
    blocks = np.full(days, 144.0)
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2018-01-01", periods=days, freq="D").strftime("%Y-%m-%d"),
            "price_usd_cm": np.exp(log_price),
            "drv_fees_btc": 0.05 * np.exp(log_fees) * blocks,
            "drv_blocks_est": blocks,
        }
    )
    frame.to_csv(path, index=False)
    return path


def _json(*args: str) -> dict:
    res = invoke(*args, "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_gbm_estimates_are_within_standard_errors_of_the_truth(tmp_path: Path) -> None:
    out = _json(str(_history_csv(tmp_path / "h.csv")), "--model", "gbm")
    fit = out["fits"]["gbm"]
    assert list(out["fits"]) == ["gbm"]
    vol = fit["parameters"]["volatility_frac_per_year"]
    true_vol = VOL_PER_DAY * math.sqrt(365.25)
    assert abs(vol["estimate"] - true_vol) < 3 * vol["std_error"]
    drift = fit["parameters"]["drift_frac_per_year"]
    true_drift = (DRIFT_LOG_PER_DAY + 0.5 * VOL_PER_DAY**2) * 365.25
    assert abs(drift["estimate"] - true_drift) < 3 * drift["std_error"]
    assert vol["unit"] == "1/sqrt(yr)"
    assert fit["n_obs"] == 1999
    assert fit["spec"] == {
        "model": "gbm",
        "drift_frac_per_year": drift["estimate"],
        "volatility_frac_per_year": vol["estimate"],
    }


def test_all_models_and_the_yaml_makes_a_valid_scenario(tmp_path: Path) -> None:
    out = _json(str(_history_csv(tmp_path / "h.csv")))
    assert list(out["fits"]) == ["gbm", "jump", "regime", "fees"]
    fees = out["fits"]["fees"]["parameters"]
    # the fee baseline's level is the last year's median (~0.05 BTC/block by construction)
    assert 0.02 < fees["recent_median_btc_per_block"]["estimate"] < 0.12
    assert fees["recent_median_btc_per_block"]["std_error"] is None
    assert out["fits"]["fees"]["spec"]["baseline_btc_per_block"] == pytest.approx(
        fees["recent_median_btc_per_block"]["estimate"]
    )
    snippet = yaml.safe_load(out["scenario_yaml"])
    assert snippet["market_model"]["btc_price"]["model"] == "gbm"  # the live block
    assert "# alternative: the jump fit" in out["scenario_yaml"]
    base = default_scenario().model_dump(mode="json")
    base["market_model"].update(snippet["market_model"])
    scenario = scenario_from_dict(base)
    vol = out["fits"]["gbm"]["parameters"]["volatility_frac_per_year"]["estimate"]
    assert scenario.market_model.btc_price.volatility_frac_per_year == pytest.approx(vol, rel=1e-3)
    # each commented alternative is a valid btc_price block too
    for name in ("jump", "regime"):
        text = out["scenario_yaml"].split(f"# alternative: the {name} fit\n")[1]
        block = "\n".join(
            line[2:]
            for line in text.splitlines()
            if line.startswith("# ") and "alternative" not in line
        ).split("market_model:")[1]
        alt = yaml.safe_load("market_model:" + block)
        base["market_model"]["btc_price"] = alt["market_model"]["btc_price"]
        assert scenario_from_dict(base).market_model.btc_price.model == name


def test_window_and_regime_options(tmp_path: Path) -> None:
    csv = str(_history_csv(tmp_path / "h.csv", wild_vol=0.08))
    out = _json(
        csv,
        "--model",
        "regime",
        "--frequency",
        "weekly",
        "--start-date",
        "2019-01-01",
        "--end-date",
        "2022-12-31",
    )
    fit = out["fits"]["regime"]
    assert fit["frequency"] == "weekly"
    assert fit["last_date"] == "2022-12-31"
    assert dt.date.fromisoformat(fit["first_date"]) >= dt.date(2019, 1, 1)
    calm = fit["parameters"]["state0_volatility_frac_per_year"]["estimate"]
    wild = fit["parameters"]["state1_volatility_frac_per_year"]["estimate"]
    assert calm < 0.9 < 1.2 < wild  # 0.57 and 1.53 per year by construction
    matrix = np.array(fit["transition_matrix_per_month"])
    assert matrix.shape == (2, 2)
    assert np.allclose(matrix.sum(axis=1), 1.0)
    jump = _json(csv, "--model", "jump", "--max-jump-intensity-per-year", "12")
    rate = jump["fits"]["jump"]["parameters"]["jump_intensity_per_year"]["estimate"]
    assert rate <= 12.0 + 1e-9


def test_table_output(tmp_path: Path) -> None:
    res = invoke(str(_history_csv(tmp_path / "h.csv")), "--model", "gbm")
    assert res.exit_code == 0, res.output
    for text in ("volatility_frac_per_year", "std. error", "1/sqrt(yr)", "market_model:"):
        assert text in res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "garch"], "--model: 'garch' (must be one of gbm, jump, regime, fees, all)"),
        (["--regimes", "4"], "--regimes: 4 (must be 2 or 3)"),
        (["--frequency", "hourly"], "--frequency: 'hourly' (must be one of daily, weekly"),
        (["--start-date", "2019-13-01"], "--start-date: '2019-13-01' (must be YYYY-MM-DD)"),
        (
            ["--start-date", "2020-01-01", "--end-date", "2019-01-01"],
            "--end-date: 2019-01-01 (must be after --start-date 2020-01-01)",
        ),
        (["--max-jump-intensity-per-year", "0"], "(must be between 1 and 365)"),
        (["--end-date", "2018-01-20"], "only 20 usable day(s) in the window; at least 60"),
        (["--model", "regime"], "regime fit: only 13 monthly returns; at least 24 needed"),
        (["--price-column", "close"], "missing column(s) close"),
    ],
)
def test_bad_input_exits_2_naming_the_field(tmp_path: Path, args: list[str], message: str) -> None:
    res = invoke(str(_history_csv(tmp_path / "h.csv", days=400)), *args)
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output


def test_missing_file_exits_2(tmp_path: Path) -> None:
    res = invoke(str(tmp_path / "nope.csv"))
    assert res.exit_code == 2
    assert "nope.csv" in res.output


def test_real_history_2019_2024(shared_data: Path) -> None:
    # btc_network_daily.csv (SOURCES.md §1), daily price_usd_cm 2019-2024: BTC's realised
    # volatility was 0.66/yr (estimate 0.659 ± 0.010 when this test was written).
    out = _json(
        str(shared_data / "btc_network_daily.csv"), "--model", "gbm", "--start-date", "2019-01-01"
    )
    vol = out["fits"]["gbm"]["parameters"]["volatility_frac_per_year"]
    assert 0.6 < vol["estimate"] < 0.72
    assert vol["std_error"] < 0.02


def test_frequencies_match_the_estimator() -> None:
    from hashpivot.cli.markets import FREQUENCIES
    from hashpivot.markets.estimate import STEP_YEARS

    assert tuple(STEP_YEARS) == FREQUENCIES
