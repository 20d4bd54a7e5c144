import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hashpivot import kernels
from hashpivot.markets.fees import episode_month_means_numpy


def _coef(rng: np.random.Generator, n_f: int, n_m: int) -> dict[str, np.ndarray]:
    return {
        "btc_per_hashprice": rng.uniform(0, 1e4, (n_f, n_m)),
        "power_cost_usd": rng.uniform(0, 1e6, (n_f, n_m)),
        "opex_usd": rng.uniform(0, 1e5, (n_f, n_m)),
        "threshold_k": rng.uniform(0.3, 0.8, (n_f, n_m)),
        "power_price_usd_per_mwh": rng.uniform(20, 80, (n_f, n_m)),
        "opex_usd_per_mwh": rng.uniform(0, 10, (n_f, n_m)),
        "shutdown": (rng.random(n_f) < 0.7).astype(float),
    }


@pytest.mark.skipif(not kernels.HAVE_NUMBA, reason="numba not installed")
@settings(max_examples=10, deadline=None)
@given(st.integers(1, 4), st.integers(1, 30), st.integers(1, 40), st.booleans(), st.integers(0, 99))
def test_numba_kernel_equals_numpy(n_f, n_m, n_p, with_factor, seed) -> None:
    rng = np.random.default_rng(seed)
    coef = _coef(rng, n_f, n_m)
    hp_btc = rng.uniform(2e-4, 8e-4, (n_p, n_m))
    price = rng.uniform(3e4, 2e5, (n_p, n_m))
    factor = rng.uniform(0.5, 1.5, (n_p, n_m)) if with_factor else None
    fast = kernels.site_mining(hp_btc, price, factor, coef, use_numba=True)
    slow = kernels.site_mining_numpy(hp_btc, price, factor, coef)
    np.testing.assert_allclose(np.stack(fast), np.stack(slow), rtol=1e-12, atol=1e-9)


def test_fleet_that_cannot_shut_down_always_runs() -> None:
    rng = np.random.default_rng(0)
    coef = _coef(rng, 1, 3)
    coef["shutdown"] = np.zeros(1)
    btc, power, _opex = kernels.site_mining_numpy(np.zeros((2, 3)), np.ones((2, 3)), None, coef)
    np.testing.assert_allclose(power, np.broadcast_to(coef["power_cost_usd"][0], (2, 3)))
    np.testing.assert_allclose(btc, 0.0)


@settings(max_examples=30, deadline=None)
@given(
    rows=st.integers(1, 50),
    months=st.integers(1, 40),
    phi=st.floats(-1.0, 1.0),
    seed=st.integers(0, 1000),
)
def test_ar1_kernel_equals_numpy_bit_for_bit(rows: int, months: int, phi: float, seed: int) -> None:
    z = np.random.default_rng(seed).standard_normal((rows, months))
    a = kernels.ar1_accumulate_numpy(z.copy(), phi)
    b = kernels.ar1_accumulate(z.copy(), phi)
    assert np.array_equal(a, b)
    # AR(1) by definition: x_m = phi x_{m-1} + z_m
    if months > 1:
        np.testing.assert_allclose(b[:, 1:], phi * b[:, :-1] + z[:, 1:], rtol=1e-12, atol=1e-12)


def test_kernel_threads_is_restored() -> None:
    pytest.importorskip("numba")
    import numba

    before = numba.get_num_threads()
    with kernels.kernel_threads(1):
        assert numba.get_num_threads() == 1
        assert kernels.thread_count() == 1
    assert numba.get_num_threads() == before


@pytest.mark.skipif(not kernels.HAVE_NUMBA, reason="numba not installed")
@settings(max_examples=10, deadline=None)
@given(
    st.lists(st.integers(0, 3), min_size=1, max_size=4),
    st.integers(1, 30),
    st.integers(1, 40),
    st.booleans(),
    st.integers(0, 99),
)
def test_company_mining_is_the_sum_of_the_sites(fleets, n_m, n_p, with_factor, seed) -> None:
    rng = np.random.default_rng(seed)
    coef = _coef(rng, sum(fleets), n_m)
    start = np.concatenate([[0], np.cumsum(fleets)]).astype(np.int64)
    hp_btc = rng.uniform(2e-4, 8e-4, (n_p, n_m))
    price = rng.uniform(3e4, 2e5, (n_p, n_m))
    factor = rng.uniform(0.5, 1.5, (n_p, n_m, len(fleets))) if with_factor else None
    revenue = np.zeros((n_p, n_m))
    ebitda = np.zeros((n_p, n_m))
    for s in range(len(fleets)):  # site by site, as the engine's mining projects
        rows = slice(start[s], start[s + 1])
        fac = None if factor is None else factor[..., s]
        btc, power, opex = kernels.site_mining_numpy(
            hp_btc, price, fac, {k: v[rows] for k, v in coef.items()}
        )
        revenue += btc * price
        ebitda += btc * price - power - opex
    for use_numba in (True, False):
        got = kernels.company_mining(hp_btc, price, factor, start, coef, use_numba=use_numba)
        np.testing.assert_allclose(got[0], revenue, rtol=1e-12, atol=1e-6)
        np.testing.assert_allclose(got[1], ebitda, rtol=1e-12, atol=1e-6)


