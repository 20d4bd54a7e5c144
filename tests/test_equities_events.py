import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import yaml
from typer.testing import CliRunner

from _synthetic_equities import synthetic_market, write_synthetic_csvs
from hashpivot.cli import app
from hashpivot.equities import data as ed
from hashpivot.equities import events as ev
from hashpivot.errors import SpecError, UnknownNameError

runner = CliRunner()
EQUITIES_CSV = "equities_adj_close_daily_2018_2026.csv"


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "160", "NO_COLOR": "1"})


def deal(ticker: str, date: str, event_id: str | None = None, kind: str = "colocation_lease"):
    return ev.DealEvent(
        event_id=event_id or f"{ticker.lower()}-{date}",
        ticker=ticker,
        partner="Tenant",
        kind=kind,
        date=dt.date.fromisoformat(date),
        date_basis="test",
        headline="test deal",
        source_url="https://example.org/deal",
        as_of=dt.date(2026, 11, 24),
    )


# --------------------------------------------------------------------------- one event


def test_window_names() -> None:
    assert ev.window_name(-1, 1) == "m1_p1"
    assert ev.window_name(-1, 5) == "m1_p5"
    assert ev.window_name(0, 2) == "0_p2"


def test_weekend_event_moves_to_the_next_trading_day() -> None:
    days = pd.bdate_range("2025-08-11", "2025-08-22")
    pos = ev.event_day_positions(days, [dt.date(2025, 8, 16), dt.date(2025, 8, 14)])
    assert [str(days[p].date()) for p in pos] == ["2025-08-18", "2025-08-14"]
    assert ev.event_day_positions(days, [dt.date(2025, 9, 1)])[0] == len(days)


def _market_case(seed: int = 1, n: int = 400, jump: float = 0.10):
    rng = np.random.default_rng(seed)
    mkt = rng.normal(3e-4, 0.01, n)
    stock = 1e-3 + 1.8 * mkt + rng.normal(0, 0.02, n)
    pos = 330
    stock[pos] += jump  # a +10 % abnormal return on the event day
    return stock, mkt, pos


def test_market_model_finds_an_injected_abnormal_return() -> None:
    stock, mkt, pos = _market_case()
    fit = ev.market_model_event(stock, mkt, pos)
    assert fit.n_estimation_days == 221  # days -250 .. -30
    assert fit.factor_betas[0] == pytest.approx(1.8, abs=0.3)
    assert fit.car_frac["m1_p1"] == pytest.approx(0.10, abs=3 * fit.se_car_frac["m1_p1"])
    assert fit.t_stat["m1_p1"] > 2.0
    assert list(fit.rel_days) == list(range(-1, 6))


def test_car_variance_includes_the_estimation_error_as_statsmodels_does() -> None:
    stock, mkt, pos = _market_case(seed=4)
    fit = ev.market_model_event(stock, mkt, pos)
    est = np.arange(pos - 250, pos - 29)
    ols = sm.OLS(stock[est], sm.add_constant(mkt[est])).fit()
    for (a, b), name in (((-1, 1), "m1_p1"), ((-1, 5), "m1_p5")):
        win = np.arange(pos + a, pos + b + 1)
        xw = sm.add_constant(mkt[win], has_constant="add")
        ones = np.ones(len(win))
        var = len(win) * ols.scale + ones @ xw @ ols.cov_params() @ xw.T @ ones
        assert fit.se_car_frac[name] == pytest.approx(np.sqrt(var), rel=1e-10)
        car = float((stock[win] - ols.predict(xw)).sum())
        assert fit.car_frac[name] == pytest.approx(car, rel=1e-10)
    one = sm.add_constant(mkt[[pos]], has_constant="add")
    pred = ols.get_prediction(one)
    ar0 = fit.abnormal_frac[list(fit.rel_days).index(0)]
    assert ar0 == pytest.approx(stock[pos] - pred.predicted_mean[0], rel=1e-10)


def test_short_estimation_and_window_past_the_data_refused() -> None:
    stock, mkt, _ = _market_case()
    stock[:301] = np.nan  # listed 29 days before the event
    with pytest.raises(ed.InsufficientHistoryError, match=r"0 returns in the estimation"):
        ev.market_model_event(stock, mkt, 330)
    stock, mkt, _ = _market_case()
    with pytest.raises(ed.InsufficientHistoryError, match="runs past the data"):
        ev.market_model_event(stock, mkt, len(stock) - 3)
    mkt[332:] = np.nan  # e.g. a BTC file that ends before the event window does
    with pytest.raises(ed.InsufficientHistoryError, match=r"no factor return on event days \+2"):
        ev.market_model_event(stock, mkt, 330)


