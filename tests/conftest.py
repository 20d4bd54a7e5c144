"""Shared fixtures: the optional ../shared/data folder, a fixed terminal width, strict CI.

Under ``CI=true`` (``1``/``yes`` too) a skipped test is a failure, with the skip's reason:
the browser test and the real-data tests back claims the README makes, so a missing
Chromium, shared data folder or optional test dependency must not pass silently there.
Only the platform facts of :data:`CI_ALLOWED_SKIPS` (nothing is missing, the check does
not apply) still skip. Outside CI every skip stays a skip with its reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CI_ALLOWED_SKIPS = (
    "numba runs one thread here",  # a 1-CPU runner: thread-count invariance cannot be shown
    "mallopt exists on glibc Linux only",
    "uses fcntl to hold the lock",
    "root writes into read-only folders",  # CI runs as root: a read-only folder cannot fail
)
"""Skip reasons that stay skips under CI: properties of the platform, not missing parts."""


def in_ci() -> bool:
    """True when the environment variable ``CI`` says so (``true``, ``1`` or ``yes``)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _skip_reason(report: pytest.CollectReport | pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _fail_skip_in_ci(report: pytest.CollectReport | pytest.TestReport) -> None:
    """Under CI, turn a skip (not an xfail, not an allowed platform skip) into a failure."""
    if not (report.skipped and in_ci()) or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report)
    if any(allowed in reason for allowed in CI_ALLOWED_SKIPS):
        return
    report.outcome = "failed"
    report.longrepr = f"CI=true: a skipped test is a failure here. Skip reason: {reason}"


def pytest_configure(config: pytest.Config) -> None:
    """Under CI a module that fails to collect fails alone; the other tests still run."""
    if in_ci():
        config.option.continue_on_collection_errors = True


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Skips inside tests and fixtures (``pytest.skip``, ``skipif``, ``importorskip``)."""
    outcome = yield
    _fail_skip_in_ci(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):  # type: ignore[no-untyped-def]
    """Module-level skips (``allow_module_level=True``, a module-level ``importorskip``)."""
    outcome = yield
    _fail_skip_in_ci(outcome.get_result())


def shared_data_dir() -> Path:
    """The shared data folder: $HASHPIVOT_SHARED_DATA, else ../shared/data beside the repo."""
    env = os.environ.get("HASHPIVOT_SHARED_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """Path of ../shared/data; when absent the test is skipped with the reason (fails in CI)."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"shared data folder not found ({path.name}); set HASHPIVOT_SHARED_DATA")
    return path


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.setenv("NO_COLOR", "1")