@pytest.mark.skipif(not kernels.HAVE_NUMBA, reason="numba not installed")
def test_serial_twins_give_the_parallel_numbers_and_are_chosen_per_thread() -> None:
    rng = np.random.default_rng(3)
    coef = _coef(rng, 3, 24)
    start = np.array([0, 2, 3])
    args = (rng.uniform(2e-4, 8e-4, (500, 24)), rng.uniform(3e4, 2e5, (500, 24)), None, start)
    parallel = kernels.company_mining(*args, coef)
    assert not kernels.kernels_are_serial()
    with kernels.serial_kernels():
        assert kernels.kernels_are_serial()
        serial = kernels.company_mining(*args, coef)
        seen = []
        thread = threading.Thread(target=lambda: seen.append(kernels.kernels_are_serial()))
        thread.start()
        thread.join()
    assert seen == [False]  # the setting belongs to the thread that made it
    assert not kernels.kernels_are_serial()
    for a, b in zip(parallel, serial, strict=True):
        assert np.array_equal(a, b)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(1, 6),
    n=st.integers(1, 3000),
    kind=st.sampled_from(["lognormal", "ties", "constant", "tail", "negative"]),
    seed=st.integers(0, 1000),
)
def test_row_quantiles_are_numpys(rows: int, n: int, kind: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.lognormal(0.0, 2.0, (rows, n))
    if kind == "ties":
        a = np.round(a)
    elif kind == "constant":
        a[:] = 3.5
    elif kind == "tail":  # one huge value squeezes the rest into the first bins
        a[:, 0] = 1e30
    elif kind == "negative":
        a = -a
    a = a.astype(np.float32)
    q = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)
    expected = np.quantile(a, q, axis=1)
    for use_numba in (True, False):
        got = kernels.row_quantiles(a, q, use_numba=use_numba)
        np.testing.assert_array_equal(got, expected)


def test_row_quantiles_of_a_row_with_nan_are_nan() -> None:
    a = np.array([[1.0, np.nan, 3.0], [1.0, 2.0, 3.0]])
    got = kernels.row_quantiles(a, (0.5,))
    assert np.isnan(got[0, 0])
    assert got[0, 1] == 2.0


@pytest.mark.parametrize("with_factor", [False, True])
def test_store_columns_is_a_transposed_copy(with_factor: bool) -> None:
    rng = np.random.default_rng(5)
    src = rng.lognormal(size=(130, 7))
    factor = rng.random((130, 7)) if with_factor else None
    dst = np.zeros((7, 300), np.float32)
    kernels.store_columns(dst, src, 100, factor)
    expected = np.zeros_like(dst)
    expected[:, 100:230] = (src if factor is None else src * factor).T
    assert np.array_equal(dst, expected)


