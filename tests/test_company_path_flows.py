"""Monthly cash flows per path by site and segment: the run's own futures, kept whole."""

import numpy as np
import pytest

from hashpivot.simulation import SEGMENTS, Simulation
from hashpivot.spec import default_scenario


@pytest.fixture(scope="module")
def sim_and_run():
    sim = Simulation(default_scenario(), frontier_shares=())
    return sim, sim.run(paths=2000, seed=5)


@pytest.mark.parametrize("variant", ["hybrid", "pure_mining"])
def test_paths_are_the_runs_paths_with_the_same_npv(sim_and_run, variant: str) -> None:
    sim, result = sim_and_run
    # a slice across the boundary of two random-stream blocks (1 000 paths each)
    cf = sim.cash_flows(paths=300, seed=5, variant=variant, first_path=900)
    run_npv = result.variants[variant]["npv_usd"][900:1200]
    np.testing.assert_allclose(cf.npv_usd, run_npv, rtol=1e-12, atol=1e-3)
    years = result.variants[variant]["ebitda_usd_by_year"][900:1200]
    company = cf.company["ebitda_usd"]
    np.testing.assert_allclose(company[:, :12].sum(axis=1), years[:, 0], rtol=1e-10)


def test_sites_and_segments_add_up_to_the_company(sim_and_run) -> None:
    sim, _ = sim_and_run
    cf = sim.cash_flows(paths=50, seed=5)
    by_segment = cf.by_segment("ebitda_usd")
    assert set(by_segment) <= set(SEGMENTS)
    assert {"mining", "colocation", "corporate"} <= set(by_segment)
    total = sum(by_segment.values())
    np.testing.assert_allclose(total, cf.company["ebitda_usd"], rtol=1e-10, atol=1e-3)
    by_site = cf.by_site_segment("revenue_usd")
    sites = {s.name for s in default_scenario().sites}
    assert {site for site, _ in by_site} == sites | {"corporate"}
    # G&A is the corporate segment's only flow: the same on every path
    ga = by_segment["corporate"]
    assert np.all(ga == ga[0, 0])
    assert ga[0, 0] < 0
    # the AI lease's rent does not move with BTC: colocation revenue varies far less
    rev = cf.by_segment("revenue_usd")
    cv = {k: rev[k].sum(axis=1).std() / rev[k].sum(axis=1).mean() for k in ("mining", "colocation")}
    assert cv["colocation"] < cv["mining"]


def test_frames(sim_and_run) -> None:
    sim, _ = sim_and_run
    cf = sim.cash_flows(paths=3, seed=5, first_path=10)
    frame = cf.to_frame()
    months = len(cf.month_start)
    assert len(frame) == 3 * months * len(cf.projects)
    assert frame["path"].unique().tolist() == [10, 11, 12]
    assert {"site", "segment", "project", "ebitda_usd", "btc_mined"} <= set(frame.columns)
    one = frame[(frame["path"] == 11) & (frame["month"] == cf.month_start[0].strftime("%Y-%m"))]
    assert one["ebitda_usd"].sum() == pytest.approx(cf.company["ebitda_usd"][1, 0])
    company = cf.company_frame()
    assert len(company) == 3 * months


def test_bad_arguments(sim_and_run) -> None:
    sim, _ = sim_and_run
    with pytest.raises(KeyError, match="unknown variant 'nope'; one of hybrid, pure_mining"):
        sim.cash_flows(variant="nope")
    with pytest.raises(ValueError, match="paths must be >= 1"):
        sim.cash_flows(paths=0)
    cf = sim.cash_flows(paths=2, seed=5)
    with pytest.raises(KeyError, match="unknown flow 'profit'"):
        cf.by_segment("profit")
