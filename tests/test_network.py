import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from hashpivot import bitcoin, network, network_chain, network_supply
from hashpivot.errors import SpecError, UnknownNameError
from hashpivot.network import NetworkModelSpec

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
def test_monthly_chain_within_1pct_of_exact_daily_chain(name: str) -> None:
    # The monthly approximation against bitcoin.simulate_chain_daily on the same path.
    cal = network.calendar(START, 120)
    h0 = H0_EH_S * 1e18
    ends = h0 * np.exp(np.cumsum(GROWTH_PATHS[name]))[None, :]
    exact = network.network_from_hashrate(
        _daily_from_month_ends(ends, h0, cal), cal, HEIGHT0, D0, 0.05
    )
    approx = network_chain.simulate_chain_monthly(ends, h0, cal, HEIGHT0, D0, None, 0.05)
    np.testing.assert_allclose(approx.blocks, exact.blocks, rtol=0.01)
    np.testing.assert_allclose(approx.difficulty, exact.difficulty, rtol=0.01)
    np.testing.assert_allclose(approx.issued_btc, exact.issued_btc, rtol=0.01)
    np.testing.assert_allclose(
        approx.hashprice_btc_per_ph_day, exact.hashprice_btc_per_ph_day, rtol=0.01
    )
    assert exact.halving_day is not None
    assert approx.halving_day is not None
    n = exact.halving_day.shape[-1]
    assert n >= 1
    np.testing.assert_allclose(approx.halving_day[..., :n], exact.halving_day, rtol=0.01)


def test_monthly_chain_keeps_144_blocks_a_day_at_steady_hashrate() -> None:
    cal = network.calendar(START, 12)
    h = float(bitcoin.hashrate_h_s_for_difficulty(D0))
    net = network_chain.simulate_chain_monthly(np.full((1, 12), h), h, cal, 2016 * 400, D0)
    np.testing.assert_allclose(net.difficulty, D0, rtol=1e-9)
    np.testing.assert_allclose(net.blocks, 144 * cal.days_in_month[None, :], rtol=1e-9)
    np.testing.assert_allclose(net.network_hashrate_eh_s, h / 1e18, rtol=1e-9)


def _fixed(growth: float, months: int = 60, paths: int = 1) -> network.NetworkPath:
    spec = NetworkModelSpec(model="fixed_growth", growth_frac_per_month=growth)
    price = np.full((paths, months), 90_000.0)
    return network.simulate_network(spec, price, 0.05, START, H0_EH_S, D0, HEIGHT0, seed=0)


def test_halving_dates_move_earlier_when_hashrate_grows_faster() -> None:
    days = [float(_fixed(g).halving_day[0, 0]) for g in (-0.01, 0.0, 0.02, 0.05)]
    assert all(np.isfinite(days))
    assert days == sorted(days, reverse=True)
    assert days[0] - days[-1] > 20.0  # weeks of difference, not rounding
    # the same on the exact daily chain of the deterministic projection
    slow = network.fixed_growth_network(START, 60, H0_EH_S, 0.0, HEIGHT0, D0, 0.05)
    fast = network.fixed_growth_network(START, 60, H0_EH_S, 0.05, HEIGHT0, D0, 0.05)
    assert network.halving_dates(fast, START)[0][1] < network.halving_dates(slow, START)[0][1]


def test_halving_dates_move_earlier_under_higher_prices_in_the_supply_curve() -> None:
    spec = NetworkModelSpec()
    days = []
    for price in (40_000.0, 90_000.0, 250_000.0):
        net = network.simulate_network(
            spec, np.full((200, 60), price), 0.05, START, H0_EH_S, D0, HEIGHT0, seed=3
        )
        assert net.halving_day is not None
        days.append(float(np.nanmedian(net.halving_day[:, 0])))
    assert days[0] > days[1] > days[2]


def test_fixed_growth_by_name_grows_at_the_rate_on_every_path() -> None:
    net = _fixed(0.03, months=24, paths=3)
    ratio = net.network_hashrate_eh_s[:, 1:] / net.network_hashrate_eh_s[:, :-1]
    np.testing.assert_allclose(ratio.mean(), 1.03, rtol=2e-3)
    np.testing.assert_array_equal(net.network_hashrate_eh_s[0], net.network_hashrate_eh_s[2])


