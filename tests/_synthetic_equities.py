"""Synthetic prices with known exposures, for the equities and events tests.

BTC has a price every calendar day; stocks, the AI factor (NVDA) and the market (SPY) trade
on weekdays. Trading-day returns of a stock are built from the *trading-day* BTC return
(weekend moves land on Monday, as in real data):

    r_stock = a + b_btc · r_btc + b_ai · u + ε,   r_ai = g · r_btc + u,

with u independent of BTC. So the orthogonalised model has beta_btc = b_btc, beta_ai = b_ai
and beta_btc_partial = b_btc − b_ai·g.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

AI_ON_BTC = 0.4  # g: the AI factor's loading on BTC
EXPOSURES = {  # ticker: (b_btc, b_ai)
    "MINR": (1.5, 0.1),
    "AIDC": (0.3, 1.2),
    "MIXD": (0.8, 0.8),
}


def synthetic_market(
    seed: int = 7, n_days: int = 1500, start: str = "2019-01-01", noise: float = 0.01
) -> tuple[pd.DataFrame, pd.Series]:
    """Wide trading-day prices (stocks, NVDA, SPY) and a calendar-day BTC price series."""
    rng = np.random.default_rng(seed)
    cal = pd.date_range(start, periods=n_days * 7 // 5 + 14, freq="D")
    btc = pd.Series(20_000 * np.exp(np.cumsum(rng.normal(3e-4, 0.03, len(cal)))), index=cal)
    days = cal[cal.day_of_week < 5][:n_days]
    r_btc = (btc.reindex(days) / btc.reindex(days).shift(1) - 1).fillna(0.0).to_numpy()
    u = rng.normal(0.0, 0.02, n_days)
    r_mkt = 0.1 * r_btc + rng.normal(2e-4, 0.01, n_days)
    returns = {"NVDA": AI_ON_BTC * r_btc + u, "SPY": r_mkt}
    for ticker, (b_btc, b_ai) in EXPOSURES.items():
        returns[ticker] = 2e-4 + b_btc * r_btc + b_ai * u + rng.normal(0.0, noise, n_days)
    frame = pd.DataFrame(returns, index=days)
    frame.iloc[0] = 0.0
    prices = 20.0 * (1.0 + frame).cumprod()
    prices.index.name = "date"
    return prices, btc.rename("price_usd_cm")


def write_synthetic_csvs(folder: Path, **kwargs: object) -> tuple[Path, Path]:
    """Write ``prices.csv`` (wide) and ``btc.csv`` (date, price_usd_cm) into ``folder``."""
    prices, btc = synthetic_market(**kwargs)  # type: ignore[arg-type]
    p_path, b_path = folder / "prices.csv", folder / "btc.csv"
    prices.reset_index().to_csv(p_path, index=False, date_format="%Y-%m-%d")
    btc.rename_axis("date").reset_index().to_csv(b_path, index=False, date_format="%Y-%m-%d")
    return p_path, b_path
