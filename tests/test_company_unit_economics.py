import pytest

from hashpivot.company.unit_economics import unit_economics
from hashpivot.spec import default_scenario


@pytest.fixture(scope="module")
def table():
    return unit_economics(default_scenario()).set_index("option")


def test_three_options(table) -> None:
    assert list(table.index) == ["mining", "colocation", "gpu_cloud"]


def test_colocation_is_steadier_and_costlier_than_mining(table) -> None:
    assert table.loc["colocation", "revenue_cv"] < table.loc["mining", "revenue_cv"]
    assert table.loc["colocation", "capex_usd_per_mw"] > table.loc["mining", "capex_usd_per_mw"]
    assert table.loc["mining", "revenue_change_btc_half_frac"] < -0.4
    assert table.loc["colocation", "revenue_change_btc_half_frac"] == 0.0


def test_colocation_figures_trace_to_inputs(table) -> None:
    # default site's lease: 150 USD/kW-month, 3 % escalator, ai_pue 1.3, capex 9M/IT MW,
    # tenant funds 10 %: per gross MW, capex = 9M x 0.9 / 1.3.
    assert table.loc["colocation", "capex_usd_per_mw"] == pytest.approx(9e6 * 0.9 / 1.3)
    first_year_rent = 1000 / 1.3 * 150 * 12
    assert table.loc["colocation", "revenue_usd_per_mw_year"] == pytest.approx(
        first_year_rent, rel=0.1
    )


def test_gpu_cloud_has_the_largest_capex(table) -> None:
    assert (
        table.loc["gpu_cloud", "capex_usd_per_mw"] > 5 * table.loc["colocation", "capex_usd_per_mw"]
    )
