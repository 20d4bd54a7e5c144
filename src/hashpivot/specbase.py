"""The base of every typed spec: frozen, unknown keys refused, defaults validated.

Kept apart from :mod:`hashpivot.spec` so that modules whose specs the scenario embeds
(market models, network models) can import it without a cycle.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Spec(BaseModel):
    """Base of all specs: frozen, unknown keys refused, defaults validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)
