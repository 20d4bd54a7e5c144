"""Parameter sweeps: vary a base scenario's fields and see what moves the answer.

``Sweep(spec).run(workers=..., scheduler=...)`` returns a :class:`SweepResult`:

- :mod:`~hashpivot.sweep.spec`: the sweep file (parameters, design, metrics);
- :mod:`~hashpivot.sweep.paths`: field paths into a scenario (``sites[*].power_capacity_mw``);
- :mod:`~hashpivot.sweep.design`: the points (grid or Latin hypercube), each validated
  before anything runs;
- :mod:`~hashpivot.sweep.run`: one point's Monte Carlo (and planner) as a task, serially or
  on Dask;
- :mod:`~hashpivot.sweep.analysis`: tornado, one- and two-way effects, decision flips;
- :mod:`~hashpivot.sweep.core`: the orchestrator, :class:`Sweep` and :class:`SweepResult`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hashpivot._lazy import lazy_exports

if TYPE_CHECKING:
    from hashpivot.sweep.analysis import decision_flips, one_way, tornado, two_way
    from hashpivot.sweep.core import Sweep, SweepResult
    from hashpivot.sweep.run import PointOutcome, SweepError
    from hashpivot.sweep.spec import (
        ParameterSpec,
        SweepSpec,
        example_sweep_text,
        load_sweep,
        parse_sweep,
    )

_LAZY = {
    "Sweep": "core",
    "SweepResult": "core",
    "SweepSpec": "spec",
    "ParameterSpec": "spec",
    "load_sweep": "spec",
    "parse_sweep": "spec",
    "example_sweep_text": "spec",
    "PointOutcome": "run",
    "SweepError": "run",
    "tornado": "analysis",
    "one_way": "analysis",
    "two_way": "analysis",
    "decision_flips": "analysis",
}

__getattr__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "ParameterSpec",
    "PointOutcome",
    "Sweep",
    "SweepError",
    "SweepResult",
    "SweepSpec",
    "decision_flips",
    "example_sweep_text",
    "load_sweep",
    "one_way",
    "parse_sweep",
    "tornado",
    "two_way",
]
