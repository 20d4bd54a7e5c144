"""The model's BTC exposure of a company next to the market's betas (``hashpivot hedge``)."""

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from _synthetic_equities import write_synthetic_csvs
from hashpivot.cli import app
from hashpivot.equities.model_hedge import equity_btc_elasticity

runner = CliRunner()
EQUITIES_CSV = "equities_adj_close_daily_2018_2026.csv"
BTC_FILES = ("btc_network_daily.csv", "btc_price_daily_2025_2026.csv")


def test_equity_elasticity_hand_cases() -> None:
    # EV 1000, +10 % BTC adds 50: EV elasticity 0.5. Debt 600, cash 100: equity 500, so
    # the equity elasticity doubles to 1.0 (leverage). 1 BTC held at 100 adds 10 to the
    # change and 100 to equity: (50 + 10) / 600 / 0.1 = 1.0.
    assert equity_btc_elasticity(1000.0, 50.0, 0.0, 0.0, 0.0, 100.0) == pytest.approx(0.5)
    assert equity_btc_elasticity(1000.0, 50.0, 600.0, 100.0, 0.0, 100.0) == pytest.approx(1.0)
    assert equity_btc_elasticity(1000.0, 50.0, 600.0, 100.0, 1.0, 100.0) == pytest.approx(1.0)
    assert math.isnan(equity_btc_elasticity(100.0, 50.0, 600.0, 0.0, 0.0, 100.0))


def test_cli_hedge_on_synthetic_prices(tmp_path: Path) -> None:
    prices, btc = write_synthetic_csvs(tmp_path)
    frame = pd.read_csv(prices).rename(columns={"MINR": "CORZ"})
    frame.to_csv(prices, index=False)
    args = ["hedge", "CORZ", "--prices", str(prices), "--btc", str(btc), "--paths", "1000"]
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["market"]["beta_btc"] == pytest.approx(1.5, abs=0.1)  # synthetic MINR loading
    assert out["model"]["paths"] == 1000
    assert math.isfinite(out["model"]["npv_delta_usd_per_10pct_btc"])
    table = runner.invoke(app, args, env={"COLUMNS": "100"})
    assert table.exit_code == 0, table.output
    assert "market: β_btc" in table.output
    bad = runner.invoke(app, ["hedge", "ZZZZ", "--prices", str(prices), "--btc", str(btc)])
    assert bad.exit_code == 2


def test_real_data_hedge_corz(shared_data: Path) -> None:
    btc = ",".join(str(shared_data / f) for f in BTC_FILES)
    args = ["hedge", "CORZ", "--prices", str(shared_data / EQUITIES_CSV), "--btc", btc]
    res = runner.invoke(app, [*args, "--paths", "1000", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    # the market still prices CORZ with a BTC beta well above zero (0.68 over 2024-2026)
    assert out["market"]["beta_btc"] > 0.3
    assert out["market"]["last_year"] == 2026
    # the model's CORZ is mostly contracted CoreWeave rent: its equity moves far less
    assert out["model"]["equity_btc_elasticity"] < out["market"]["beta_btc"]
