"""mempool.space adapter against recorded answers (tests/data/sources/mempool), and bad ones."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import respx

from hashpivot.market_state import packaged_market_state
from hashpivot.sources import mempool
from hashpivot.sources.http import HttpClient, HttpSettings, SourceFormatError

DATA = Path(__file__).parent / "data" / "sources" / "mempool"
BASE = "http://127.0.0.1:8996"
NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)


def recorded(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def mock_api(router: respx.MockRouter, **replace: Any) -> None:
    """Serve the recorded answers; ``replace`` swaps one endpoint's body by file stem."""
    answers = {
        "/api/blocks/tip/height": ("tip_height", (DATA / "tip_height.txt").read_text()),
        "/api/v1/difficulty-adjustment": (
            "difficulty_adjustment",
            recorded("difficulty_adjustment.json"),
        ),
        "/api/v1/mining/hashrate/3d": ("hashrate_3d", recorded("hashrate_3d.json")),
        "/api/v1/blocks": ("blocks", recorded("blocks.json")),
        "/api/v1/prices": ("prices", recorded("prices.json")),
    }
    for path, (stem, body) in answers.items():
        body = replace.get(stem, body)
        if isinstance(body, str):
            router.get(f"{BASE}{path}").respond(200, text=body)
        else:
            router.get(f"{BASE}{path}").respond(200, json=body)


def client() -> HttpClient:
    return HttpClient(mempool.SOURCE, BASE, HttpSettings(min_interval_s=0.0, backoff_s=0.0))


def test_each_data_set_is_read_in_its_unit() -> None:
    with respx.mock() as router:
        mock_api(router)
        http = client()
        assert mempool.chain_tip_height(http) == 927_000
        retarget = mempool.difficulty_adjustment(http)
        hashrate_h_s, difficulty = mempool.network_hashrate(http)
        fees = mempool.recent_block_fees(http)
        price, quoted = mempool.btc_price(http)
    assert retarget.next_retarget_height == 927_360  # 460 × 2016
    assert retarget.difficulty_change_frac == pytest.approx(0.0125)  # 1.25 %
    assert retarget.estimated_retarget_utc == dt.datetime(2025, 12, 8, 20, 0, tzinfo=dt.UTC)
    assert (hashrate_h_s, difficulty) == (1.08e21, 1.5e14)
    assert fees["fees_btc"].tolist() == [0.025, 0.035, 0.03]  # sat / 1e8
    assert fees["height"].tolist() == [927_000, 926_999, 926_998]
    assert (price, quoted) == (90_000.0, dt.datetime(2025, 12, 7, 0, 0, tzinfo=dt.UTC))


def test_snapshot_row_and_market_state_from_it() -> None:
    with respx.mock() as router:
        mock_api(router)
        row = mempool.network_snapshot(client(), now=NOW)
    assert list(row.columns) == list(mempool.SNAPSHOT_COLUMNS)
    r = row.iloc[0]
    assert r["date"] == "2026-12-07"
    assert r["network_hashrate_eh_s"] == pytest.approx(1080.0)
    assert r["fees_btc_per_block"] == pytest.approx(0.03)  # (0.025 + 0.035 + 0.03) / 3
    state = mempool.market_state_from_snapshot(r, packaged_market_state())
    # By hand: 8.64e19 / (1.5e14 · 2^32) · (3.125 + 0.03) · 90 000 = 38.0807 USD/PH/day.
    assert state.hashprice_usd_per_ph_day.value == pytest.approx(38.0807, abs=1e-4)
    assert state.block_height.value == 927_000
    assert state.as_of == dt.date(2026, 12, 7)
    assert state.btc_price_usd.source_url == f"{BASE}/api/v1/prices"
    assert state.btc_price_usd.retrieved == dt.date(2026, 12, 7)
    rf = packaged_market_state().risk_free_rate_frac_per_year
    assert state.risk_free_rate_frac_per_year == rf  # kept with its own date and source


def _without(name: str, key: str) -> Any:
    body = recorded(name)
    del body[key]
    return body


@pytest.mark.parametrize(
    ("replace", "match"),
    [
        (
            {"difficulty_adjustment": _without("difficulty_adjustment.json", "difficultyChange")},
            r"difficulty-adjustment: field `difficultyChange` is missing",
        ),
        (
            {"hashrate_3d": _without("hashrate_3d.json", "currentDifficulty")},
            r"hashrate/3d: field `currentDifficulty` is missing",
        ),
        (
            {"blocks": [{"height": 1, "timestamp": 2, "tx_count": 3}]},
            r"/api/v1/blocks: field `extras` \(block fees\) is missing",
        ),
        ({"blocks": []}, r"/api/v1/blocks: the answer must be a non-empty list"),
        ({"prices": {"time": 1, "USD": "n/a"}}, r"prices: field `USD`: 'n/a' is not a number"),
        ({"prices": {"time": 1, "USD": 0}}, r"prices: field `USD`: 0.0 — must be > 0"),
        ({"tip_height": "<html>"}, r"tip height '<html>' is not a number"),
    ],
)
def test_malformed_answer_names_source_url_and_field(replace: dict[str, Any], match: str) -> None:
    with respx.mock(assert_all_called=False) as router:
        mock_api(router, **replace)
        with pytest.raises(
            SourceFormatError, match=rf"mempool.space: unexpected answer from {BASE}.*{match}"
        ):
            mempool.network_snapshot(client(), now=NOW)


def test_default_base_url_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(mempool.ENV_VAR, raising=False)
    assert mempool.client().base_url == "https://mempool.space"
    monkeypatch.setenv(mempool.ENV_VAR, "http://127.0.0.1:3006/")
    assert mempool.client().base_url == "http://127.0.0.1:3006"
