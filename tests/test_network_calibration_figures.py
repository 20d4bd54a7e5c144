"""The out-of-sample figures that docs/network_calibration.md and the README state, recomputed.

Real data (``btc_network_daily.csv`` of the shared data folder; skipped with the reason
when it is absent). The fitted specs come from ``docs/network_fits.json``, the fits of
``scripts/calibrate_network.py --split-only --split-end END`` (build lag and margin
window held at 12 months; written by ``scripts/evaluate_network.py --refit END``), and
under ``previous`` the fits of the earlier procedure (lag and window fitted too); the
forecasts and scores are recomputed here with the scripts' seeds, so a change to the
model, the history or the scoring that moves a stated figure fails here.
"""

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from hashpivot.network.evaluation import (
    model_rows,
    origins_every,
    rolling_origin_rows,
    summarise_scores,
)
from hashpivot.network.history import History, load_history
from hashpivot.network.spec import NetworkModelSpec

ROOT = Path(__file__).resolve().parents[1]
FITS = json.loads((ROOT / "docs" / "network_fits.json").read_text())


@pytest.fixture(scope="module")
def history() -> History:
    from conftest import shared_data_dir

    path = shared_data_dir() / "btc_network_daily.csv"
    if not path.is_file():
        pytest.skip(f"shared data file not found ({path.name}); set HASHPIVOT_SHARED_DATA")
    return load_history(path)


def _split_rows(history: History, fees: float | None) -> pd.DataFrame:
    # calibrate_network.py's out-of-sample test: fit to 2021-12, 2 000 paths, seed 0
    spec = NetworkModelSpec(**FITS["fits"]["2021-12-01"])
    rows = model_rows(spec, history, dt.date(2022, 1, 1), 36, 2000, 0, fees)
    return rows.assign(model="split")


def test_out_of_sample_2022_2024_from_the_2021_fit(history: History) -> None:
    # docs/network_calibration.md, "Out of sample: 2022-01 → 2024-12":
    # 14 of 36 months inside the 5-95 % band, median APE of the median path 0.471;
    # with 0.05 BTC/block of fees: 14 of 36 and 0.447.
    s = summarise_scores(_split_rows(history, None), ["model"]).loc["split"]
    assert s["coverage_90"] * 36 == pytest.approx(14)
    assert s["median_ape"] == pytest.approx(0.4706, abs=5e-4)
    s = summarise_scores(_split_rows(history, 0.05), ["model"]).loc["split"]
    assert s["coverage_90"] * 36 == pytest.approx(14)
    assert s["median_ape"] == pytest.approx(0.4465, abs=5e-4)


def _split_scores(history: History, spec: NetworkModelSpec) -> tuple[pd.Series, pd.Series]:
    # one forecast from 2022-01 (2 000 paths, seed 0) and forecasts from every 6 months
    # 2022-01 → 2024-07 to 2024-12 (300 paths, seed = origin index), as the script runs them
    one = model_rows(spec, history, dt.date(2022, 1, 1), 36, 2000, 0).assign(model="m")
    origins = origins_every(dt.date(2022, 1, 1), dt.date(2024, 7, 1), 6)
    rolling = rolling_origin_rows(history, origins, 36, {"m": lambda o: spec}, 300, ())
    return (
        summarise_scores(one, ["model"]).loc["m"],
        summarise_scores(rolling, ["model"]).loc["m"],
    )


def test_out_of_sample_rolling_and_with_the_later_frontier(history: History) -> None:
    # docs/network_calibration.md: forecasts from every 6 months with the fit to 2021,
    # 98 of 126 month scores inside the band, median APE 0.093; the same parameters
    # given the frontier trend of all releases to 2024 (the defaults' frontier fields):
    # 34 of 36 and 0.236, rolling 119 of 126 and 0.130.
    spec = NetworkModelSpec(**FITS["fits"]["2021-12-01"])
    _, rolling = _split_scores(history, spec)
    assert rolling["months"] == 126
    assert rolling["coverage_90"] * 126 == pytest.approx(98)
    assert rolling["median_ape"] == pytest.approx(0.0928, abs=5e-4)
    frontier = ("frontier_improvement_frac_per_year", "frontier_efficiency_j_per_th")
    later = spec.model_copy(
        update={k: getattr(NetworkModelSpec(), k) for k in (*frontier, "frontier_reference_date")}
    )
    one, rolling = _split_scores(history, later)
    assert one["coverage_90"] * 36 == pytest.approx(34)
    assert one["median_ape"] == pytest.approx(0.2359, abs=5e-4)
    assert rolling["coverage_90"] * 126 == pytest.approx(119)
    assert rolling["median_ape"] == pytest.approx(0.1295, abs=5e-4)


