import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hashpivot import conversion


def test_it_mw_reference() -> None:
    # Cipher Barber Lake: 244 MW gross, 168 MW IT -> PUE 1.45 (fact sheet E, derived).
    assert float(conversion.it_mw_from_gross_mw(244, 244 / 168)) == pytest.approx(168)
    assert float(conversion.gross_mw_from_it_mw(200, 1.25)) == 250


def test_capex_defaults_and_tenant_share() -> None:
    assert conversion.CAPEX_USD_PER_IT_MW["ai_ready"] == 9e6
    assert float(conversion.company_capex_usd(100, 9e6, 0.25)) == pytest.approx(675e6)


def test_capex_schedule_spreads_and_clips() -> None:
    s = conversion.capex_schedule_usd(120.0, -3, 12, 24)
    assert s[:9].sum() == pytest.approx(90.0)  # 3 of 12 months were before the horizon
    assert s[9:].sum() == 0.0
    assert conversion.capex_schedule_usd(50.0, 2, 0, 5)[2] == 50.0


def test_displacement_least_efficient_first() -> None:
    draw = np.array([10.0, 20.0, 30.0])
    eff = np.array([15.0, 30.0, 20.0])  # fleet 1 is worst, then 2, then 0
    frac = conversion.displaced_frac_by_fleet(draw, eff, 35.0, 5.0)
    # need 30 after 5 free MW: all of fleet 1 (20), then 10 of fleet 2 (30)
    assert np.allclose(frac, [0.0, 1.0, 1 / 3])


@given(
    st.lists(st.floats(0.1, 100), min_size=1, max_size=6),
    st.floats(0, 500),
    st.floats(0, 50),
)
def test_displacement_conserves_mw(draws, need, free) -> None:
    draw = np.array(draws)
    eff = np.arange(len(draws), dtype=float)
    frac = conversion.displaced_frac_by_fleet(draw, eff, need, free)
    assert np.all((frac >= 0) & (frac <= 1))
    removed = float((frac * draw).sum())
    assert removed == pytest.approx(min(max(need - free, 0.0), draw.sum()), abs=1e-9)


def test_asic_sale() -> None:
    assert float(conversion.asic_sale_proceeds_usd(1e6, 5.0)) == 5e6
