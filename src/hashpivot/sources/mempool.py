"""Bitcoin network state from a mempool.space REST API (public or self-hosted).

One function per data set, each one GET through :class:`~hashpivot.sources.http.HttpClient`:

=================================  ==========================================  ===============
function                           endpoint                                    unit
=================================  ==========================================  ===============
:func:`chain_tip_height`           ``/api/blocks/tip/height`` (plain text)     blocks
:func:`difficulty_adjustment`      ``/api/v1/difficulty-adjustment``           -, %, ms
:func:`network_hashrate`           ``/api/v1/mining/hashrate/3d``              H/s, -
:func:`recent_block_fees`          ``/api/v1/blocks`` (last 15 blocks)         sat
:func:`btc_price`                  ``/api/v1/prices``                          USD/BTC
=================================  ==========================================  ===============

:func:`network_snapshot` joins them into one tidy row (the layout cached as
``bitcoin_network``), and :func:`market_state_from_snapshot` turns a row into a
:class:`~hashpivot.market_state.MarketState`, hashprice computed from the fetched price,
difficulty, subsidy and fees (:func:`hashpivot.bitcoin.hashprice_usd_per_ph_day`).
The base URL is ``--base-url``, else ``$HASHPIVOT_MEMPOOL_URL``, else ``https://mempool.space``.

References
----------
.. [1] mempool.space REST API: https://mempool.space/docs/api/rest (sections "General:
   Get Difficulty Adjustment", "Get Price", "Mining: Get Hashrate", "Blocks: Get Blocks",
   "Get Block Tip Height").

"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hashpivot import bitcoin
from hashpivot.market_state import MarketState, SourcedValue
from hashpivot.sources import _fields
from hashpivot.sources.http import HttpClient, SourceFormatError, resolve_base_url

SOURCE = "mempool.space"
DEFAULT_BASE_URL = "https://mempool.space"
ENV_VAR = "HASHPIVOT_MEMPOOL_URL"
SAT_PER_BTC = 1e8
"""Satoshis per bitcoin (Bitcoin Core ``COIN``)."""

SNAPSHOT_COLUMNS = (
    "time_utc",
    "date",
    "block_height",
    "difficulty",
    "network_hashrate_eh_s",
    "fees_btc_per_block",
    "fee_blocks",
    "btc_price_usd",
    "next_retarget_height",
    "difficulty_change_frac_est",
    "estimated_retarget_utc",
    "source_url",
)
"""Columns of the cached ``bitcoin_network`` data set, one row per fetch."""


def client(base_url: str | None = None) -> HttpClient:
    """An HTTP client for the mempool.space API at ``base_url`` (see module docstring)."""
    return HttpClient(SOURCE, resolve_base_url(base_url, ENV_VAR, DEFAULT_BASE_URL))


@dataclass(frozen=True)
class RetargetEstimate:
    """The API's estimate of the next difficulty retarget."""

    next_retarget_height: int
    difficulty_change_frac: float
    estimated_retarget_utc: dt.datetime
    remaining_blocks: int


def chain_tip_height(http: HttpClient) -> int:
    """Height of the chain tip [blocks]."""
    path = "/api/blocks/tip/height"
    text = http.get_text(path).strip()
    if not text.isdigit():
        raise SourceFormatError(SOURCE, http.url(path), f"tip height {text[:40]!r} is not a number")
    return int(text)


def difficulty_adjustment(http: HttpClient) -> RetargetEstimate:
    """Next retarget: its height, the estimated change (a fraction) and its estimated time."""
    path = "/api/v1/difficulty-adjustment"
    url = http.url(path)
    body = http.get_json(path)
    change_pct = _fields.number(body, "difficultyChange", SOURCE, url, minimum=-100.0)
    when_ms = _fields.number(body, "estimatedRetargetDate", SOURCE, url)
    return RetargetEstimate(
        next_retarget_height=int(_fields.number(body, "nextRetargetHeight", SOURCE, url)),
        difficulty_change_frac=change_pct / 100.0,
        estimated_retarget_utc=dt.datetime.fromtimestamp(when_ms / 1000.0, dt.UTC),
        remaining_blocks=int(_fields.number(body, "remainingBlocks", SOURCE, url)),
    )


def network_hashrate(http: HttpClient) -> tuple[float, float]:
    """Current network hashrate [H/s] and difficulty [-] (the API's 3-day estimate)."""
    path = "/api/v1/mining/hashrate/3d"
    url = http.url(path)
    body = http.get_json(path)
    hashrate = _fields.number(body, "currentHashrate", SOURCE, url, minimum=1.0)
    difficulty = _fields.number(body, "currentDifficulty", SOURCE, url, minimum=1.0)
    return hashrate, difficulty


