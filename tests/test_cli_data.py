"""``hashpivot data fetch`` / ``data status``: loopback server, closed port, bad input.

No request leaves the machine: the adapters are pointed at a server this test starts on
127.0.0.1, at a closed loopback port, or at respx routes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest
import respx
from typer.testing import CliRunner

from hashpivot.cli import app
from hashpivot.sources.cache import DataCache

runner = CliRunner()
DATA = Path(__file__).parent / "data" / "sources"
ROUTES = {
    "/api/blocks/tip/height": "mempool/tip_height.txt",
    "/api/v1/difficulty-adjustment": "mempool/difficulty_adjustment.json",
    "/api/v1/mining/hashrate/3d": "mempool/hashrate_3d.json",
    "/api/v1/blocks": "mempool/blocks.json",
    "/api/v1/prices": "mempool/prices.json",
}


class _Handler(BaseHTTPRequestHandler):
    bodies: ClassVar[dict[str, bytes]] = {}
    agents: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.agents.append(self.headers.get("User-Agent", ""))
        body = self.bodies.get(self.path.split("?")[0])
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args: object) -> None:
        pass


def _serve(bodies: dict[str, bytes]) -> Iterator[tuple[str, list[str]]]:
    handler = type("Handler", (_Handler,), {"bodies": bodies, "agents": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.agents
    finally:
        server.shutdown()
        server.server_close()


def _recorded() -> dict[str, bytes]:
    return {path: (DATA / name).read_bytes() for path, name in ROUTES.items()}


@pytest.fixture
def mempool_server() -> Iterator[tuple[str, list[str]]]:
    yield from _serve(_recorded())


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())} if root.is_dir() else {}


def _seed(root: Path) -> None:
    days = pd.DataFrame({"date": ["2026-11-30"], "price_usd": [87000.0]})
    DataCache(root).update("btc_price_daily", days, ["date"], "Coin Metrics", "http://x")


def test_closed_port_exits_2_fast_naming_the_url_and_leaves_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _seed(cache)
    before = _snapshot(cache)
    status = runner.invoke(app, ["data", "status", "--cache-dir", str(cache), "--json"])
    code = "from hashpivot.cli import app; app()"
    args = [
        "data",
        "fetch",
        "bitcoin",
        "--base-url",
        "http://127.0.0.1:9",
        "--cache-dir",
        str(cache),
    ]
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60, check=False
    )
    elapsed = time.monotonic() - t0
    assert proc.returncode == 2, proc.stderr
    assert elapsed < 30.0
    assert "mempool.space: cannot fetch http://127.0.0.1:9/api/blocks/tip/height" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert _snapshot(cache) == before
    after = runner.invoke(app, ["data", "status", "--cache-dir", str(cache), "--json"])
    assert json.loads(after.stdout)["datasets"] == json.loads(status.stdout)["datasets"]


def test_fetch_bitcoin_from_a_loopback_server_fills_the_cache_and_the_state(
    tmp_path: Path, mempool_server: tuple[str, list[str]]
) -> None:
    url, agents = mempool_server
    cache = tmp_path / "cache"
    out = tmp_path / "net.csv"
    args = ["data", "fetch", "bitcoin", "--base-url", url, "--cache-dir", str(cache)]
    res = runner.invoke(app, [*args, "--output", str(out), "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    state = payload["market_state"]
    assert state["label"].startswith("cache: mempool.space")
    assert state["values"]["block_height"] == 927_000
    assert state["values"]["btc_price_usd"] == 90_000
    assert state["sources"]["difficulty"] == f"{url}/api/v1/mining/hashrate/3d"
    assert payload["datasets"][0]["rows"] == 1
    assert payload["network"]["next_retarget_height"] == 927_360
    assert payload["network"]["difficulty_change_frac_est"] == pytest.approx(0.0125)
    assert pd.read_csv(out)["block_height"].tolist() == [927_000]
    assert agents
    assert all(a.startswith("hashpivot/") for a in agents)
    status = runner.invoke(app, ["data", "status", "--cache-dir", str(cache), "--json"])
    body = json.loads(status.stdout)
    assert body["cached_state"] is True
    assert [d["name"] for d in body["datasets"]] == ["bitcoin_network"]
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    said = " ".join(again.stdout.split())
    assert "bitcoin_network: 2 rows" in said  # one row per fetch, kept
    assert "next retarget at height 927,360, estimated +1.25% around 2025-12-08T20:00 UTC" in said
    table = runner.invoke(app, ["data", "status", "--cache-dir", str(cache)])
    assert "bitcoin_network" in table.stdout
    assert "market state in use: cache: mempool.space" in table.stdout


def test_malformed_answer_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    bodies = _recorded() | {"/api/v1/prices": b'{"time": 1765065600, "EUR": 77500}'}
    cache = tmp_path / "cache"
    for url, _ in _serve(bodies):
        res = runner.invoke(
            app, ["data", "fetch", "bitcoin", "--base-url", url, "--cache-dir", str(cache)]
        )
        assert res.exit_code == 2
        assert f"unexpected answer from {url}/api/v1/prices: field `USD` is missing" in res.output
    assert not cache.exists()


def test_coinmetrics_fetch_is_incremental_and_writes_output(tmp_path: Path) -> None:
    base = "http://127.0.0.1:8998/v4"
    page1 = json.loads((DATA / "coinmetrics/asset_metrics_page1.json").read_text())
    page2 = json.loads((DATA / "coinmetrics/asset_metrics_page2.json").read_text())
    cache, out = tmp_path / "cache", tmp_path / "h.csv"
    with respx.mock() as router:
        route = router.route(method="GET", host="127.0.0.1", path="/v4/timeseries/asset-metrics")
        route.side_effect = [respx.MockResponse(200, json=p) for p in (page1, page2, page2)]
        args = ["data", "fetch", "coinmetrics", "--base-url", base, "--cache-dir", str(cache)]
        first = runner.invoke(
            app, [*args, "--start", "2026-12-01", "--end", "2026-12-03", "--output", str(out)]
        )
        assert first.exit_code == 0, first.output
        second = runner.invoke(app, [*args, "--end", "2026-12-04", "--json"])
        assert second.exit_code == 0, second.output
        # The second fetch starts from the last cached day (re-read, it may have been partial).
        assert route.calls[2].request.url.params["start_time"] == "2026-12-03"
    assert pd.read_csv(out)["date"].tolist() == ["2026-12-01", "2026-12-02", "2026-12-03"]
    assert json.loads(second.stdout)["datasets"][0]["rows"] == 3


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (
            ["data", "fetch", "bitcoin-core"],
            r"unknown data source 'bitcoin-core'; closest: bitcoin; valid names: bitcoin, "
            r"coinmetrics",
        ),
        (
            ["data", "fetch", "btc-price", "--start", "2026-12-05", "--end", "2026-12-01"],
            r"--end 2026-12-01 is before --start 2026-12-05",
        ),
        (
            ["data", "fetch", "btc-price", "--start", "12/05/2026"],
            r"--start '12/05/2026' — must be a date YYYY-MM-DD",
        ),
        (
            ["data", "fetch", "bitcoin", "--start", "2026-12-01"],
            r"--start/--end do not apply to bitcoin",
        ),
        (
            ["data", "fetch", "ercot", "--base-url", "http://127.0.0.1:9"],
            r"--base-url does not apply to ercot",
        ),
    ],
)
def test_bad_input_exits_2_naming_it(tmp_path: Path, args: list[str], match: str) -> None:
    res = runner.invoke(app, [*args, "--cache-dir", str(tmp_path / "c")])
    assert res.exit_code == 2
    assert re.search(match, " ".join(res.output.split())), res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "c").exists()


def test_status_of_an_empty_cache_names_the_packaged_state(tmp_path: Path) -> None:
    res = runner.invoke(app, ["data", "status", "--cache-dir", str(tmp_path)])
    assert res.exit_code == 0
    assert "nothing cached yet" in res.stdout
    assert "packaged snapshot as of 2026-06-26" in res.stdout


def test_help_lists_the_sources() -> None:
    res = runner.invoke(app, ["data", "fetch", "--help"])
    assert res.exit_code == 0
    assert "bitcoin, coinmetrics, btc-price, ercot, equities" in " ".join(res.stdout.split())


# ------------------------------------------------------------------ scenarios and hashprice


def test_init_as_of_latest_offline_uses_the_packaged_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HASHPIVOT_DATA_DIR", str(tmp_path / "empty-cache"))
    path = tmp_path / "x.yaml"
    res = runner.invoke(app, ["init", str(path), "--as-of", "latest", "--json"])
    assert res.exit_code == 0, res.output
    state = json.loads(res.stdout)["market_state"]
    assert state["label"] == "packaged snapshot"
    assert state["oldest_as_of"] == "2026-01-12"
    ok = runner.invoke(app, ["validate", str(path), "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["start_date"] == "2026-07-01"
    text = path.read_text(encoding="utf-8")
    assert "as_of: 2026-06-26" in text
    assert "https://bt-miners.com/" in text  # the 2026-06-26 retarget's source
    assert not (tmp_path / "empty-cache").exists()


def test_init_as_of_latest_after_a_fetch_uses_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mempool_server: tuple[str, list[str]]
) -> None:
    url, _ = mempool_server
    monkeypatch.setenv("HASHPIVOT_DATA_DIR", str(tmp_path / "cache"))
    assert runner.invoke(app, ["data", "fetch", "bitcoin", "--base-url", url]).exit_code == 0
    path = tmp_path / "x.yaml"
    res = runner.invoke(app, ["init", str(path), "--as-of", "latest"])
    assert res.exit_code == 0, res.output
    assert "market state: cache: mempool.space" in " ".join(res.stdout.split())
    text = path.read_text(encoding="utf-8")
    assert "  btc_price_usd: 90000\n" in text
    assert f"{url}/api/v1/prices" in text
    assert runner.invoke(app, ["validate", str(path)]).exit_code == 0
    # A date before every state is refused, naming what exists.
    early = runner.invoke(app, ["init", str(tmp_path / "y.yaml"), "--as-of", "2020-01-01"])
    assert early.exit_code == 2
    assert "no market state dated on or before it" in " ".join(early.output.split())
    # A date between the snapshot and the fetch takes the packaged snapshot.
    mid = runner.invoke(app, ["init", str(tmp_path / "z.yaml"), "--as-of", "2026-07-01", "--json"])
    assert json.loads(mid.stdout)["market_state"]["label"] == "packaged snapshot"


def test_hashprice_latest_names_the_state_and_matches_a_hand_calculation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HASHPIVOT_DATA_DIR", str(tmp_path))
    res = runner.invoke(app, ["hashprice", "--latest", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    # 8.64e19 / (133 870 000 000 000 · 2^32) = 1.50269e-4 BTC/PH/day per BTC of reward;
    # × (3.125 + 0.0169) × 59 961.51 = 28.3097 USD/PH/day.
    assert out["hashprice_usd_per_ph_day"] == pytest.approx(28.3097, abs=1e-4)
    assert out["height"] == 955_584
    assert out["market_state"]["as_of"] == "2026-06-26"
    assert out["market_state"]["state_age_days"] >= 0
    given = runner.invoke(app, ["hashprice", "--latest", "--price-usd", "119923.02", "--json"])
    assert json.loads(given.stdout)["hashprice_usd_per_ph_day"] == pytest.approx(
        2 * 28.3097, abs=2e-4
    )
    table = runner.invoke(app, ["hashprice", "--latest"])
    assert "market state: packaged snapshot as of 2026-06-26" in " ".join(table.stdout.split())


def test_hashprice_without_latest_keeps_its_defaults() -> None:
    res = runner.invoke(
        app, ["hashprice", "--price-usd", "90000", "--difficulty", "1.5e14", "--json"]
    )
    out = json.loads(res.stdout)
    assert out["height"] == 840_000
    assert out["fees_btc_per_block"] == 0.0
    assert "market_state" not in out
    # 8.64e19 / (1.5e14 · 2^32) · 3.125 · 90 000 = 37.7186 USD/PH/day.
    assert out["hashprice_usd_per_ph_day"] == pytest.approx(37.7186, abs=1e-4)


def test_btc_price_from_yfinance_through_a_fake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashpivot.cli.data as cli_data

    asked: list[tuple[list[str], str, str | None]] = []

    def fake(tickers: list[str], start: str, end: str | None = None) -> pd.DataFrame:
        asked.append((tickers, start, end))
        days = pd.DatetimeIndex(["2026-12-01", "2026-12-02"], name="date")
        return pd.DataFrame({"BTC-USD": [90000.0, 91000.0]}, index=days)

    monkeypatch.setattr(cli_data, "fetch_adj_close_yfinance", fake)
    args = ["data", "fetch", "btc-price", "--provider", "yfinance", "--start", "2026-12-01"]
    res = runner.invoke(app, [*args, "--end", "2026-12-02", "--cache-dir", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    assert asked == [(["BTC-USD"], "2026-12-01", "2026-12-03")]  # yfinance's end is exclusive
    stored = DataCache(tmp_path).read("btc_price_daily")
    assert stored is not None
    assert stored["price_usd"].tolist() == [90000.0, 91000.0]
    assert json.loads(res.stdout)["datasets"][0]["source_url"] == "https://finance.yahoo.com"


def test_yfinance_provider_without_the_package_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "yfinance", None)
    res = runner.invoke(
        app,
        [
            "data",
            "fetch",
            "btc-price",
            "--provider",
            "yfinance",
            "--cache-dir",
            str(tmp_path / "c"),
        ],
    )
    assert res.exit_code == 2
    assert "pip install yfinance" in " ".join(res.output.split())
    assert not (tmp_path / "c").exists()
    loopback = ["--base-url", "http://127.0.0.1:9", "--cache-dir", str(tmp_path / "c")]
    bad = runner.invoke(app, ["data", "fetch", "bitcoin", "--provider", "yfinance", *loopback])
    assert "--provider applies to btc-price only" in " ".join(bad.output.split())
    unknown = runner.invoke(
        app, ["data", "fetch", "btc-price", "--provider", "coinmetric", *loopback]
    )
    assert unknown.exit_code == 2
    assert "closest: coinmetrics" in " ".join(unknown.output.split())
