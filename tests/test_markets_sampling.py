"""Seeds and chunking: same seed → same arrays, whatever the chunks or enabled drivers."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hashpivot.markets import (
    PATH_BLOCK,
    BootstrapPriceSpec,
    EscalatingPowerSpec,
    FixedPowerSpec,
    GbmPriceSpec,
    JumpPriceSpec,
    LognormalPowerSpec,
    MarketModelSpec,
    MarketPaths,
    RegimePriceSpec,
    sample_btc_price_usd,
    sample_markets,
    sample_power_price_factor,
)
from hashpivot.markets._random import path_blocks

START = dt.date(2025, 1, 1)
FIELDS = ("btc_price_usd", "fees_btc_per_block", "gpu_price_index", "power_price_factor")


def _spec(price: object = None) -> MarketModelSpec:
    power = LognormalPowerSpec(monthly_volatility_frac=0.1)
    return MarketModelSpec(btc_price=price or GbmPriceSpec(), power_price=power)


def _chunked(spec: MarketModelSpec, splits: list[int], months: int, seed: int) -> MarketPaths:
    parts = []
    for lo, hi in itertools.pairwise(splits):
        parts.append(sample_markets(spec, 9e4, START, months, hi - lo, seed, 3, path_offset=lo))
    growth = [p.hashrate_log_growth for p in parts]
    return MarketPaths(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in FIELDS),
        hashrate_log_growth=None if growth[0] is None else np.concatenate(growth),
        seed=seed,
    )


def _assert_same(a: MarketPaths, b: MarketPaths) -> None:
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)
    if a.hashrate_log_growth is None:
        assert b.hashrate_log_growth is None
    else:
        np.testing.assert_array_equal(a.hashrate_log_growth, b.hashrate_log_growth)


@pytest.mark.parametrize(
    "price",
    [GbmPriceSpec(), JumpPriceSpec(), RegimePriceSpec()],
    ids=["gbm", "jump", "regime"],
)
def test_chunking_does_not_change_paths(price: object) -> None:
    spec = _spec(price)
    whole = sample_markets(spec, 9e4, START, 18, 2500, 42, 3)
    _assert_same(whole, _chunked(spec, [0, 1000, 2000, 2500], 18, 42))  # block-aligned
    _assert_same(whole, _chunked(spec, [0, 7, 1234, 1999, 2500], 18, 42))  # arbitrary


def test_chunking_bootstrap(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 400
    f = tmp_path / "h.csv"
    f.write_text(
        "date,price_usd_cm,drv_fees_btc,drv_blocks_est,hashrate_ths_bc\n"
        + "\n".join(
            f"{d.date()},{p},{fee},{b},{h}"
            for d, p, fee, b, h in zip(
                pd.date_range("2020-01-01", periods=n),
                100 * np.exp(np.cumsum(0.03 * rng.standard_normal(n))),
                rng.uniform(5, 50, n),
                rng.poisson(144, n) + 1,
                1e8 * np.exp(np.cumsum(0.01 * rng.standard_normal(n))),
                strict=True,
            )
        )
    )
    spec = _spec(BootstrapPriceSpec(history_csv=f, block_length_days=20))
    whole = sample_markets(spec, 9e4, START, 14, 1500, 3, 3)
    _assert_same(whole, _chunked(spec, [0, 999, 1001, 1500], 14, 3))


def test_same_seed_same_numbers_and_different_seed_differs() -> None:
    spec = _spec()
    a = sample_markets(spec, 9e4, START, 12, 300, 7, 2)
    b = sample_markets(spec, 9e4, START, 12, 300, 7, 2)
    _assert_same(a, b)
    c = sample_markets(spec, 9e4, START, 12, 300, 8, 2)
    assert not np.array_equal(a.btc_price_usd, c.btc_price_usd)
    assert a.seed == 7


def test_first_block_alias_matches_path_offset() -> None:
    spec = _spec()
    a = sample_markets(spec, 9e4, START, 6, 1000, 1, 1, path_offset=2000)
    b = sample_markets(spec, 9e4, START, 6, 1000, 1, 1, first_block=2, block_paths=PATH_BLOCK)
    _assert_same(a, b)
    with pytest.raises(ValueError, match="block_paths must be 1000"):
        sample_markets(spec, 9e4, START, 6, 10, 1, 1, first_block=2, block_paths=500)


def test_drivers_do_not_depend_on_each_other() -> None:
    base = sample_markets(_spec(), 9e4, START, 12, 200, 5, 2)
    other = MarketModelSpec(btc_price=JumpPriceSpec(), power_price=FixedPowerSpec())
    changed = sample_markets(other, 9e4, START, 12, 200, 5, 2)
    np.testing.assert_array_equal(base.fees_btc_per_block, changed.fees_btc_per_block)
    np.testing.assert_array_equal(base.gpu_price_index, changed.gpu_price_index)
    # one more site does not change the factors of the others
    more = sample_markets(_spec(), 9e4, START, 12, 200, 5, 3)
    np.testing.assert_array_equal(base.power_price_factor, more.power_price_factor[:, :, :2])


def test_shapes_and_site_overrides() -> None:
    spec = MarketModelSpec()
    out = sample_markets(spec, 9e4, START, 10, 50, 1, 4)
    assert out.btc_price_usd.shape == out.fees_btc_per_block.shape == (50, 10)
    assert out.power_price_factor.shape == (50, 10, 4)
    assert np.all(out.power_price_factor == 1.0)
    sites = [FixedPowerSpec(), EscalatingPowerSpec(escalator_frac_per_year=0.1)]
    over = sample_markets(spec, 9e4, START, 13, 5, 1, 2, site_power=sites)
    assert over.power_price_factor[0, 12, 1] == pytest.approx(1.1)
    assert over.power_price_factor[0, 12, 0] == 1.0
    with pytest.raises(ValueError, match="site_power has 2 entries for 3 sites"):
        sample_markets(spec, 9e4, START, 13, 5, 1, 3, site_power=sites)


def test_generator_seed_is_recorded_and_reproducible() -> None:
    out = sample_markets(MarketModelSpec(), 9e4, START, 6, 20, np.random.default_rng(3), 1)
    again = sample_markets(MarketModelSpec(), 9e4, START, 6, 20, out.seed, 1)
    _assert_same(out, again)


def test_path_blocks_cover_the_range() -> None:
    got = list(path_blocks(999, 1002))
    assert [b for b, _, _ in got] == [0, 1, 2]
    assert got[0][1] == slice(999, 1000)
    assert got[0][2] == slice(0, 1)
    assert got[-1][1] == slice(0, 1)
    assert got[-1][2] == slice(1001, 1002)
    assert list(path_blocks(5, 0)) == []


@settings(max_examples=20, deadline=None)
@given(
    total=st.integers(1, 2600),
    cut=st.floats(0.0, 1.0),
    offset=st.integers(0, 5000),
    seed=st.integers(0, 2**63),
)
def test_any_split_gives_identical_paths(total: int, cut: float, offset: int, seed: int) -> None:
    spec = GbmPriceSpec(volatility_frac_per_year=0.7)
    whole = sample_btc_price_usd(spec, 1.0, START, 5, total, seed, path_offset=offset)
    n = int(cut * total)
    left = sample_btc_price_usd(spec, 1.0, START, 5, n, seed, path_offset=offset)
    right = sample_btc_price_usd(spec, 1.0, START, 5, total - n, seed, path_offset=offset + n)
    np.testing.assert_array_equal(whole, np.concatenate([left, right]))


def test_samplers_alone_match_sample_markets_and_are_independent() -> None:
    spec = _spec()
    both = sample_markets(spec, 9e4, START, 8, 100, 13, 2)
    price = sample_btc_price_usd(spec.btc_price, 9e4, START, 8, 100, 13)
    np.testing.assert_array_equal(price, both.btc_price_usd)
    site1 = sample_power_price_factor(spec.power_price, 8, 100, 13, site=1)
    np.testing.assert_array_equal(site1, both.power_price_factor[:, :, 1])
    # the drivers' streams differ: GPU and fee shocks are not the price shocks
    z_price = np.diff(np.log(both.btc_price_usd), axis=1).ravel()
    z_gpu = np.diff(np.log(both.gpu_price_index), axis=1).ravel()
    assert abs(np.corrcoef(z_price, z_gpu)[0, 1]) < 0.1
