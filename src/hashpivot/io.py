"""Output helpers shared by the jobs and the faces: plain JSON values and atomic writes.

Below every face (CLI, API, report), so that a job (a sweep writing its results, the
run store exporting a run) never imports a face.
"""

from __future__ import annotations

import math
import os
import re
import stat
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hashpivot.errors import OutputError

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_UMASK_LOCK = threading.Lock()


def visible_text(text: str) -> str:
    """``text`` with control characters (ESC, NUL, ...; not newline or tab) shown escaped.

    User text (scenario, site and run names) goes through it before a terminal or a log
    prints it, so a name cannot move the cursor, clear the screen or hide text.
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def jsonable(value: Any) -> Any:
    """Turn numpy scalars, timestamps and NaN/inf (-> null) into plain JSON values."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return str(value.date())
    return value


def _umask() -> int:
    with _UMASK_LOCK:  # os.umask can only be read by setting it
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _writable_target(path: Path) -> tuple[Path, int]:
    """Where to write ``path`` and with what mode; refuse what must not be replaced.

    A new path is written with the user's normal permissions (0666 less the umask), an
    existing regular file keeps its own; a symlink to a regular file is followed (the
    link stays, its target is replaced). Directories, devices, FIFOs and sockets, and
    links to them or to nothing, are refused: a report must never replace ``/dev/null``.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            msg = f"cannot write {path}: it is a symlink to a missing file"
            raise OutputError(msg) from None
        return path, 0o666 & ~_umask()
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    if stat.S_ISREG(info.st_mode):
        return (path.resolve() if path.is_symlink() else path), stat.S_IMODE(info.st_mode)
    kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
    msg = f"cannot write {path}: it is {kind}; give the path of a file"
    raise OutputError(msg)


def check_writable(path: Path) -> None:
    """Refuse, before any work, an output path that :func:`write_atomic_with` would refuse.

    Also refuses a path whose nearest existing parent is a file or not writable, so a job
    that takes minutes does not find out at its end.
    """
    _writable_target(Path(path))
    parent = Path(path).parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {path}: {parent} is not writable")


def write_atomic_with(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``.

    A reader sees the old file or the whole new one, never a half-written one; the
    temporary file is removed when ``write`` fails or the process is interrupted. Only a
    new path or a regular file is replaced (see :func:`_writable_target`); a path that
    cannot be written raises :class:`~hashpivot.errors.OutputError` naming it.
    """
    target, mode = _writable_target(Path(path))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        msg = f"cannot write {path}: {exc.strerror or exc} ({exc.filename or target.parent})"
        raise OutputError(msg) from None
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        tmp.chmod(mode)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file, so nothing is half-written."""

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    write_atomic_with(path, write)
