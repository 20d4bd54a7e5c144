"""The ``hashpivot`` command line (Typer): thin commands that parse, call the library, render.

:mod:`~hashpivot.cli.app` builds the app from one module per family of commands:
:mod:`~hashpivot.cli.scenario` (``init``, ``validate``), :mod:`~hashpivot.cli.projection`
(``hashprice``, ``mine``, ``company``), :mod:`~hashpivot.cli.montecarlo` (``run``),
:mod:`~hashpivot.cli.ai` (``lease``, ``unit-economics``, ``value``),
:mod:`~hashpivot.cli.planner` (``plan``), :mod:`~hashpivot.cli.dispatch` (``dispatch``),
:mod:`~hashpivot.cli.markets` (``estimate``), :mod:`~hashpivot.cli.network` (``network``),
:mod:`~hashpivot.cli.equities` (``betas``, ``events``, ``catalog deals``),
:mod:`~hashpivot.cli.catalog` (``catalog asics|gpus|companies``),
:mod:`~hashpivot.cli.sweep` (``sweep``), :mod:`~hashpivot.cli.runs` (``runs ...``) and
:mod:`~hashpivot.cli.serve` (``serve``); :mod:`~hashpivot.cli.common` holds what they share.
Nothing outside the faces (``cli``, ``api``, ``report``) imports this package.
"""

from hashpivot.cli.app import app

__all__ = ["app"]
