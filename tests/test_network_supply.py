import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hashpivot.network import supply as network_supply

START = dt.date(2025, 1, 1)
H0_EH_S = 780.0
D0 = 1.097e14
HEIGHT0 = 877_300.0


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
