import numpy as np
import pytest

from hashpivot import mining


def test_fleet_hashrate_and_power() -> None:
    # 1000 S21 XP (270 TH/s, 3645 W) at 95 % uptime and PUE 1.05
    assert float(mining.fleet_hashrate_ph_s(1000, 270, 0.95)) == pytest.approx(256.5)
    assert float(mining.fleet_power_mw(1000, 3645, 0.95, 1.05)) == pytest.approx(3.6359, rel=1e-4)


def test_btc_mined_net_of_pool_fee() -> None:
    btc = mining.btc_mined(0.0005, 1000.0, 30, 0.02)
    assert float(btc) == pytest.approx(0.0005 * 1000 * 30 * 0.98)


def test_breakeven_fleet_includes_fee_and_pue() -> None:
    be = mining.breakeven_power_fleet_usd_per_mwh(50.0, 20.0, 0.02, 1.05)
    assert float(be) == pytest.approx(50 * 0.98 / (24 * 20 * 1.05 * 1e-3))


def test_escalation() -> None:
    p = mining.escalated_price_usd_per_mwh(40.0, 0.02, np.array([0, 12, 24]))
    assert np.allclose(p, [40.0, 40.8, 41.616])


def test_cost_per_btc_nan_when_nothing_mined() -> None:
    out = mining.cost_per_btc_usd(np.array([100.0, 100.0]), np.array([2.0, 0.0]))
    assert out[0] == 50.0
    assert np.isnan(out[1])


def test_payback() -> None:
    margin = np.array([[10.0, 10.0, 10.0], [1.0, 1.0, 1.0]])
    out = mining.payback_months(margin, np.array([20.0, 20.0]))
    assert out[0] == 2.0
    assert np.isnan(out[1])
