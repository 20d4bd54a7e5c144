import datetime as dt

import numpy as np
import pytest

from hashpivot import bitcoin
from hashpivot.network import chain as network_chain
from hashpivot.network import models as network

START = dt.date(2025, 1, 1)
H0_EH_S = 780.0
D0 = 1.097e14
HEIGHT0 = 877_300.0


def _daily_from_month_ends(ends: np.ndarray, h0: float, cal: network.Calendar) -> np.ndarray:
    """Daily means of a hashrate that is log-linear between month ends."""
    starts = np.concatenate([np.full((ends.shape[0], 1), h0), ends[:, :-1]], axis=1)
    parts = []
    for t, n_days in enumerate(cal.days_in_month):
        g = np.log(ends[:, t] / starts[:, t])[:, None] / n_days
        k = np.arange(n_days)[None, :]
        g_safe = np.where(np.abs(g) < 1e-12, 1e-12, g)
        parts.append(starts[:, t, None] * np.exp(g * k) * np.expm1(g_safe) / g_safe)
    return np.concatenate(parts, axis=1)


GROWTH_PATHS = {
    "flat": np.zeros(120),
    "minus_5pct": np.full(120, np.log(0.95)),
    "plus_3pct": np.full(120, np.log(1.03)),
    "plus_8pct": np.full(120, np.log(1.08)),
    "random": np.random.default_rng(7).normal(0.03, 0.12, 120),
}


@pytest.mark.parametrize("name", list(GROWTH_PATHS))
def test_monthly_chain_within_1e4_of_exact_daily_chain(name: str) -> None:
    # The README's claim: the monthly approximation within 1e-4 of
    # bitcoin.simulate_chain_daily on the same path (worst here: 6.3e-5, difficulty).
    cal = network.calendar(START, 120)
    h0 = H0_EH_S * 1e18
    ends = h0 * np.exp(np.cumsum(GROWTH_PATHS[name]))[None, :]
    exact = network.network_from_hashrate(
        _daily_from_month_ends(ends, h0, cal), cal, HEIGHT0, D0, 0.05
    )
    approx = network_chain.simulate_chain_monthly(ends, h0, cal, HEIGHT0, D0, None, 0.05)
    np.testing.assert_allclose(approx.blocks, exact.blocks, rtol=1e-4)
    np.testing.assert_allclose(approx.difficulty, exact.difficulty, rtol=1e-4)
    np.testing.assert_allclose(approx.issued_btc, exact.issued_btc, rtol=1e-4)
    np.testing.assert_allclose(
        approx.hashprice_btc_per_ph_day, exact.hashprice_btc_per_ph_day, rtol=1e-4
    )
    assert exact.halving_day is not None
    assert approx.halving_day is not None
    n = exact.halving_day.shape[-1]
    assert n >= 1
    np.testing.assert_allclose(approx.halving_day[..., :n], exact.halving_day, atol=0.05)


def test_monthly_chain_within_1e4_on_paths_as_volatile_as_history() -> None:
    # 200 ten-year paths whose monthly log growth has the 2016-2024 sd (0.087): blocks,
    # issuance, hashprice and heights within 1e-4 in every month; the month-end
    # difficulty too, except where a retarget falls within a block of the month's end and
    # the two chains date it on either side (2 of the 24 000 month-ends here).
    cal = network.calendar(START, 120)
    h0 = H0_EH_S * 1e18
    g = np.random.default_rng(123).normal(0.03, 0.087, (200, 120))
    ends = h0 * np.exp(np.cumsum(g, axis=1))
    exact = network.network_from_hashrate(
        _daily_from_month_ends(ends, h0, cal), cal, HEIGHT0, D0, 0.05
    )
    approx = network_chain.simulate_chain_monthly(ends, h0, cal, HEIGHT0, D0, None, 0.05)
    for field in ("blocks", "issued_btc", "hashprice_btc_per_ph_day", "height_end"):
        np.testing.assert_allclose(getattr(approx, field), getattr(exact, field), rtol=1e-4)
    off = np.abs(approx.difficulty / exact.difficulty - 1.0) > 1e-4
    assert off.sum() <= 2


def test_monthly_chain_keeps_144_blocks_a_day_at_steady_hashrate() -> None:
    cal = network.calendar(START, 12)
    h = float(bitcoin.hashrate_h_s_for_difficulty(D0))
    net = network_chain.simulate_chain_monthly(np.full((1, 12), h), h, cal, 2016 * 400, D0)
    np.testing.assert_allclose(net.difficulty, D0, rtol=1e-9)
    np.testing.assert_allclose(net.blocks, 144 * cal.days_in_month[None, :], rtol=1e-9)
    np.testing.assert_allclose(net.network_hashrate_eh_s, h / 1e18, rtol=1e-9)


def test_estimate_height_hits_the_halving_anchors() -> None:
    assert network.estimate_height(dt.date(2024, 4, 20)) == pytest.approx(840_000)
    # 2022-01-01 00:00 UTC was block ~716 600 (blockchain explorers)
    assert network.estimate_height(dt.date(2022, 1, 1)) == pytest.approx(716_600, abs=3000)
    assert network.estimate_height(dt.date(2025, 6, 1)) == pytest.approx(899_800, abs=3000)