def test_pooling() -> None:
    out = ev.pool_cars([0.1, 0.2, -0.05], [0.05, 0.05, 0.05])
    assert out["n_events"] == 3
    assert out["caar"] == pytest.approx(0.25 / 3)
    assert out["t_stat"] == pytest.approx(0.25 / np.sqrt(3 * 0.05**2))
    z = np.array([2.0, 4.0, -1.0])
    assert out["t_stat_bmp"] == pytest.approx(z.mean() * np.sqrt(3) / z.std(ddof=1))
    assert out["positive_frac"] == pytest.approx(2 / 3)
    assert np.isnan(ev.pool_cars([0.1], [0.05])["t_stat_bmp"])


# --------------------------------------------------------------------------- orchestrator


@pytest.fixture(scope="module")
def synth_panel() -> pd.DataFrame:
    prices, btc = synthetic_market(n_days=700)
    return ed.build_return_panel(prices, btc)


def test_event_study_per_event_pooled_and_skipped(synth_panel: pd.DataFrame) -> None:
    events = [
        deal("MINR", "2021-06-05"),  # a Saturday: measured from Monday 2021-06-07
        deal("MINR", "2021-06-09", "minr-second"),  # inside the first one's window
        deal("AIDC", "2021-03-10"),
        deal("BITF", "2021-03-10"),  # not in the prices
        deal("MIXD", "2019-02-01"),  # too little history before it
        deal("MIXD", "2025-01-06"),  # after the data
    ]
    res = ev.event_study(synth_panel, events)
    rows = res.events.set_index("event_id")
    assert list(rows.index) == ["minr-2021-06-05", "minr-second", "aidc-2021-03-10"]
    assert rows.loc["minr-2021-06-05", "event_day"] == "2021-06-07"
    assert bool(rows.loc["minr-2021-06-05", "date_shifted"])
    assert bool(rows.loc["minr-second", "overlaps"])
    assert not bool(rows.loc["aidc-2021-03-10", "overlaps"])
    for key in ("car_m1_p1", "car_m1_p5", "t_stat", "t_stat_m1_p5", "beta_spy"):
        assert rows[key].notna().all()
    # no abnormal returns were injected: CARs are noise
    assert (rows["t_stat"].abs() < 4).all()
    reasons = {s["event_id"]: s["reason"] for s in res.skipped}
    assert "not a column of the prices" in reasons["bitf-2021-03-10"]
    assert "returns in the estimation window" in reasons["mixd-2019-02-01"]
    assert "after the last trading day" in reasons["mixd-2025-01-06"]
    assert set(res.pooled["window"]) == {"m1_p1", "m1_p5"}
    assert res.pooled.set_index(["group", "window"]).loc[("all", "m1_p1"), "n_events"] == 3
    payload = res.to_dict()
    assert {"events", "pooled", "skipped", "settings"} <= set(payload)
    assert set(res.to_frame().columns) == {"event_id", "field", "value"}


def test_other_events_are_kept_out_of_the_estimation(synth_panel: pd.DataFrame) -> None:
    alone = ev.event_study(synth_panel, [deal("MINR", "2021-06-09")])
    both = ev.event_study(synth_panel, [deal("MINR", "2021-06-09"), deal("MINR", "2021-01-12")])
    n_alone = alone.events["n_estimation_days"].iloc[0]
    n_both = both.events.set_index("event_id").loc["minr-2021-06-09", "n_estimation_days"]
    assert n_alone - n_both == 7  # the other event's [-1, +5] days


def test_btc_as_a_second_factor(synth_panel: pd.DataFrame) -> None:
    res = ev.event_study(synth_panel, [deal("MINR", "2021-06-09")], extra_factors=("BTC",))
    assert res.events["beta_btc"].iloc[0] == pytest.approx(1.5, abs=0.15)


def test_bad_windows_and_factor_refused(synth_panel: pd.DataFrame) -> None:
    with pytest.raises(SpecError, match="must have start < end < first event-window day -1"):
        ev.event_study(synth_panel, [deal("MINR", "2021-06-09")], estimation_window_days=(-250, 0))
    with pytest.raises(UnknownNameError, match="closest: SPY"):
        ev.event_study(synth_panel, [deal("MINR", "2021-06-09")], market_factor="SPX")
    with pytest.raises(ed.InsufficientHistoryError, match="no event could be estimated"):
        ev.event_study(synth_panel, [deal("BITF", "2021-06-09")])


# --------------------------------------------------------------------------- catalogue


def test_packaged_deals_hold_the_fact_sheet_dates() -> None:
    events = ev.load_deal_events()
    dates = {(e.ticker, e.partner.split(" ")[0], str(e.date)) for e in events}
    for expected in [
        ("CORZ", "CoreWeave", "2024-06-03"),
        ("IREN", "Microsoft", "2025-11-03"),
        ("HUT", "Fluidstack", "2025-12-17"),
        ("CIFR", "Amazon", "2025-11-03"),
        ("CIFR", "Fluidstack", "2025-09-25"),
        ("APLD", "CoreWeave", "2025-06-02"),
        ("RIOT", "AMD", "2026-01-16"),
        ("WULF", "Fluidstack", "2025-08-14"),
    ]:
        assert expected in dates
    assert all(e.source_url.startswith("https://") for e in events)
    assert len({e.event_id for e in events}) == len(events)


