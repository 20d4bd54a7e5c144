"""Equity analytics: how the market prices each miner's BTC and AI exposure.

- :mod:`~hashpivot.equities.betas`: two-factor regressions of stock returns on BTC and an
  AI factor orthogonalised against BTC (full sample, rolling, by year), with labels;
- :mod:`~hashpivot.equities.events`: event studies of AI deal announcements;
- :mod:`~hashpivot.equities.beta_shift`: betas before vs after each first AI contract;
- :mod:`~hashpivot.equities.data`: price files, returns and calendar alignment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hashpivot._lazy import lazy_exports

if TYPE_CHECKING:
    from hashpivot.equities.beta_shift import BetaShiftResult, beta_event_study
    from hashpivot.equities.betas import (
        FactorModelResult,
        fit_factor_model,
        orthogonalise,
        rolling_factor_betas,
    )
    from hashpivot.equities.data import (
        InsufficientHistoryError,
        build_return_panel,
        load_return_panel,
        read_prices_csv,
    )
    from hashpivot.equities.events import DealEvent, EventStudyResult, event_study, load_deal_events

_LAZY = {
    "BetaShiftResult": "beta_shift",
    "beta_event_study": "beta_shift",
    "FactorModelResult": "betas",
    "fit_factor_model": "betas",
    "rolling_factor_betas": "betas",
    "orthogonalise": "betas",
    "DealEvent": "events",
    "EventStudyResult": "events",
    "event_study": "events",
    "load_deal_events": "events",
    "InsufficientHistoryError": "data",
    "build_return_panel": "data",
    "load_return_panel": "data",
    "read_prices_csv": "data",
}

__getattr__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "BetaShiftResult",
    "DealEvent",
    "EventStudyResult",
    "FactorModelResult",
    "InsufficientHistoryError",
    "beta_event_study",
    "build_return_panel",
    "event_study",
    "fit_factor_model",
    "load_deal_events",
    "load_return_panel",
    "orthogonalise",
    "read_prices_csv",
    "rolling_factor_betas",
]