def test_unknown_network_model_lists_the_valid_names() -> None:
    with pytest.raises(UnknownNameError, match=r"supply_curve.*valid names: supply_curve, "):
        network.network_model("supply_curv")
    with pytest.raises(ValidationError, match="supply_curve"):
        NetworkModelSpec.model_validate({"model": "gbm"})


def test_spec_rejects_out_of_range_values() -> None:
    with pytest.raises(ValidationError, match="power_price_log_sd"):
        NetworkModelSpec(power_price_log_sd=0.0)
    with pytest.raises(ValidationError, match="nope"):
        NetworkModelSpec.model_validate({"nope": 1})


# --------------------------------------------------------------------------- supply curve


def test_tiers_switch_off_when_hashprice_is_below_their_hashcost() -> None:
    # Tier offsets 0 and 1 (log J/TH relative to the frontier); x = ln(HP/hashcost at the
    # median power price). Far below a tier's cost it is off, far above it runs.
    offsets = np.array([0.0, 1.0])
    x = np.array([-2.0, 0.0, 1.0, 3.0])
    share = network_supply.running_frac(x, offsets, 0.3)
    np.testing.assert_allclose(share[0, 1], 0.5)  # hashprice = hashcost at the median price
    np.testing.assert_allclose(share[1, 2], 0.5)
    assert np.all(share[:, 0] < 1e-4)  # far below its hashcost: off
    assert np.all(share[:, 3] > 0.9999)  # far above: on
    assert np.all(np.diff(share, axis=1) >= 0)  # more hashprice, more of each tier runs
    assert np.all(share[0] >= share[1])  # the efficient tier is the last to switch off


@settings(max_examples=60, deadline=None)
@given(
    capacity=st.lists(st.floats(1e-3, 5e3), min_size=5, max_size=5),
    margin=st.floats(-10.0, 20.0),
    sd=st.floats(0.1, 2.0),
    guess=st.floats(-5.0, 12.0),
)
def test_equilibrium_running_hashrate_is_what_its_own_hashprice_runs(
    capacity: list[float], margin: float, sd: float, guess: float
) -> None:
    # u = ln H solves H = Σ_k C_k·share_k(A − u): the tiers that run at the hashprice
    # the running hashrate earns (revenue shared by hashrate) are that hashrate
    offsets = np.array([0.0, 0.2, 0.4, 0.7, 1.2])
    cap = np.array(capacity)[:, None]
    u = network_supply.equilibrium_log_running(
        np.array([margin]), cap, network_supply.logistic_tier_factor(offsets, sd),
        2.0 * network_supply._half_inv_scale(sd), np.array([guess]),
    )  # fmt: skip
    runs = (cap * network_supply.running_frac(margin - u, offsets, sd)).sum(axis=0)
    np.testing.assert_allclose(np.exp(u), runs, rtol=1e-12)
    assert 0.0 < runs[0] <= cap.sum() * (1 + 1e-12)


def test_equilibrium_running_hashrate_rises_with_the_reward() -> None:
    offsets = np.array([0.0, 0.2, 0.4, 0.7, 1.2])
    cap = np.full((5, 7), 200.0)
    margins = np.linspace(0.0, 12.0, 7)
    u = network_supply.equilibrium_log_running(
        margins, cap, network_supply.logistic_tier_factor(offsets, 0.6),
        2.0 * network_supply._half_inv_scale(0.6), np.zeros(7),
    )  # fmt: skip
    assert np.all(np.diff(u) > 0)
    assert np.exp(u[-1]) > 0.99 * cap[:, -1].sum()  # a rich reward runs everything