LATER_SPLITS = {
    # fit end: (test months, months in band and median APE with the realised fees,
    # median APE with 0.05 BTC/block, rolling-origin month scores, in band, median APE)
    "2022-12-01": (24, 24, 0.1473, 0.1561, 60, 59, 0.1008),
    "2023-12-01": (12, 12, 0.0572, 0.0525, 18, 18, 0.0472),
}
"""docs/network_calibration.md, "Out of sample from later fit windows"."""


@pytest.mark.parametrize("fit_end", list(LATER_SPLITS))
def test_out_of_sample_from_later_fit_windows(history: History, fit_end: str) -> None:
    n, inside, ape, ape_fees, n_roll, inside_roll, ape_roll = LATER_SPLITS[fit_end]
    spec = NetworkModelSpec(**FITS["fits"][fit_end])
    start = dt.date(int(fit_end[:4]) + 1, 1, 1)
    one = model_rows(spec, history, start, n, 2000, 0).assign(model="m")
    fees = model_rows(spec, history, start, n, 2000, 0, 0.05).assign(model="m")
    origins = origins_every(start, dt.date(2024, 7, 1), 6)
    rolling = rolling_origin_rows(history, origins, n, {"m": lambda o: spec}, 300, ())
    s_one, s_fees, s_roll = (summarise_scores(r, ["model"]).loc["m"] for r in (one, fees, rolling))
    assert s_one["coverage_90"] * n == pytest.approx(inside)
    assert s_one["median_ape"] == pytest.approx(ape, abs=5e-4)
    assert s_fees["median_ape"] == pytest.approx(ape_fees, abs=5e-4)
    assert s_roll["months"] == n_roll
    assert s_roll["coverage_90"] * n_roll == pytest.approx(inside_roll)
    assert s_roll["median_ape"] == pytest.approx(ape_roll, abs=5e-4)


def _specs(fits: dict) -> dict[dt.date, NetworkModelSpec]:
    return {dt.date.fromisoformat(k): NetworkModelSpec(**v) for k, v in fits.items()}


def _rolling_summary(history: History) -> pd.DataFrame:
    # scripts/evaluate_network.py: quarterly origins 2019-01 → 2024-10, 12 months ahead,
    # the model refitted each year on 2018-01 → the December before (now, and by the
    # previous procedure), 1 000 paths
    fits, previous = _specs(FITS["fits"]), _specs(FITS["previous"]["fits"])
    origins = origins_every(dt.date(2019, 1, 1), dt.date(2024, 10, 1), 3)
    models = {
        "refit": lambda o: fits[dt.date(o.year - 1, 12, 1)],
        "previous": lambda o: previous[dt.date(o.year - 1, 12, 1)],
    }
    rows = rolling_origin_rows(history, origins, 12, models, 1000)
    return summarise_scores(rows, ["model", "horizon"])


def test_rolling_origin_scores_stated_in_the_calibration_doc(history: History) -> None:
    by_h = _rolling_summary(history)
    for h, (model_ape, previous_ape, trend_ape) in ROLLING_MEDIAN_APE.items():
        assert by_h.loc[("refit", h), "median_ape"] == pytest.approx(model_ape, abs=5e-4)
        assert by_h.loc[("previous", h), "median_ape"] == pytest.approx(previous_ape, abs=5e-4)
        assert by_h.loc[("trend", h), "median_ape"] == pytest.approx(trend_ape, abs=5e-4)
    months = by_h["months"].groupby(level="model").sum()
    inside = (by_h["coverage_90"] * by_h["months"]).groupby(level="model").sum()
    assert months["refit"] == 270
    assert inside["refit"] == pytest.approx(ROLLING_INSIDE_90)
    assert inside["previous"] == pytest.approx(PREVIOUS_INSIDE_90)


ROLLING_MEDIAN_APE = {
    3: (0.0641, 0.0628, 0.1418),
    6: (0.1279, 0.1150, 0.2010),
    12: (0.1360, 0.3417, 0.3182),
}
"""docs/network_calibration.md, rolling origins: median APE of the median path of the
refitted supply curve (lag and window held), of the previous procedure's refits (lag and
window fitted) and of the trailing-trend baseline at 3, 6 and 12 months."""
ROLLING_INSIDE_90 = 230
"""The refitted supply curve's 90 % band holds 230 of the 270 origin-months (0.852)."""
PREVIOUS_INSIDE_90 = 217
"""The previous procedure's held 217 of 270 (0.804)."""


def test_the_defaults_are_the_stored_full_sample_fit() -> None:
    # docs/network_fits.json "full_sample": the fit of calibrate_network.py to 2024-12
    # (evaluate_network.py --refit 2024-12-01); the defaults round it to 4 digits
    full = FITS["full_sample"]["2024-12-01"]
    defaults = NetworkModelSpec().model_dump(mode="json")
    for name, value in full.items():
        if isinstance(value, float):
            assert defaults[name] == pytest.approx(value, rel=2e-3), name
        else:
            assert defaults[name] == value, name