def test_bad_events_yaml_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "deals.yaml"
    path.write_text(
        "events:\n"
        "  - event_id: x-deal\n    ticker: MARA\n    partner: T\n    kind: lease\n"
        "    date: 2025-01-02\n    date_basis: test\n    headline: test deal\n"
        "    it_mw: -5\n    source_url: https://example.org\n    as_of: 2024-01-01\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecError) as info:
        ev.load_deal_events(path)
    text = str(info.value)
    assert "events[0].kind (line 5)" in text
    assert "events[0].it_mw (line 9): -5 — Input should be greater than 0" in text
    assert "Tuple should have" not in text


def test_duplicate_event_ids_refused(tmp_path: Path) -> None:
    one = deal("MARA", "2025-01-02").model_dump(mode="json")
    path = tmp_path / "dup.yaml"
    path.write_text(yaml.safe_dump({"events": [one, one]}), encoding="utf-8")
    with pytest.raises(SpecError, match="appears more than once"):
        ev.load_deal_events(path)


# --------------------------------------------------------------------------- CLI


@pytest.fixture(scope="module")
def synth_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_synthetic_csvs(tmp_path_factory.mktemp("synth"), n_days=700)


def test_cli_events_json_with_an_events_file(
    synth_files: tuple[Path, Path], tmp_path: Path
) -> None:
    prices, _ = synth_files
    events = [deal("MINR", "2021-06-05").model_dump(mode="json")]
    events.append(deal("AIDC", "2021-03-10").model_dump(mode="json"))
    path = tmp_path / "deals.yaml"
    path.write_text(yaml.safe_dump({"events": events}), encoding="utf-8")
    res = invoke("events", "--prices", str(prices), "--events", str(path), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    row = out["events"][0]
    for key in ("ticker", "date", "car_m1_p1", "car_m1_p5", "t_stat"):
        assert key in row
    assert out["pooled"][0]["group"] == "all"


def test_cli_events_report_and_tickers_filter(
    synth_files: tuple[Path, Path], tmp_path: Path
) -> None:
    prices, btc = synth_files
    events = [deal(t, "2021-06-09").model_dump(mode="json") for t in ("MINR", "AIDC")]
    path = tmp_path / "deals.yaml"
    path.write_text(yaml.safe_dump({"events": events}), encoding="utf-8")
    report = tmp_path / "events.html"
    res = invoke(
        "events", "--prices", str(prices), "--events", str(path), "--btc", str(btc),
        "--tickers", "MINR", "--report", str(report),
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "MINR" in res.stdout
    assert "AIDC" not in res.stdout
    assert "market model on SPY, BTC" in " ".join(res.stdout.split())
    assert "Cumulative abnormal returns by event" in report.read_text(encoding="utf-8")
    bad = invoke("events", "--prices", str(prices), "--tickers", "ZZZZ")
    assert bad.exit_code == 2
    assert "no events for ZZZZ" in bad.output


def test_cli_events_needs_prices_and_catalog_lists_deals() -> None:
    res = invoke("events")
    assert res.exit_code == 2
    assert "--prices FILE is required" in res.output
    out = invoke("catalog", "deals", "--json")
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)["events"]
    assert {"event_id", "ticker", "partner", "date", "source_url", "as_of"} <= set(rows[0])


# --------------------------------------------------------------------------- real data


def test_real_data_event_study(shared_data: Path) -> None:
    path = shared_data / EQUITIES_CSV
    if not path.is_file():
        pytest.skip(f"{EQUITIES_CSV} not found")
    res = invoke("events", "--prices", str(path), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    rows = {r["event_id"]: r for r in out["events"]}
    assert len(rows) + len(out["skipped"]) == len(ev.load_deal_events())
    # TeraWulf closed +59.5 % on 2025-08-14 (fact sheet D; the prices file)
    assert rows["wulf-fluidstack-2025-08-14"]["car_m1_p1"] > 0.4
    assert rows["wulf-fluidstack-2025-08-14"]["t_stat"] > 3
    assert rows["corz-coreweave-2024-06-03"]["car_m1_p1"] > 0.2
    for row in rows.values():
        assert all(v is not None for k, v in row.items() if k.startswith(("car_", "t_stat")))


def test_empty_list_and_as_of_before_the_date_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("events: []\n", encoding="utf-8")
    with pytest.raises(SpecError, match="the list is empty"):
        ev.load_deal_events(path)
    with pytest.raises(ValueError, match="as_of 2024-01-01 is before the announcement date"):
        ev.DealEvent.model_validate(
            {**deal("MARA", "2025-01-02").model_dump(), "as_of": dt.date(2024, 1, 1)}
        )
