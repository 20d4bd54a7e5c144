"""``hashpivot value TICKER``: the market state at the valuation date, not the latest."""

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hashpivot.cli import app
from hashpivot.listed.catalog import load_company
from hashpivot.market_state import market_state_to_yaml, packaged_market_states

runner = CliRunner()

# Coin Metrics community data PriceUSD (https://github.com/coinmetrics/data) closes:
# 2026-02-20 67 977.31, 2026-03-31 68 214.87, 2025-12-31 87 516.98 USD/BTC. The default
# scenario's market block is of 2024-12-31 at 93 390 USD/BTC.
CLOSE_2026_02_20 = 67_977.31
CLOSE_2026_03_31 = 68_214.87
CLOSE_2025_12_31 = 87_516.98
SCENARIO_PRICE = 93_390.0


@pytest.fixture
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data cache without a fetched state, so only the packaged series counts."""
    monkeypatch.setenv("HASHPIVOT_DATA_DIR", str(tmp_path / "cache"))
    return tmp_path


def _value(*args: str) -> dict:
    result = runner.invoke(app, ["value", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _state_date(source: str) -> str:
    found = re.search(r"market state '[^']+' as of (\d{4}-\d{2}-\d{2})", source)
    assert found, source
    return found.group(1)


def test_value_uses_the_state_of_the_company_files_date(empty_cache: Path) -> None:
    file_date = str(load_company("HUT").as_of)  # 2026-02-20
    out = _value("HUT")
    assert out["as_of"] == file_date
    source = out["input_sources"]["btc_price_usd"]
    assert _state_date(source) <= file_date
    assert out["inputs"]["btc_price_usd"] == pytest.approx(CLOSE_2026_02_20, abs=0.005)
    assert out["inputs"]["btc_price_usd"] != pytest.approx(SCENARIO_PRICE)
    assert "scenario's market block" not in source


def test_value_between_two_states_takes_the_earlier(empty_cache: Path) -> None:
    # 2026-03-15 lies between the states of 2026-02-20 and 2026-03-31
    out = _value("HUT", "--as-of", "2026-03-15")
    assert _state_date(out["input_sources"]["btc_price_usd"]) == "2026-02-20"
    assert out["inputs"]["btc_price_usd"] == pytest.approx(CLOSE_2026_02_20, abs=0.005)
    later = _value("HUT", "--as-of", "2026-04-01")
    assert _state_date(later["input_sources"]["btc_price_usd"]) == "2026-03-31"
    assert later["inputs"]["btc_price_usd"] == pytest.approx(CLOSE_2026_03_31, abs=0.005)


def test_market_state_file_still_overrides(empty_cache: Path) -> None:
    dec = next(s for s in packaged_market_states() if str(s.as_of) == "2025-12-31")
    path = empty_cache / "dec.yaml"
    path.write_text(market_state_to_yaml(dec.model_copy(update={"label": "mine"})), "utf-8")
    out = _value("HUT", "--market-state", str(path))
    assert "market state 'mine' as of 2025-12-31" in out["input_sources"]["btc_price_usd"]
    assert out["inputs"]["btc_price_usd"] == pytest.approx(CLOSE_2025_12_31, abs=0.005)
    # a given state later than the valuation date is refused for the scenario's block
    june = packaged_market_states()[-1]
    path.write_text(market_state_to_yaml(june), "utf-8")
    late = _value("HUT", "--market-state", str(path))
    assert late["inputs"]["btc_price_usd"] == pytest.approx(SCENARIO_PRICE)
    assert "after it" in late["input_sources"]["btc_price_usd"]


def test_help_names_the_state_at_the_valuation_date() -> None:
    result = runner.invoke(app, ["value", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "state at the valuation date" in " ".join(result.output.split())
