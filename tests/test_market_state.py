"""The dated market states: the packaged series against public sources, rules, choice by
date, cache first."""

from __future__ import annotations

import datetime as dt
import re
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
    check_market_state,
    height_at,
    latest_market_state,
    load_market_state,
    market_state_on,
    market_state_to_yaml,
    packaged_market_state,
    packaged_market_states,
    parse_market_state,
    parse_market_states,
    scenario_start_date,
    scenario_text_with_state,
    valuation_market_state,
)

SNAPSHOT = packaged_market_state()
STATES = packaged_market_states()
FIRST = STATES[0]


def test_packaged_states_have_every_field_dated_and_sourced() -> None:
    days = [s.as_of for s in STATES]
    assert days == sorted(set(days))
    # year end 2024, every quarter end of 2025, the catalogue files' date, 2026 Q1, the
    # last close of the public price series
    for day in ("2024-12-31", "2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31",
                "2026-02-20", "2026-03-31", "2026-06-26"):  # fmt: skip
        assert dt.date.fromisoformat(day) in days, day
    for state in STATES:
        assert state.label == "packaged snapshot"
        for name in STATE_FIELDS:
            item = getattr(state, name)
            assert item.source_url.startswith(("https://", "http://")), (state.as_of, name)
            assert item.as_of <= state.as_of
            assert item.note, (state.as_of, name)
        assert state.as_of == max(getattr(state, n).as_of for n in STATE_FIELDS)
        assert state.btc_price_usd.as_of == state.as_of  # the price is always of the date
    assert STATES[-1] == SNAPSHOT
    assert SNAPSHOT.oldest_as_of() == dt.date(2026, 1, 12)  # the fees per block


def test_every_packaged_state_passes_the_consistency_checks() -> None:
    for state in STATES:
        assert check_market_state(state) == [], state.as_of


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        # 8.64e4·984e18/(1.3387e14·2^32) = 147.9 blocks a day; ten times the hashrate is
        # 1 479 blocks a day, past even a scenario's 4x clamp
        ({"network_hashrate_eh_s__value": 9840.0}, r"blocks per day \(must be 36 to 576"),
        # 1.3 x the hashrate: 192 blocks a day, within the clamp but not one retarget
        ({"network_hashrate_eh_s__value": 1280.0}, r"give 192.3 blocks a day \(must be 115"),
        # block 900 000 on 2026-06-26 is (900 000 − 840 000) / 797 days = 75.3 a day
        ({"block_height__value": 900000.0}, r"is 75.3 blocks a day since block 840000"),
        ({"hashprice_usd_per_ph_day__value": 35.0}, r"differs from 28.3\d USD/PH/day"),
    ],
)
def test_inconsistent_state_is_named(changes: dict[str, object], match: str) -> None:
    state = MarketState.model_validate(_data(**changes))
    problems = check_market_state(state)
    assert len(problems) == 1, problems
    assert re.search(match, problems[0]), problems


# Hashprice reported near each date by a source other than the state's own inputs
# (USD/PH/day): Hashrate Index spot 46.16 on 2025-04-05 (rupool.pro); JPMorgan's June
# 2025 mean 55.3 (CoinDesk 2025-07-01); Jefferies' September 2025 52 (cryptopressnews);
# "near 38" at the 2025-12-25 retarget (miningnews.live); "below 30" after the 2026-02-20
# retarget (yifi.io); 28.68 at the 2026-06-26 retarget (bt-miners.com).
REPORTED_HASHPRICE = {
    dt.date(2025, 3, 31): 46.16,
    dt.date(2025, 6, 30): 55.3,
    dt.date(2025, 9, 30): 52.0,
    dt.date(2025, 12, 31): 38.0,
    dt.date(2026, 2, 20): 29.5,
    dt.date(2026, 6, 26): 28.68,
}


@pytest.mark.parametrize("day", sorted(REPORTED_HASHPRICE))
def test_state_hashprice_is_near_the_hashprice_reported_at_its_date(day: dt.date) -> None:
    state = market_state_on(day, cache_dir=Path("/nonexistent-cache"))
    assert state.as_of == day
    assert state.hashprice_usd_per_ph_day.value == pytest.approx(REPORTED_HASHPRICE[day], rel=0.06)


