"""Strict CI (tests/conftest.py): under ``CI=true`` a skip fails with its reason, elsewhere not.

Runs small throw-away test files through pytest's own ``pytester`` with this project's
conftest, so the counts below are what a real run reports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytester"]

CONFTEST = (Path(__file__).parent / "conftest.py").read_text(encoding="utf-8")
SKIPPING = """
import pytest

pytest.importorskip("no_such_module_for_hashpivot", reason="optional dependency missing")


def test_never_runs():
    assert True
"""
FIXTURE_SKIP = """
import pytest


@pytest.fixture
def data():
    pytest.skip("shared data folder not found (data)")


def test_reads(data):
    assert data


def test_platform():
    pytest.skip("numba runs one thread here")


def test_plain():
    assert True
"""


def _run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str | None) -> Any:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_missing_dep=SKIPPING, test_fixture_skip=FIXTURE_SKIP)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider")


def test_outside_ci_skips_stay_skips(pytester: pytest.Pytester, monkeypatch) -> None:
    result = _run(pytester, monkeypatch, None)
    result.assert_outcomes(passed=1, skipped=3)
    assert result.ret == 0


@pytest.mark.parametrize("value", ["true", "1"])
def test_in_ci_a_skip_is_a_failure_with_its_reason(
    pytester: pytest.Pytester, monkeypatch, value: str
) -> None:
    result = _run(pytester, monkeypatch, value)
    # the module-level importorskip and the fixture's skip fail; the platform skip stays
    # a skip; the other test still runs
    result.assert_outcomes(passed=1, skipped=1, errors=2)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*CI=true*optional dependency missing*"])
    result.stdout.fnmatch_lines(["*CI=true*shared data folder not found*"])