def test_hashrate_does_not_swing_on_and_off_after_a_crash() -> None:
    # With the opening difficulty as the hashprice miners decide on, a marginal fleet
    # switched most of itself off in a month's price fall and back on after a retarget
    # (monthly log changes of 0.38 sd on 50 %-vol price paths, 5 % of paths ending below
    # 2 EH/s). History 2016-2024: sd 0.087, largest 0.31 (the 2021 ban).
    rng = np.random.default_rng(11)
    months, paths = 72, 400
    log_price = np.log(95_000.0) + np.cumsum(
        rng.normal(-0.5 * 0.5**2 / 12, 0.5 / 12**0.5, (paths, months)), axis=1
    )
    net = network.simulate_network(
        NetworkModelSpec(), np.exp(log_price), 0.05, START, H0_EH_S, D0, HEIGHT0, seed=2
    )
    step = np.diff(np.log(net.network_hashrate_eh_s), axis=1)
    assert step.std() < 0.15
    assert np.mean(np.abs(step) > 0.5) < 0.002
    assert np.quantile(net.network_hashrate_eh_s[:, -1], 0.05) > 0.1 * H0_EH_S


def test_price_crash_switches_machines_off_within_the_month() -> None:
    spec = NetworkModelSpec(build_shock_log_sd=0.0, hashrate_noise_log_sd=0.0)
    price = np.full((1, 6), 95_000.0)
    crash = price.copy()
    crash[:, 2:] = 15_000.0
    base = network.simulate_network(spec, price, 0.05, START, H0_EH_S, D0, HEIGHT0)
    low = network.simulate_network(spec, crash, 0.05, START, H0_EH_S, D0, HEIGHT0)
    np.testing.assert_allclose(low.network_hashrate_eh_s[:, :2], base.network_hashrate_eh_s[:, :2])
    assert low.network_hashrate_eh_s[0, 2] < 0.9 * base.network_hashrate_eh_s[0, 2]


@settings(max_examples=25, deadline=None)
@given(
    price=st.floats(min_value=40_000.0, max_value=250_000.0),
    factor=st.floats(min_value=1.05, max_value=2.0),
    seed=st.integers(min_value=0, max_value=1000),
)
def test_higher_price_gives_more_hashrate(price: float, factor: float, seed: int) -> None:
    # The state at the start is given (month 0 runs the start hashrate); the price paths
    # part from month 1 on.
    spec = NetworkModelSpec()
    base = np.full((20, 36), price)
    base[:, 0] = 95_000.0
    up = base * factor
    up[:, 0] = 95_000.0
    low = network.simulate_network(spec, base, 0.05, START, H0_EH_S, D0, HEIGHT0, seed=seed)
    high = network.simulate_network(spec, up, 0.05, START, H0_EH_S, D0, HEIGHT0, seed=seed)
    h_low, h_high = low.network_hashrate_eh_s, high.network_hashrate_eh_s
    np.testing.assert_array_equal(h_high[:, 0], h_low[:, 0])
    # the same shocks: every path runs more machines at once, and more over the horizon
    assert np.all(h_high[:, 1] > h_low[:, 1])
    # (a month may dip for a while, when lagged builds and difficulty retargets fall at
    # other times than on the low path: difficulty retargets on last epoch's hashrate)


def test_supply_curve_band_widens_with_horizon() -> None:
    net = network.simulate_network(
        NetworkModelSpec(), np.full((500, 48), 90_000.0), 0.05, START, H0_EH_S, D0, HEIGHT0, seed=1
    )
    log_h = np.log(net.network_hashrate_eh_s)
    spread = np.percentile(log_h, 95, axis=0) - np.percentile(log_h, 5, axis=0)
    # wider after a year than in the first month; bounded later, since builds chase an
    # equilibrium margin under a fixed price
    assert 0 < spread[0] < spread[11]
    assert spread[47] > spread[0]


# --------------------------------------------------------------------------- seeds and chunks


def _run(paths: int, seed: int, **kw: int) -> network.NetworkPath:
    rng = np.random.default_rng(11)
    price = 90_000.0 * np.exp(np.cumsum(rng.normal(0, 0.15, (3000, 24)), axis=1))
    offset = kw.get("path_offset", 0)
    return network.simulate_network(
        NetworkModelSpec(),
        price[offset : offset + paths],
        0.05,
        START,
        H0_EH_S,
        D0,
        HEIGHT0,
        seed=seed,
        **kw,
    )