def test_state_prices_are_the_shared_series_closes_of_their_dates(shared_data: Path) -> None:
    prices = pd.read_csv(shared_data / "btc_price_daily_2025_2026.csv", parse_dates=["date"])
    by_day = dict(zip(prices["date"].dt.date, prices["price_usd"], strict=True))
    for state in STATES[1:]:
        assert state.btc_price_usd.value == pytest.approx(by_day[state.as_of], abs=0.005)
    assert SNAPSHOT.btc_price_usd.as_of == prices["date"].iloc[-1].date()  # the last close
    net = pd.read_csv(shared_data / "btc_network_daily.csv", parse_dates=["date"])
    first = net.set_index("date").loc["2024-12-31", "price_usd_cm"]
    assert FIRST.btc_price_usd.value == pytest.approx(first, abs=0.005)


def test_first_state_network_values_match_the_shared_network_file(shared_data: Path) -> None:
    net = pd.read_csv(shared_data / "btc_network_daily.csv", parse_dates=["date"])
    net = net.set_index("date")
    assert FIRST.difficulty.value == net.loc["2024-12-31", "difficulty_bc"]
    week = net.loc["2024-12-25":"2024-12-31", "hashrate_ths_bc"].mean() / 1e6
    assert FIRST.network_hashrate_eh_s.value == pytest.approx(week, abs=0.05)
    dec = net.loc["2024-12-01":"2024-12-31"]
    fees = dec["drv_fees_btc"].sum() / dec["drv_blocks_est"].sum()
    assert FIRST.fees_btc_per_block.value == pytest.approx(fees, abs=5e-5)
    since_halving = net.loc["2024-04-20":"2024-12-31", "drv_blocks_est"].sum()
    assert FIRST.block_height.value == 839_999 + since_halving
    realized = net.loc["2024-12-31", "drv_hashprice_usd_per_phs_day"]
    assert FIRST.hashprice_usd_per_ph_day.value == pytest.approx(realized, abs=0.005)


def test_first_state_hashprice_is_near_the_protocol_formula_of_its_date() -> None:
    # Realized revenue per PH (one day, 129 blocks) and the expected value from
    # difficulty differ by the day's luck; 8.64e19/(D·2^32)·(3.125+0.0873)·93 389.73
    # = 54.97 by hand, 1.3 % above the realized 54.26.
    expected = float(
        bitcoin.hashprice_usd_per_ph_day(
            93_389.73, FIRST.difficulty.value, 3.125, FIRST.fees_btc_per_block.value
        )
    )
    assert expected == pytest.approx(54.97, abs=0.01)
    assert FIRST.hashprice_usd_per_ph_day.value == pytest.approx(expected, rel=0.02)


def test_retarget_heights_are_whole_epochs() -> None:
    # a retarget happens at a multiple of 2 016 blocks: 903 168 = 448 × 2 016 (2025-06-29),
    # 941 472 = 467 × 2 016 (2026-03-20), 955 584 = 474 × 2 016 (2026-06-26)
    by_day = {s.block_height.as_of: int(s.block_height.value) for s in STATES}
    for day, epoch in ((dt.date(2025, 6, 29), 448), (dt.date(2026, 3, 20), 467),
                       (dt.date(2026, 6, 26), 474)):  # fmt: skip
        assert by_day[day] == epoch * 2016


# --------------------------------------------------------------------------- by date


def test_state_on_a_date_is_the_newest_not_later(tmp_path: Path) -> None:
    # exactly on a state's date: that state
    assert market_state_on(dt.date(2026, 2, 20), tmp_path).as_of == dt.date(2026, 2, 20)
    # between two dates: the earlier one
    assert market_state_on(dt.date(2026, 2, 19), tmp_path).as_of == dt.date(2025, 12, 31)
    assert market_state_on(dt.date(2025, 5, 1), tmp_path).as_of == dt.date(2025, 3, 31)
    # after the last: the last
    assert market_state_on(dt.date(2030, 1, 1), tmp_path) == SNAPSHOT


def test_before_the_first_state_is_refused_naming_its_date(tmp_path: Path) -> None:
    with pytest.raises(HashpivotError, match=r"as of 2024-12-30: no market state .* of 2024-12-31"):
        market_state_on(dt.date(2024, 12, 30), tmp_path)
    # a valuation gets the first state, later than its date, so choose_market falls back
    # to the scenario's market block and says the state is after the date
    assert valuation_market_state(dt.date(2024, 12, 30), tmp_path) == FIRST