def recent_block_fees(http: HttpClient) -> pd.DataFrame:
    """Fees of the most recent blocks (15 on mempool.space), one row per block.

    Returns
    -------
    pandas.DataFrame
        ``height`` [blocks], ``time_utc``, ``fees_btc`` [BTC], ``tx_count``, newest first.

    """
    path = "/api/v1/blocks"
    url = http.url(path)
    blocks = _fields.items(http.get_json(path), None, SOURCE, url)
    rows = []
    for block in blocks:
        extras = block.get("extras") if isinstance(block, dict) else None
        if extras is None:
            raise SourceFormatError(SOURCE, url, "field `extras` (block fees) is missing")
        rows.append(
            {
                "height": int(_fields.number(block, "height", SOURCE, url)),
                "time_utc": _fields.number(block, "timestamp", SOURCE, url),
                "fees_btc": _fields.number(extras, "totalFees", SOURCE, url) / SAT_PER_BTC,
                "tx_count": int(_fields.number(block, "tx_count", SOURCE, url)),
            }
        )
    frame = pd.DataFrame(rows)
    frame["time_utc"] = pd.to_datetime(frame["time_utc"], unit="s", utc=True)
    return frame


def btc_price(http: HttpClient) -> tuple[float, dt.datetime]:
    """BTC price [USD/BTC] and the time it was quoted."""
    path = "/api/v1/prices"
    url = http.url(path)
    body = http.get_json(path)
    price = _fields.number(body, "USD", SOURCE, url)
    if price <= 0:
        raise SourceFormatError(SOURCE, url, f"field `USD`: {price!r} — must be > 0")
    when = _fields.number(body, "time", SOURCE, url)
    return price, dt.datetime.fromtimestamp(when, dt.UTC)


def network_snapshot(http: HttpClient, now: dt.datetime | None = None) -> pd.DataFrame:
    """The network's state now, as one row of :data:`SNAPSHOT_COLUMNS`.

    Every endpoint is read and checked before the row is made, so a failure anywhere
    leaves nothing behind. ``fees_btc_per_block`` is the mean over the recent blocks.
    """
    height = chain_tip_height(http)
    retarget = difficulty_adjustment(http)
    hashrate_h_s, difficulty = network_hashrate(http)
    fees = recent_block_fees(http)
    price, _ = btc_price(http)
    when = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    row = {
        "time_utc": when.isoformat(),
        "date": when.date().isoformat(),
        "block_height": height,
        "difficulty": difficulty,
        "network_hashrate_eh_s": hashrate_h_s / 1e18,
        "fees_btc_per_block": float(np.mean(fees["fees_btc"].to_numpy())),
        "fee_blocks": len(fees),
        "btc_price_usd": price,
        "next_retarget_height": retarget.next_retarget_height,
        "difficulty_change_frac_est": retarget.difficulty_change_frac,
        "estimated_retarget_utc": retarget.estimated_retarget_utc.isoformat(),
        "source_url": http.base_url,
    }
    return pd.DataFrame([row], columns=list(SNAPSHOT_COLUMNS))


def market_state_from_snapshot(row: pd.Series, previous: MarketState) -> MarketState:
    """A market state from one ``bitcoin_network`` row.

    The risk-free rate is kept from ``previous`` (with its own date and source), as no
    Bitcoin source quotes it.
    """
    day = dt.date.fromisoformat(str(row["date"]))
    base = str(row["source_url"])

    def sourced(value: float, path: str, note: str) -> SourcedValue:
        return SourcedValue(
            value=value, as_of=day, source_url=f"{base}{path}", retrieved=day, note=note
        )

    height = int(row["block_height"])
    difficulty = float(row["difficulty"])
    fees = float(row["fees_btc_per_block"])
    price = float(row["btc_price_usd"])
    subsidy = float(bitcoin.subsidy_btc(height + 1))
    hashprice = float(bitcoin.hashprice_usd_per_ph_day(price, difficulty, subsidy, fees))
    return MarketState(
        as_of=max(day, previous.risk_free_rate_frac_per_year.as_of),
        label=f"cache: {SOURCE} at {row['time_utc']}",
        btc_price_usd=sourced(price, "/api/v1/prices", "mempool.space USD price"),
        difficulty=sourced(difficulty, "/api/v1/mining/hashrate/3d", "current difficulty"),
        network_hashrate_eh_s=sourced(
            float(row["network_hashrate_eh_s"]), "/api/v1/mining/hashrate/3d", "3-day estimate"
        ),
        block_height=sourced(float(height), "/api/blocks/tip/height", "chain tip"),
        fees_btc_per_block=sourced(
            fees, "/api/v1/blocks", f"mean of the last {int(row['fee_blocks'])} blocks"
        ),
        hashprice_usd_per_ph_day=sourced(
            hashprice,
            "/api/v1/mining/hashrate/3d",
            "derived: 8.64e19/(D·2^32)·(subsidy + fees)·price from the values above",
        ),
        risk_free_rate_frac_per_year=previous.risk_free_rate_frac_per_year,
    )
