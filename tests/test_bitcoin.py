import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hashpivot import bitcoin


# Reference: Bitcoin Core GetBlockSubsidy (50 BTC >> height // 210000); halving 4 at
# block 840 000 paid 3.125 BTC (fxstreet, 2024-04-20).
@pytest.mark.parametrize(
    ("height", "subsidy"),
    [
        (0, 50.0),
        (209_999, 50.0),
        (210_000, 25.0),
        (630_000, 6.25),
        (839_999, 6.25),
        (840_000, 3.125),
        (1_050_000, 1.5625),
        (6_930_000, 0.0),
        (20_000_000, 0.0),
    ],
)
def test_subsidy_reference_values(height: int, subsidy: float) -> None:
    assert float(bitcoin.subsidy_btc(height)) == subsidy


def test_subsidy_vectorised_and_epochs() -> None:
    heights = np.array([[0, 210_000], [840_000, 1_049_999]])
    assert bitcoin.subsidy_btc(heights).shape == (2, 2)
    assert bitcoin.halving_epoch(877_260) == 4
    assert bitcoin.next_halving_height(877_260) == 1_050_000
    assert bitcoin.halving_height(5) == 1_050_000


def test_negative_height_refused() -> None:
    with pytest.raises(ValueError, match="height"):
        bitcoin.subsidy_btc(-1)


def test_cumulative_subsidy_matches_schedule() -> None:
    # Supply schedule: 10.5M BTC in epoch 0, 19 687 500 BTC before block 840 000,
    # total just under 21M (Bitcoin Core subsidy rule, integer satoshi shifts).
    assert float(bitcoin.cumulative_subsidy_btc(210_000)) == pytest.approx(10_500_000)
    assert float(bitcoin.cumulative_subsidy_btc(840_000)) == pytest.approx(19_687_500)
    total = float(bitcoin.cumulative_subsidy_btc(7_000_000))
    assert 20_999_999 < total < 21_000_000
    # a span across the halving: 100 blocks at 6.25 and 100 at 3.125
    span = bitcoin.cumulative_subsidy_btc(840_100) - bitcoin.cumulative_subsidy_btc(839_900)
    assert float(span) == pytest.approx(100 * 6.25 + 100 * 3.125)


