"""The dashboard in a real browser: Playwright driving Debian's headless Chromium.

Starts ``hashpivot serve`` on 127.0.0.1 with a fresh store, opens the dashboard, changes
inputs, runs, checks that the Monte Carlo charts render and the run appears in the saved
runs (and compares two), and that an invalid input shows the CLI's message beside the
field. Skipped, with the reason, when /usr/bin/chromium or Playwright is missing (CI
installs both: ``apt-get install chromium``, ``pip install playwright``; Playwright's own
browser download is never used).

Set ``HASHPIVOT_SCREENSHOT=path.png`` to keep a screenshot of the dashboard after a run.
"""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hashpivot.api.live import LiveServer
from hashpivot.errors import SpecError
from hashpivot.spec import default_scenario, scenario_from_dict
from hashpivot.store.runstore import RunStore

CHROMIUM = Path(os.environ.get("HASHPIVOT_CHROMIUM", "/usr/bin/chromium"))
if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)
pytest.importorskip("uvicorn")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
CHARTS = [
    "btc_price_usd",
    "hashprice_usd_per_ph_day",
    "network_hashrate_eh_s",
    "revenue_mix",
    "ebitda_distribution",
    "frontier",
    "frontier_risk",
]
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    store = tmp_path_factory.mktemp("browser") / "runs.duckdb"
    with LiveServer(store) as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def page(browser: Any, server: LiveServer) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on(  # 422 answers are expected: the invalid-input test asks for them
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}") if r.status >= 400 and r.status != 422 else None
        ),
    )
    pg.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    pg.set_default_timeout(TIMEOUT_MS)
    pg.goto(server.url)
    pg.wait_for_function(
        "() => document.querySelector('#scenario-name').textContent.includes('default-us-miner')"
    )
    yield pg
    assert errors == [], errors
    context.close()


def _run(page: Any) -> str:
    page.click("#run-button")
    page.wait_for_function(
        "() => document.querySelector('#status-text').textContent.includes('saved as run') || "
        "document.querySelector('.field-error') !== null || "
        "!document.querySelector('#form-error').hidden"
    )
    status = page.text_content("#status-text")
    assert "saved as run" in status, status
    return str(status.split("saved as run ")[1].strip())


def test_dashboard_runs_a_simulation_and_draws_the_report_charts(
    page: Any, server: LiveServer
) -> None:
    page.fill("#paths", "1000")
    page.fill("#btc-vol", "0.6")
    page.fill("#power-price", "42")
    run_id = _run(page)
    for name in CHARTS:
        page.wait_for_selector(f"#chart-{name} .main-svg", state="attached")
        assert page.locator(f"#chart-{name} .main-svg").count() >= 1
    assert page.locator("#chart-ebitda_distribution .bars path").count() > 10
    assert page.locator("#cards .card").count() == 6
    record = RunStore(server.store).get_run(run_id)
    scenario = record.scenario()
    assert scenario["market_model"]["btc_price"]["volatility_frac_per_year"] == 0.6
    assert {s["power"]["price_usd_per_mwh"] for s in scenario["sites"]} == {42}
    shot = os.environ.get("HASHPIVOT_SCREENSHOT")
    if shot:
        page.screenshot(path=shot, full_page=True)


def _boxes_overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_chart_titles_clear_the_toolbar_and_growth_is_the_scenarios(page: Any) -> None:
    # issue 25 item 7: run first (the previous test), then hover each chart to show its bar
    for name in CHARTS:
        chart = page.locator(f"#chart-{name}")
        chart.hover()
        title = chart.locator(".gtitle").bounding_box()
        bar = chart.locator(".modebar").bounding_box()
        assert title is not None
        assert bar is not None
        assert not _boxes_overlap(title, bar), (name, title, bar)
    # the default scenario states 0.02/month (market.network_hashrate_growth_frac_per_month)
    assert page.input_value("#net-growth") == str(
        default_scenario().market.network_hashrate_growth_frac_per_month
    )


def test_the_run_appears_in_saved_runs_and_two_compare(page: Any, server: LiveServer) -> None:
    page.click("#tab-simulate")
    page.fill("#seed", "7")
    second = _run(page)
    page.click("#tab-runs")
    page.wait_for_selector(f"tr[data-run='{second}']")
    rows = page.locator("#runs-table tbody tr[data-run]")
    assert rows.count() == len(RunStore(server.store).list_runs())
    assert rows.count() >= 2
    first = rows.nth(1).get_attribute("data-run")
    page.check(f"input[name='pick-a'][value='{first}']")
    page.check(f"input[name='pick-b'][value='{second}']")
    page.click("#compare-button")
    page.wait_for_selector("#metrics-table tbody tr td.num")
    seed_row = page.locator("#metrics-table tbody tr", has_text="seed").first
    assert "7" in seed_row.text_content()
    page.wait_for_selector("#compare-frontier .main-svg", state="attached")
    changes = page.text_content("#changes-table")
    assert "same in every field" in changes or "seed" not in changes


def _cli_message(field_path: list[Any], value: Any) -> str:
    """The line `hashpivot validate` prints for the default scenario with one field set."""
    data = default_scenario().model_dump(mode="json")
    node = data
    for key in field_path[:-1]:
        node = node[key]
    node[field_path[-1]] = value

    with pytest.raises(SpecError) as info:
        scenario_from_dict(copy.deepcopy(data))
    (line,) = info.value.problems
    return line