@pytest.mark.skipif(not kernels.HAVE_NUMBA, reason="numba not installed")
@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(0, 40),
    months=st.integers(1, 60),
    rate=st.floats(0.0, 3.0),
    duration=st.floats(0.01, 6.0),
    seed=st.integers(0, 1000),
)
def test_episode_month_means_kernel_is_the_numpy_definition_bit_for_bit(
    n: int, months: int, rate: float, duration: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    counts = rng.poisson(rate * months, n)
    total = int(counts.sum())
    start = rng.random(total) * months
    end = start + rng.exponential(duration, total)  # some end after the horizon
    level = rng.uniform(4.0, 39.0, total)
    got = kernels.episode_month_means(counts, start, end, level, months)
    want = episode_month_means_numpy(counts, start, end, level, months)
    assert got.shape == (n, months)
    assert np.array_equal(got, want)


def test_episode_month_means_are_the_overlap_of_each_month_with_the_episodes() -> None:
    # by hand: level 2 over months [0.5, 2.25) and level 4 over [1.75, 9) of a 3-month row
    counts = np.array([2, 0])
    start, end, level = np.array([0.5, 1.75]), np.array([2.25, 9.0]), np.array([2.0, 4.0])
    want = np.array([[2 * 0.5, 2 * 1.0 + 4 * 0.25, 2 * 0.25 + 4 * 1.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(episode_month_means_numpy(counts, start, end, level, 3), want)
    if kernels.HAVE_NUMBA:
        np.testing.assert_allclose(kernels.episode_month_means(counts, start, end, level, 3), want)


@pytest.mark.parametrize("share", [0.02, 0.5, 1.0])
@pytest.mark.parametrize("fill", [np.inf, -np.inf, np.nan, 1e308])
def test_row_quantiles_kernel_with_non_finite_values(share: float, fill: float) -> None:
    # the bins' bounds become infinite when a row is mostly inf: the kernel must not turn
    # inf · 0 (NaN) into an index (it once wrote outside its counts and crashed the process)
    rng = np.random.default_rng(3)
    a = rng.normal(size=(4, 4000))
    a[1:, : int(share * a.shape[1])] = fill
    a[3] = rng.permutation(a[3])
    q = (0.05, 0.25, 0.5, 0.75, 0.95)
    with np.errstate(invalid="ignore"):
        expected = kernels.row_quantiles_numpy(a, q)
    got = kernels.row_quantiles(a, q)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.skipif(not kernels.HAVE_NUMBA, reason="numba not installed")
@settings(max_examples=15, deadline=None)
@given(st.integers(0, 4), st.integers(1, 30), st.integers(1, 40), st.integers(0, 99))
def test_add_lease_rent_kernel_equals_numpy_and_a_hand_sum(n_j, n_m, n_p, seed) -> None:
    rng = np.random.default_rng(seed)
    base = rng.normal(0.0, 1e6, (n_p, n_m))
    rent = rng.uniform(0.0, 5e6, (n_j, n_m))
    after = rent * rng.uniform(0.0, 1.0, (n_j, 1))
    alive = rng.integers(0, n_m + 1, (n_p, n_j)).astype(np.int64)
    # hand definition: path p collects rent[j, m] before month alive[p, j], after[j, m] from it
    expected = base.copy()
    for p in range(n_p):
        for j in range(n_j):
            for m in range(n_m):
                expected[p, m] += rent[j, m] if m < alive[p, j] else after[j, m]
    for use_numba in (True, False):
        ebitda = base.copy()
        before, rent_total = kernels.add_lease_rent(ebitda, rent, after, alive, use_numba)
        np.testing.assert_allclose(ebitda, expected, rtol=1e-12, atol=1e-6)
        np.testing.assert_allclose(before, base.sum(axis=1), rtol=1e-12, atol=1e-6)
        np.testing.assert_allclose(rent_total, (expected - base).sum(axis=1), rtol=1e-12, atol=1e-6)


@pytest.mark.skipif(not kernels.HAVE_NUMBA, reason="numba not installed")
@settings(max_examples=15, deadline=None)
@given(st.integers(0, 3), st.integers(1, 40), st.integers(1, 30), st.integers(0, 99))
def test_variant_value_kernel_equals_numpy_and_a_hand_dcf(n_j, n_m, n_p, seed) -> None:
    rng = np.random.default_rng(seed)
    mining = rng.normal(0.0, 1e6, (n_p, n_m))
    rent = rng.uniform(0.0, 5e5, (n_j, n_m))
    after = 0.3 * rent
    alive = rng.integers(0, n_m + 1, (n_p, n_j)).astype(np.int64)
    rows = {
        "common_ebitda_usd": rng.normal(-2e5, 1e5, n_m),
        "depreciation_usd": rng.uniform(0.0, 5e5, n_m),
        "invest_usd": rng.normal(0.0, 3e5, n_m),
        "discount": 1.01 ** -np.arange(1.0, n_m + 1),
    }
    tax, n_last, factor = 0.21, min(12, n_m), 7.5
    # hand definition, month by month in Python floats
    npv, yearly = np.zeros(n_p), np.zeros((n_p, -(-n_m // 12)))
    for p in range(n_p):
        fcfs = []
        for m in range(n_m):
            e = mining[p, m] + rows["common_ebitda_usd"][m]
            e += sum(rent[j, m] if m < alive[p, j] else after[j, m] for j in range(n_j))
            yearly[p, m // 12] += e
            fcf = e - tax * max(e - rows["depreciation_usd"][m], 0.0) - rows["invest_usd"][m]
            fcfs.append(fcf)
            npv[p] += fcf * rows["discount"][m]
        npv[p] += sum(fcfs[n_m - n_last :]) * factor
    for use_numba in (True, False):
        out = kernels.variant_value(
            mining, rent, after, alive, rows, tax, n_last, factor, use_numba=use_numba
        )
        np.testing.assert_allclose(out["npv_usd"], npv, rtol=1e-10, atol=1e-3)
        np.testing.assert_allclose(out["ebitda_usd_by_year"], yearly, rtol=1e-10, atol=1e-3)
        np.testing.assert_allclose(out["mining_ebitda_total_usd"], mining.sum(axis=1), rtol=1e-10)


@pytest.mark.skipif(not kernels.HAVE_NUMBA, reason="numba not installed")
@settings(max_examples=20, deadline=None)
@given(st.integers(2, 40), st.integers(1, 30), st.booleans(), st.integers(0, 99))
def test_path_risk_kernel_equals_the_risk_functions(n_m, n_p, with_debt, seed) -> None:
    rng = np.random.default_rng(seed)
    ebitda = rng.normal(1e6, 2e6, (n_p, n_m))
    fcf = ebitda - rng.uniform(0.0, 5e5, (n_p, n_m))
    price = 6e4 * np.exp(np.cumsum(rng.normal(0.0, 0.15, (n_p, n_m)), axis=1))
    sustaining = rng.uniform(0.0, 3e5, n_m)
    # debt service in some years only (a year without service is left out of the DSCR)
    service = rng.uniform(0.0, 4e5, n_m) * with_debt * (np.arange(n_m) < 18)
    ref = kernels.path_risk(ebitda, fcf, price, sustaining, service, 2e6, use_numba=False)
    got = kernels.path_risk(ebitda, fcf, price, sustaining, service, 2e6)
    assert set(got) == set(ref)
    for k in ref:
        scale = float(np.nanmax(np.abs(ref[k]), initial=1.0))
        np.testing.assert_allclose(got[k], ref[k], rtol=1e-10, atol=1e-12 * scale, err_msg=k)


def test_path_risk_by_hand() -> None:
    # one path, 24 months: EBITDA 10 then 20 a month, FCF 6 a month, sustaining capex 1,
    # debt service 2 a month in year 1 only, cash 5; BTC +10 % in month 12 only
    ebitda = np.array([[10.0] * 12 + [20.0] * 12])
    fcf = np.full((1, 24), 6.0)
    price = np.array([[100.0] * 12 + [110.0] * 12])
    service = np.array([2.0] * 12 + [0.0] * 12)
    for use_numba in (True, False) if kernels.HAVE_NUMBA else (False,):
        out = kernels.path_risk(ebitda, fcf, price, np.ones(24), service, 5.0, use_numba)
        # levered FCF 3 a month in year 1, 5 in year 2: (36 + 60) / 2 years
        assert out["fcf_after_debt_usd_per_year"][0] == pytest.approx(48.0)
        assert out["min_cash_usd"][0] == pytest.approx(5.0)  # never below the start
        assert out["min_dscr"][0] == pytest.approx(120.0 / 24.0)  # year 2 has no service
        # ΔEBITDA is 10 in the month the return is 0.1, else 0: slope 100 USD per unit
        assert out["ebitda_ts_slope_usd"][0] == pytest.approx(100.0)
        assert out["ebitda_usd_per_month"][0] == pytest.approx(15.0)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 8), st.integers(1, 6), st.integers(1, 3), st.integers(0, 99))
def test_running_fleet_sums_are_the_sums_over_the_fleets_that_run(n_f, n_m, n_v, seed) -> None:
    rng = np.random.default_rng(seed)
    # thresholds with ties, fleets that never stop (-inf) and one that never runs (NaN)
    thr = rng.integers(0, 4, (n_f, n_m)).astype(np.float64)
    thr[rng.random((n_f, n_m)) < 0.2] = -np.inf
    thr[rng.random((n_f, n_m)) < 0.1] = np.nan
    fleets = {k: rng.normal(0.0, 1e3, (n_v, n_f, n_m)) for k in kernels.FLEET_SUM_KEYS}
    sums = kernels.running_fleet_sums(thr, fleets)
    for hp in (-1.0, 0.0, 1.5, 2.0, 3.0, np.inf, np.nan):
        for m in range(n_m):
            on = [i for i in range(n_f) if hp >= thr[i, m]]  # what runs at this hashprice
            for c, key in enumerate(kernels.FLEET_SUM_KEYS):
                for v in range(n_v):
                    expected = 0.0
                    for i in on:  # in fleet order, as the month's sum adds them
                        expected += fleets[key][v, i, m]
                    assert sums[c, v, m, len(on)] == expected
