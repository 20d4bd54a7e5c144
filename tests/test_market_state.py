"""The dated market state: packaged snapshot against its public sources, rules, cache first."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hashpivot import bitcoin
from hashpivot.errors import HashpivotError, SpecError
from hashpivot.market_state import (
    CACHE_STATE_FILE,
    STATE_FIELDS,
    MarketState,
    height_at,
    latest_market_state,
    load_market_state,
    market_state_to_yaml,
    packaged_market_state,
    parse_market_state,
    scenario_start_date,
    scenario_text_with_state,
)

SNAPSHOT = packaged_market_state()


def test_packaged_snapshot_has_every_field_dated_and_sourced() -> None:
    assert SNAPSHOT.label == "packaged snapshot"
    for name in STATE_FIELDS:
        item = getattr(SNAPSHOT, name)
        assert item.source_url.startswith("https://"), name
        assert item.as_of <= SNAPSHOT.as_of
    assert SNAPSHOT.as_of == max(getattr(SNAPSHOT, n).as_of for n in STATE_FIELDS)
    assert SNAPSHOT.oldest_as_of() == dt.date(2024, 12, 31)


def test_snapshot_price_is_the_latest_close_of_the_shared_series(shared_data: Path) -> None:
    prices = pd.read_csv(shared_data / "btc_price_daily_2025_2026.csv", parse_dates=["date"])
    last = prices.iloc[-1]
    assert SNAPSHOT.btc_price_usd.as_of == last["date"].date()
    assert SNAPSHOT.btc_price_usd.value == pytest.approx(last["price_usd"], abs=0.005)


def test_snapshot_network_values_match_the_shared_network_file(shared_data: Path) -> None:
    net = pd.read_csv(shared_data / "btc_network_daily.csv", parse_dates=["date"])
    net = net.set_index("date")
    assert SNAPSHOT.difficulty.value == net.loc["2024-12-31", "difficulty_bc"]
    week = net.loc["2024-12-25":"2024-12-31", "hashrate_ths_bc"].mean() / 1e6
    assert SNAPSHOT.network_hashrate_eh_s.value == pytest.approx(week, abs=0.05)
    dec = net.loc["2024-12-01":"2024-12-31"]
    fees = dec["drv_fees_btc"].sum() / dec["drv_blocks_est"].sum()
    assert SNAPSHOT.fees_btc_per_block.value == pytest.approx(fees, abs=5e-5)
    since_halving = net.loc["2024-04-20":"2024-12-31", "drv_blocks_est"].sum()
    assert SNAPSHOT.block_height.value == 839_999 + since_halving
    realized = net.loc["2024-12-31", "drv_hashprice_usd_per_phs_day"]
    assert SNAPSHOT.hashprice_usd_per_ph_day.value == pytest.approx(realized, abs=0.005)


def test_snapshot_hashprice_is_near_the_protocol_formula_of_its_date() -> None:
    # Realized revenue per PH (one day, 129 blocks) and the expected value from
    # difficulty differ by the day's luck; 8.64e19/(D·2^32)·(3.125+0.0873)·93 389.73
    # = 54.97 by hand, 1.3 % above the realized 54.26.
    expected = float(
        bitcoin.hashprice_usd_per_ph_day(
            93_389.73, SNAPSHOT.difficulty.value, 3.125, SNAPSHOT.fees_btc_per_block.value
        )
    )
    assert expected == pytest.approx(54.97, abs=0.01)
    assert SNAPSHOT.hashprice_usd_per_ph_day.value == pytest.approx(expected, rel=0.02)


def test_yaml_round_trip_is_equal() -> None:
    assert parse_market_state(market_state_to_yaml(SNAPSHOT)) == SNAPSHOT


def test_age_and_description_name_the_dates() -> None:
    assert SNAPSHOT.age_days(dt.date(2026, 7, 6)) == 10
    text = SNAPSHOT.describe(dt.date(2026, 7, 6))
    assert "as of 2026-06-26 (10 days old; oldest value 2024-12-31)" in text


def _data(**changes: object) -> dict[str, object]:
    data = SNAPSHOT.model_dump(mode="python")
    for key, value in changes.items():
        field, _, sub = key.partition("__")
        if sub:
            data[field] = {**data[field], sub: value}
        else:
            data[field] = value
    return data


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"btc_price_usd__value": -5.0}, r"btc_price_usd.value: -5.0 — must be in"),
        ({"block_height__value": 877259.5}, r"block_height.value: 877259.5 — must be whole"),
        (
            {"difficulty__as_of": dt.date(2027, 1, 1)},
            r"difficulty.as_of: 2027-01-01 — after the state's as_of 2026-06-26",
        ),
        ({"fees_btc_per_block__source_url": "blockchain"}, r"must be a public URL"),
        ({"risk_free_rate_frac_per_year__value": 4.57}, r"risk_free_rate_frac_per_year.value"),
    ],
)
def test_bad_state_is_refused_naming_field_value_and_rule(
    changes: dict[str, object], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        MarketState.model_validate(_data(**changes))


def test_bad_file_names_the_line_and_field(tmp_path: Path) -> None:
    text = market_state_to_yaml(SNAPSHOT).replace("label: packaged snapshot", "labl: x")
    path = tmp_path / "state.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError, match=r"labl \(line \d+\): 'x' — unknown field"):
        load_market_state(path)
    with pytest.raises(SpecError, match="file not found"):
        load_market_state(tmp_path / "missing.yaml")


def test_latest_prefers_the_cache_and_falls_back_to_the_snapshot(tmp_path: Path) -> None:
    assert latest_market_state(tmp_path) == SNAPSHOT
    cached = SNAPSHOT.model_copy(update={"label": "cache", "as_of": dt.date(2026, 12, 6)})
    (tmp_path / CACHE_STATE_FILE).write_text(market_state_to_yaml(cached), encoding="utf-8")
    assert latest_market_state(tmp_path).label == "cache"
    assert load_market_state() == SNAPSHOT


def test_latest_reads_the_env_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HASHPIVOT_DATA_DIR", str(tmp_path))
    (tmp_path / CACHE_STATE_FILE).write_text("as_of: [", encoding="utf-8")
    with pytest.raises(SpecError, match="YAML does not parse"):
        latest_market_state()


@given(st.integers(min_value=0, max_value=5000))
def test_age_grows_one_day_per_day(days: int) -> None:
    today = SNAPSHOT.as_of + dt.timedelta(days=days)
    assert SNAPSHOT.age_days(today) == days
    assert SNAPSHOT.age_days(today + dt.timedelta(days=1)) == days + 1


# --------------------------------------------------------------------------- scenarios


def test_scenario_text_takes_dates_and_market_values_from_the_state() -> None:
    from hashpivot.spec import default_scenario_text, parse_scenario

    text = scenario_text_with_state(default_scenario_text(), SNAPSHOT)
    sc = parse_scenario(text)
    assert sc.as_of == dt.date(2026, 6, 26)
    assert sc.start_date == dt.date(2026, 7, 1)
    assert sc.market.btc_price_usd == 59961.51
    assert sc.market.difficulty == 109782075599000
    assert sc.market.fees_btc_per_block == 0.0873
    # 2024-12-31 → 2026-07-01 is 547 days: 877 259 + 144 × 547 = 956 027.
    assert sc.market.block_height == 956_027
    assert "https://github.com/coinmetrics/data" in text
    assert (
        "packaged snapshot: as of 2024-12-31, https://www.blockchain.com/charts/difficulty" in text
    )
    assert "Coin Metrics PriceUSD on 2024-12-31" not in text  # the old value's comment went
    assert [s.name for s in sc.sites] == ["Pecos West", "Lake Niagara", "Red River"]
    assert text.startswith("# Market state: packaged snapshot as of 2026-06-26")


def test_scenario_header_date_is_said_to_cover_the_rest_only() -> None:
    market = "".join(f"  {k}: 1\n" for k in ("btc_price_usd", "network_hashrate_eh_s"))
    market += "".join(f"  {k}: 1\n" for k in ("difficulty", "block_height", "fees_btc_per_block"))
    text = "# As of 2024-12-31. Sourced.\nas_of: 2024-12-31\nstart_date: 2025-01-01\n"
    out = scenario_text_with_state(text + "market:\n" + market, SNAPSHOT)
    assert "\n# Market values from the state above; the rest as of 2024-12-31. Sourced.\n" in out
    assert "\n  btc_price_usd: 59961.51\n" in out


def test_scenario_text_without_a_market_field_is_refused() -> None:
    text = "name: x\nas_of: 2025-01-01\nstart_date: 2025-01-01\nmarket:\n  btc_price_usd: 1\n"
    with pytest.raises(
        HashpivotError, match="no field block_height, difficulty, fees_btc_per_block"
    ):
        scenario_text_with_state(text, SNAPSHOT)


@given(st.dates(min_value=dt.date(2009, 1, 3), max_value=dt.date(2100, 12, 31)))
def test_start_date_is_the_first_whole_month(day: dt.date) -> None:
    state = SNAPSHOT.model_copy(update={"as_of": day})
    start = scenario_start_date(state)
    assert start.day == 1
    assert day <= start < day + dt.timedelta(days=32)
    assert (start == day) == (day.day == 1)


def test_height_is_carried_at_144_blocks_a_day() -> None:
    tip_day = SNAPSHOT.block_height.as_of
    assert height_at(SNAPSHOT, tip_day) == 877_259
    assert height_at(SNAPSHOT, tip_day + dt.timedelta(days=10)) == 877_259 + 1440
    assert height_at(SNAPSHOT, tip_day - dt.timedelta(days=10)) == 877_259  # never backwards
