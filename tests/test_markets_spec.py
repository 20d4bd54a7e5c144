"""Market specs: defaults, discriminated unions, validation messages."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from hashpivot.markets import (
    BootstrapPriceSpec,
    FixedPowerSpec,
    GbmPriceSpec,
    JumpPriceSpec,
    LognormalPowerSpec,
    MarketModelSpec,
    RegimePriceSpec,
)
from hashpivot.markets.btc_price import stationary_distribution


def test_defaults_are_the_documented_base_case() -> None:
    spec = MarketModelSpec()
    assert isinstance(spec.btc_price, GbmPriceSpec)
    assert spec.btc_price.volatility_frac_per_year == 0.5
    assert isinstance(spec.power_price, FixedPowerSpec)
    assert spec.fees.baseline_btc_per_block == pytest.approx(0.03)


def test_default_jump_and_regime_total_volatility_is_the_base() -> None:
    j = JumpPriceSpec()
    total = math.sqrt(
        j.volatility_frac_per_year**2
        + j.jump_intensity_per_year * (j.jump_mean_log**2 + j.jump_std_log**2)
    )
    assert total == pytest.approx(0.5, abs=0.01)
    r = RegimePriceSpec()
    pi = stationary_distribution(r.transition_matrix_per_month)  # type: ignore[arg-type]
    var = sum(p * s.volatility_frac_per_year**2 for p, s in zip(pi, r.states, strict=True))
    assert math.sqrt(var) == pytest.approx(0.5, abs=0.01)


def test_models_chosen_by_name_from_plain_data() -> None:
    spec = MarketModelSpec.model_validate(
        {
            "btc_price": {"model": "jump", "jump_intensity_per_year": 4},
            "power_price": {"model": "lognormal", "volatility_frac": 0.1},
        }
    )
    assert isinstance(spec.btc_price, JumpPriceSpec)
    assert isinstance(spec.power_price, LognormalPowerSpec)
    boot = MarketModelSpec.model_validate(
        {"btc_price": {"model": "bootstrap", "history_csv": "h.csv"}}
    )
    assert isinstance(boot.btc_price, BootstrapPriceSpec)


def test_unknown_model_and_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="'gbm', 'jump', 'regime', 'bootstrap', 'csv'"):
        MarketModelSpec.model_validate({"btc_price": {"model": "garch"}})
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        MarketModelSpec.model_validate({"btc_price": {"model": "gbm", "sigma": 0.5}})
    with pytest.raises(ValidationError, match="less than or equal to 5"):
        GbmPriceSpec(volatility_frac_per_year=50)


def test_bootstrap_window_must_be_ordered() -> None:
    import datetime as dt

    with pytest.raises(ValidationError, match="must be after history_start_date"):
        BootstrapPriceSpec(
            history_csv="h.csv",
            history_start_date=dt.date(2020, 1, 1),
            history_end_date=dt.date(2019, 1, 1),
        )