def test_invalid_inputs_show_the_cli_messages_beside_their_fields(page: Any) -> None:
    page.click("#tab-simulate")
    page.fill("#btc-vol", "-1")
    page.fill("#btc-price", "lots")
    page.click("#run-button")
    page.wait_for_selector("#btc-vol + .field-error")
    vol = page.text_content("#btc-vol + .field-error")
    price = page.text_content("#btc-price + .field-error")
    assert vol == _cli_message(["market_model", "btc_price", "volatility_frac_per_year"], -1)
    assert price == _cli_message(["market", "btc_price_usd"], "lots")
    assert "Input should be greater than or equal to 0" in vol
    assert page.get_attribute("#btc-vol", "class") == "invalid"
    page.fill("#btc-vol", "0.5")
    page.fill("#btc-price", "93390")
    page.fill("#paths", "500")
    page.click("#run-button")
    page.wait_for_selector("#paths + .field-error")
    assert page.text_content("#paths + .field-error") == (
        "paths: 500 — Input should be greater than or equal to 1000"
    )
    assert page.locator("#btc-vol + .field-error").count() == 0


def test_chromium_is_debians(page: Any) -> None:
    assert shutil.which("chromium") or CHROMIUM.exists()
    assert "Chrome" in page.evaluate("navigator.userAgent")


def test_with_a_token_the_browser_signs_in_then_runs(browser: Any, tmp_path: Path) -> None:
    token = "browser-token-0123456789abcdef"
    with LiveServer(tmp_path / "runs.duckdb", token=token, wait_warm=False) as live:
        context = browser.new_context()
        pg = context.new_page()
        pg.set_default_timeout(TIMEOUT_MS)
        first = pg.goto(live.url)
        assert first is not None
        assert first.status == 401
        pg.fill("#token", "wrong-token-0123456789")
        # the form posts and the answer is a new page: read it only once it has loaded
        # (reading straight after the click raced the navigation on a busy machine)
        with pg.expect_navigation():
            pg.click("button[type=submit]")
        assert "wrong token" in pg.text_content("body")
        pg.fill("#token", token)
        with pg.expect_navigation():
            pg.click("button[type=submit]")
        pg.wait_for_function(
            "() => document.querySelector('#scenario-name').textContent"
            ".includes('default-us-miner')"
        )
        pg.fill("#paths", "1000")
        run_id = _run(pg)
        context.close()
        assert RunStore(live.store).get_run(run_id).kind == "run"


def test_companies_page_shows_the_comps_table_and_both_charts(page: Any) -> None:
    from hashpivot.listed.comps import comps
    from hashpivot.listed.timeline import pivot_timeline

    expected = comps(()).to_dict()["rows"]
    page.click("#tab-companies")
    page.wait_for_selector("#comps-table tbody tr[data-ticker]")
    rows = page.locator("#comps-table tbody tr[data-ticker]")
    assert rows.count() == len(expected)
    assert [rows.nth(i).get_attribute("data-ticker") for i in range(rows.count())] == [
        r["ticker"] for r in expected
    ]
    assert "valued on" in page.text_content("#comps-status")
    assert page.locator("#comps-notes li").count() >= 1
    for chart in ("chart-comps-ev", "chart-comps-timeline"):
        page.wait_for_selector(f"#{chart} .main-svg", state="attached")
    # the EV chart: one bar trace per part present plus the model EV markers, a value per company
    ev = page.evaluate(
        "() => document.getElementById('chart-comps-ev').data.map("
        "t => ({type: t.type, name: t.name, n: t.x.length, y: t.y}))"
    )
    bars = [t for t in ev if t["type"] == "bar"]
    assert bars
    assert all(t["n"] == len(expected) for t in bars)
    (model_ev,) = [t for t in ev if t["name"] == "model EV"]
    assert model_ev["y"] == pytest.approx([r["enterprise_value_usd"] for r in expected])
    assert page.locator("#chart-comps-ev .bars path").count() >= len(expected)
    # the timeline: summed mining MW and AI IT MW per quarter, then one company's own
    timeline = pivot_timeline(()).to_dict()["rows"]
    quarters = sorted({r["quarter"] for r in timeline})
    drawn = page.evaluate(
        "() => document.getElementById('chart-comps-timeline').data.map(t => ({x: t.x, y: t.y}))"
    )
    assert len(drawn) == 2
    assert drawn[0]["x"] == quarters
    ai_sum = [sum(r["ai_it_mw_energised"] for r in timeline if r["quarter"] == q) for q in quarters]
    assert drawn[1]["y"] == pytest.approx(ai_sum)
    ticker = timeline[0]["ticker"]
    page.select_option("#timeline-company", ticker)
    title = "document.querySelector('#chart-comps-timeline .gtitle').textContent"
    page.wait_for_function(f"() => {title}.includes('{ticker}')")
    own = [r["mining_gross_mw"] for r in sorted(timeline, key=lambda r: r["quarter"])
           if r["ticker"] == ticker]  # fmt: skip
    drawn = page.evaluate("() => document.getElementById('chart-comps-timeline').data[0].y")
    assert drawn == pytest.approx(own)