@given(st.integers(0, 8_000_000), st.integers(0, 8_000_000))
def test_subsidy_non_increasing(a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert bitcoin.subsidy_btc(hi) <= bitcoin.subsidy_btc(lo)


def test_expected_blocks_per_day_is_144_at_matching_difficulty() -> None:
    h = 800e18
    d = bitcoin.difficulty_for_hashrate(h)
    assert float(bitcoin.expected_blocks_per_day(h, d)) == pytest.approx(144.0)
    assert float(bitcoin.expected_blocks_per_day(1.1 * h, d)) == pytest.approx(158.4)


def test_retarget_and_clamp() -> None:
    two_weeks = 2016 * 600.0
    assert float(bitcoin.retarget_difficulty(100.0, two_weeks)) == pytest.approx(100.0)
    assert float(bitcoin.retarget_difficulty(100.0, two_weeks / 2)) == pytest.approx(200.0)
    assert float(bitcoin.retarget_difficulty(100.0, two_weeks * 2)) == pytest.approx(50.0)
    # clamped to 4x either way (Bitcoin Core pow.cpp)
    assert float(bitcoin.retarget_difficulty(100.0, two_weeks / 10)) == pytest.approx(400.0)
    assert float(bitcoin.retarget_difficulty(100.0, two_weeks * 10)) == pytest.approx(25.0)


def test_hashprice_identity_and_units() -> None:
    # 8.64e19/(D·2^32)·(subsidy+fees)·price
    d, price = 1e14, 90_000.0
    expected = 8.64e19 / (d * 2**32) * (3.125 + 0.1) * price
    hp = float(bitcoin.hashprice_usd_per_ph_day(price, d, 3.125, 0.1))
    assert hp == pytest.approx(expected)
    assert float(bitcoin.hashprice_btc_per_ph_day(d, 3.125, 0.1)) * price == pytest.approx(hp)


def test_hashcost_and_breakeven_reference_values() -> None:
    # methods.md §1: 20 J/TH at 0.05 USD/kWh costs 24 USD/PH/day.
    assert float(bitcoin.hashcost_usd_per_ph_day(20.0, 50.0)) == pytest.approx(24.0)
    # methods.md §6: 50 USD/PH/day at 20 J/TH breaks even at about 104 USD/MWh.
    assert float(bitcoin.breakeven_power_usd_per_mwh(50.0, 20.0)) == pytest.approx(104.17, rel=1e-3)


@given(st.floats(1.0, 500.0), st.floats(5.0, 100.0))
def test_breakeven_makes_margin_zero(hashprice: float, efficiency: float) -> None:
    p = bitcoin.breakeven_power_usd_per_mwh(hashprice, efficiency)
    assert float(bitcoin.hashcost_usd_per_ph_day(efficiency, p)) == pytest.approx(hashprice)


def test_chain_steady_state() -> None:
    h = np.full(30, 800e18)
    d = bitcoin.difficulty_for_hashrate(800e18)
    chain = bitcoin.simulate_chain_daily(h, 877_000, d)
    assert np.allclose(chain["blocks"], 144.0)
    assert np.allclose(chain["difficulty"], d)
    assert np.allclose(chain["issued_btc"], 144 * 3.125)


def test_chain_growth_raises_blocks_then_retargets() -> None:
    days = 120
    h = 800e18 * 1.01 ** np.arange(days)  # 1 %/day growth
    d0 = bitcoin.difficulty_for_hashrate(800e18)
    chain = bitcoin.simulate_chain_daily(h, 2016 * 400, d0)
    assert chain["blocks"][10] > 144.0
    assert chain["difficulty"][-1] > 2 * d0
    height_end = chain["height_start"] + chain["blocks"]
    assert np.all(np.diff(height_end) > 0)


def test_chain_clamps_at_4x() -> None:
    # Hashrate jumps 10x: the first retarget can only raise difficulty 4x.
    d0 = bitcoin.difficulty_for_hashrate(100e18)
    h = np.full(10, 1000e18)
    chain = bitcoin.simulate_chain_daily(h, 0, d0)
    assert chain["difficulty"].max() == pytest.approx(4 * d0)


def test_chain_vectorised_over_paths() -> None:
    h = np.stack([np.full(50, 800e18), np.full(50, 880e18)])
    d0 = bitcoin.difficulty_for_hashrate(800e18)
    chain = bitcoin.simulate_chain_daily(h, 877_000, d0)
    assert chain["blocks"].shape == (2, 50)
    assert chain["blocks"][1, 0] == pytest.approx(158.4)


def test_projected_days_to_height_steady_and_faster() -> None:
    d0 = bitcoin.difficulty_for_hashrate(800e18)
    steady = bitcoin.projected_days_to_height(1_050_000, 1_000_000, d0, np.full(600, 800e18))
    assert float(steady) == pytest.approx(50_000 / 144, rel=1e-6)
    growing = 800e18 * 1.002 ** np.arange(600)
    fast = bitcoin.projected_days_to_height(1_050_000, 1_000_000, d0, growing)
    assert float(fast) < float(steady)
    short = bitcoin.projected_days_to_height(1_050_000, 1_000_000, d0, np.full(10, 800e18))
    assert np.isnan(short)
    assert bitcoin.days_to_date(dt.date(2025, 1, 1), 31.5) == dt.date(2025, 2, 1)


def test_halving_4_date_from_history(shared_data) -> None:
    # Source: btc_network_daily.csv (blockchain.com hashrate). Starting 2023-12-31 at the
    # height implied by the 840 000 halving on 2024-04-20, simulating the realised
    # daily hashrate must land the halving within a few days of 2024-04-20.
    df = pd.read_csv(shared_data / "btc_network_daily.csv", parse_dates=["date"]).set_index("date")
    blocks_after = df.loc["2024-01-01":"2024-04-19", "drv_blocks_est"].sum()
    start_height = 840_000 - blocks_after
    h = df.loc["2024-01-01":"2024-06-30", "hashrate_ths_bc"].to_numpy() * 1e12
    d0 = df.loc["2024-01-01", "difficulty_bc"]
    days = float(bitcoin.projected_days_to_height(840_000, start_height, d0, h))
    date = bitcoin.days_to_date(dt.date(2024, 1, 1), days)
    assert abs((date - dt.date(2024, 4, 20)).days) <= 3


def test_hashprice_formula_tracks_realised_revenue(shared_data) -> None:
    # Source: btc_network_daily.csv. What this checks, and what it does not: the derived
    # column drv_hashprice_usd_per_phs_day is realised revenue (Coin Metrics issuance +
    # fees) divided by blockchain.com's hashrate, and that hashrate is itself estimated
    # from the day's block count and difficulty, so the ratio below reduces to the
    # expected block count (86400·H/(D·2^32)) over the realised one: an identity up to
    # luck. It catches unit and scale slips in the formula (2^32, 86 400 s, TH vs PH, a
    # subsidy off by a halving), not a wrong model of hashprice; the independent check
    # against published index values is test_hashprice_matches_published_index_values.
    df = pd.read_csv(shared_data / "btc_network_daily.csv", parse_dates=["date"]).set_index("date")
    x = df.loc["2023-01-01":"2024-12-31"].dropna(subset=["drv_hashprice_usd_per_phs_day"])
    subsidy = x["issuance_btc_cm"] / x["drv_blocks_est"]
    fees = x["drv_fees_btc"] / x["drv_blocks_est"]
    hp = bitcoin.hashprice_usd_per_ph_day(x["price_usd_cm"], x["difficulty_bc"], subsidy, fees)
    ratio = (
        pd.Series(hp, index=x.index).resample("MS").mean()
        / x["drv_hashprice_usd_per_phs_day"].resample("MS").mean()
    )
    assert float((ratio - 1).abs().median()) < 0.03


# Published hashprice (Luxor's Hashrate Index, USD/PH/day), an independent reference: the
# index is computed by Luxor from its own block data, with fees as a 144-block moving
# average. Hashrate Index, "2022 Bitcoin Mining Year in Review" (2023-01-11), as reported
# at (fact sheet [11])
# https://investing.com/news/cryptocurrency-news/hashrate-index-releases-2022-bitcoin-mining-year-in-review-2980525
# and
# https://whatsupmarket.com/2023/01/15/hashrate-index-releases-2022-bitcoin-mining-year-in-review/
# 2021 average 314.61, 2021 high 412.57; 2022 average 123.88, high 246.86, low 55.94.
# Tolerances: 1 % on annual means (daily noise averages out); 3 % on the daily extremes
# (Luxor smooths fees over 144 blocks and samples intraday; we use daily means).
@pytest.mark.parametrize(
    ("year", "stat", "published_usd_per_ph_day", "rel"),
    [
        ("2021", "mean", 314.61, 0.01),
        ("2021", "max", 412.57, 0.03),
        ("2022", "mean", 123.88, 0.01),
        ("2022", "max", 246.86, 0.03),
        ("2022", "min", 55.94, 0.03),
    ],
)
def test_hashprice_matches_published_index_values(
    shared_data, year: str, stat: str, published_usd_per_ph_day: float, rel: float
) -> None:
    # Inputs only: Coin Metrics price and issuance, blockchain.com difficulty and fees;
    # the 2021-2022 subsidy is 6.25 BTC (blocks 630 000-839 999), so blocks that day =
    # issuance / 6.25 and fees per block = day's fees / blocks. No derived hashrate.
    df = pd.read_csv(shared_data / "btc_network_daily.csv", parse_dates=["date"]).set_index("date")
    x = df.loc[year]
    blocks = x["issuance_btc_cm"] / 6.25
    fees = x["fees_btc_bc"] / blocks
    hp = pd.Series(
        bitcoin.hashprice_usd_per_ph_day(x["price_usd_cm"], x["difficulty_bc"], 6.25, fees)
    )
    assert hp.notna().all()
    assert float(getattr(hp, stat)()) == pytest.approx(published_usd_per_ph_day, rel=rel)