def test_same_seed_gives_identical_results_and_another_seed_differs() -> None:
    a, b, c = _run(300, 5), _run(300, 5), _run(300, 6)
    np.testing.assert_array_equal(a.network_hashrate_eh_s, b.network_hashrate_eh_s)
    np.testing.assert_array_equal(a.difficulty, b.difficulty)
    assert not np.array_equal(a.network_hashrate_eh_s, c.network_hashrate_eh_s)


def test_results_do_not_depend_on_chunking() -> None:
    whole = _run(2500, 9)
    parts = [
        _run(1000, 9, path_offset=0),
        _run(1000, 9, path_offset=1000),
        _run(500, 9, path_offset=2000),
    ]
    np.testing.assert_array_equal(
        whole.network_hashrate_eh_s, np.concatenate([p.network_hashrate_eh_s for p in parts])
    )
    np.testing.assert_array_equal(
        whole.hashprice_btc_per_ph_day,
        np.concatenate([p.hashprice_btc_per_ph_day for p in parts]),
    )
    by_block = _run(1000, 9, first_block=1, path_offset=1000)
    np.testing.assert_array_equal(by_block.difficulty, parts[1].difficulty)
    # the first paths of a smaller run are the same paths
    np.testing.assert_array_equal(
        _run(10, 9).network_hashrate_eh_s, whole.network_hashrate_eh_s[:10]
    )


def test_bootstrap_growth_drives_the_order_shocks() -> None:
    spec = NetworkModelSpec()
    price = np.full((50, 24), 90_000.0)
    boom = np.full((50, 24), 0.15)
    bust = np.full((50, 24), -0.05)
    a = network.simulate_network(
        spec, price, 0.05, START, H0_EH_S, D0, HEIGHT0, hashrate_log_growth=boom
    )
    b = network.simulate_network(
        spec, price, 0.05, START, H0_EH_S, D0, HEIGHT0, hashrate_log_growth=bust
    )
    assert a.network_hashrate_eh_s[:, -1].mean() > b.network_hashrate_eh_s[:, -1].mean()
    with pytest.raises(SpecError, match="hashrate_log_growth"):
        network.simulate_network(
            spec, price, 0.05, START, H0_EH_S, D0, HEIGHT0, hashrate_log_growth=boom[:, :3]
        )


def test_bad_inputs_are_refused_with_the_field_name() -> None:
    spec = NetworkModelSpec()
    with pytest.raises(SpecError, match="price_usd"):
        network.simulate_network(spec, np.array([[1.0, -1.0]]), 0.05, START, 1.0, D0, HEIGHT0)
    with pytest.raises(SpecError, match="fees_btc_per_block"):
        network.simulate_network(spec, np.ones((2, 3)), np.ones(5), START, 1.0, D0, HEIGHT0)
    with pytest.raises(SpecError, match="start_hashrate_eh_s"):
        network.simulate_network(spec, np.ones((2, 3)), 0.05, START, 0.0, D0, HEIGHT0)


def test_outputs_are_paths_by_months_and_difficulty_defaults_from_hashrate() -> None:
    net = network.simulate_network(
        NetworkModelSpec(), np.full(12, 90_000.0), 0.05, START, H0_EH_S, None, HEIGHT0, paths=4
    )
    for arr in (
        net.network_hashrate_eh_s,
        net.difficulty,
        net.blocks,
        net.issued_btc,
        net.fees_btc,
        net.hashprice_btc_per_ph_day,
        net.height_end,
    ):
        assert arr.shape == (4, 12)
    assert net.daily_height_end is None
    np.testing.assert_allclose(net.fees_btc, 0.05 * net.blocks)


def test_estimate_height_hits_the_halving_anchors() -> None:
    assert network.estimate_height(dt.date(2024, 4, 20)) == pytest.approx(840_000)
    # 2022-01-01 00:00 UTC was block ~716 600 (blockchain explorers)
    assert network.estimate_height(dt.date(2022, 1, 1)) == pytest.approx(716_600, abs=3000)
    assert network.estimate_height(dt.date(2025, 6, 1)) == pytest.approx(899_800, abs=3000)