def test_cached_state_wins_when_not_later_than_the_date(tmp_path: Path) -> None:
    cached = STATES[-3].model_copy(update={"label": "cache", "as_of": dt.date(2026, 3, 1)})
    (tmp_path / CACHE_STATE_FILE).write_text(market_state_to_yaml(cached), encoding="utf-8")
    assert market_state_on(dt.date(2026, 3, 1), tmp_path).label == "cache"
    assert market_state_on(dt.date(2026, 3, 30), tmp_path).label == "cache"
    # a later packaged state is newer than the cache
    assert market_state_on(dt.date(2026, 3, 31), tmp_path).as_of == dt.date(2026, 3, 31)
    # a date before the cache's: the packaged state of that date
    assert market_state_on(dt.date(2026, 2, 28), tmp_path).label == "packaged snapshot"
    # same date as a packaged state: the cache
    same = cached.model_copy(update={"as_of": dt.date(2026, 3, 31)})
    (tmp_path / CACHE_STATE_FILE).write_text(market_state_to_yaml(same), encoding="utf-8")
    assert market_state_on(dt.date(2026, 3, 31), tmp_path).label == "cache"


def test_series_file_with_dates_out_of_order_is_refused() -> None:
    text = "states:\n" + "".join(
        "  - " + market_state_to_yaml(s).replace("\n", "\n    ").rstrip() + "\n"
        for s in (STATES[1], STATES[0])
    )
    with pytest.raises(SpecError, match=r"states\[1\].as_of: 2024-12-31 — must be after"):
        parse_market_states(text)


def test_yaml_round_trip_is_equal() -> None:
    assert parse_market_state(market_state_to_yaml(SNAPSHOT)) == SNAPSHOT


def test_age_and_description_name_the_dates() -> None:
    assert SNAPSHOT.age_days(dt.date(2026, 7, 6)) == 10
    text = SNAPSHOT.describe(dt.date(2026, 7, 6))
    assert "as of 2026-06-26 (10 days old; oldest value 2026-01-12)" in text


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
    assert sc.market.difficulty == 133870000000000
    assert sc.market.fees_btc_per_block == 0.0169
    # 2026-06-26 → 2026-07-01 is 5 days: 955 584 + 144 × 5 = 956 304.
    assert sc.market.block_height == 956_304
    assert "https://github.com/coinmetrics/data" in text
    assert "packaged snapshot: as of 2026-06-26, https://bt-miners.com/" in text
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
    tip_day = FIRST.block_height.as_of
    assert height_at(FIRST, tip_day) == 877_259
    assert height_at(FIRST, tip_day + dt.timedelta(days=10)) == 877_259 + 1440
    assert height_at(FIRST, tip_day - dt.timedelta(days=10)) == 877_259  # never backwards


def test_init_as_of_a_date_starts_from_the_packaged_state_of_that_date(tmp_path: Path) -> None:
    from hashpivot.sources.cache import market_state_as_of

    # no fetch cached: the packaged series answers for any date from its first state
    assert market_state_as_of(dt.date(2025, 9, 30), tmp_path).as_of == dt.date(2025, 9, 30)
    assert market_state_as_of(dt.date(2025, 11, 1), tmp_path).as_of == dt.date(2025, 9, 30)
    with pytest.raises(HashpivotError, match=r"packaged snapshot \(2024-12-31\)"):
        market_state_as_of(dt.date(2024, 6, 1), tmp_path)


def test_valuation_before_the_first_state_falls_back_to_the_scenario_naming_why(
    tmp_path: Path,
) -> None:
    from hashpivot.company.listed_value import choose_market
    from hashpivot.spec import default_scenario

    scenario = default_scenario()
    day = dt.date(2024, 12, 30)
    market, source = choose_market(scenario, valuation_market_state(day, tmp_path), day)
    assert market is scenario
    assert "the market state is as of 2024-12-31, after it" in source
    # one day later the first state is used
    first_day = day + dt.timedelta(days=1)
    market, source = choose_market(scenario, valuation_market_state(first_day, tmp_path), first_day)
    assert market.market.btc_price_usd == FIRST.btc_price_usd.value
    assert "market state 'packaged snapshot' as of 2024-12-31" in source
