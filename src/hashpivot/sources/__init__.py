"""Live data adapters and the local data cache.

One module per source, each a few documented functions, one per data set, returning the
tidy frames and CSV layouts the commands already read:

* :mod:`~hashpivot.sources.mempool`: chain tip, difficulty and next retarget, hashrate,
  recent block fees and price from a mempool.space REST API (public or self-hosted);
* :mod:`~hashpivot.sources.coinmetrics`: daily price, issuance, fees and hashrate from the
  Coin Metrics community API;
* :mod:`~hashpivot.sources.gridstatus`: ERCOT hourly prices and load through the optional
  ``gridstatus`` package, in the layout ``hashpivot dispatch`` reads;
* :mod:`~hashpivot.sources.yfinance`: adjusted closes through the optional ``yfinance``.

HTTP goes through one client (:mod:`~hashpivot.sources.http`); results are stored by
:mod:`~hashpivot.sources.cache`. Nothing here runs unless asked: no default command and
no test needs the internet.
"""

from __future__ import annotations

SOURCE_NAMES = ("bitcoin", "coinmetrics", "btc-price", "ercot", "equities")
"""Data sets ``hashpivot data fetch`` knows, in the order ``--help`` lists them."""

__all__ = ["SOURCE_NAMES"]
