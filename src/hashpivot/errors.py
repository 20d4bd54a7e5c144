"""Error types: one base class, messages that name the field, the value and the rule."""

from __future__ import annotations


class HashpivotError(Exception):
    """Base class of every error hashpivot raises on purpose.

    Faces (CLI, API) catch it, print its message without a traceback and exit
    with code 2 (CLI) or answer HTTP 422 (API).
    """


class SpecError(HashpivotError, ValueError):
    """A scenario or input that breaks a rule.

    Parameters
    ----------
    problems
        One line per problem, each naming the field path, the bad value and the rule,
        for example ``sites[0].power_capacity_mw: -5 (must be > 0)``.
    source
        Where the input came from (a file name), shown in the first line.

    """

    def __init__(self, problems: list[str], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        head = f"invalid input in {source}" if source else "invalid input"
        lines = [f"{head} ({len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}):"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class UnknownNameError(HashpivotError, KeyError):
    """A look-up by name (hardware model, price model) that matched nothing.

    The message lists the closest valid names.
    """

    def __init__(self, kind: str, name: str, valid: list[str], close: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.valid = valid
        self.close = close
        hint = f"; closest: {', '.join(close)}" if close else ""
        msg = f"unknown {kind} {name!r}{hint}; valid names: {', '.join(valid)}"
        self.message = msg
        super().__init__(msg)

    def __str__(self) -> str:
        return self.message


class OutputError(HashpivotError):
    """An output path that cannot be written.

    A directory, a device, a FIFO, a read-only folder or a path under a file. Nothing is
    written, and what stood there is left as it was.
    """
