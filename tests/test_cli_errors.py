"""One error path for every command: bad input exits 2 with a message, never a traceback.

A corpus of bad scenarios and bad options runs through the commands that read them; each
run must exit 0 or 2, print no traceback, and finish quickly. What is not the user's
fault exits 1 with "this is a bug" and the file holding the traceback.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from hashpivot.cli import app
from hashpivot.cli import common as cli_common
from hashpivot.spec import default_scenario_text

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "120", "NO_COLOR": "1"})


def _edited(edit: Callable[[dict], None]) -> str:
    data = yaml.safe_load(default_scenario_text())
    edit(data)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _text(old: str, new: str) -> str:
    text = default_scenario_text()
    assert old in text, old
    return text.replace(old, new, 1)


def _bomb() -> str:
    text = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    prev = "a"
    for name in "bcdefghij":
        text += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    return text


BAD_SCENARIOS: dict[str, str | bytes] = {
    "tiny_difficulty": _edited(lambda d: d["market"].update(difficulty=1e-12)),
    "difficulty_in_tera": _edited(lambda d: d["market"].update(difficulty=109.78)),
    "difficulty_one": _edited(lambda d: d["market"].update(difficulty=1.0)),
    "far_future": _edited(lambda d: d.update(start_date="9000-01-01")),
    "month_13": _text("start_date: 2025-01-01", "start_date: 2025-13-01"),
    "february_30": _text("start_date: 2025-01-01", "start_date: 2025-02-30"),
    "year_0": _text("start_date: 2025-01-01", "start_date: 0000-01-01"),
    "empty_fleets": _edited(lambda d: [s.update(fleets=[], conversions=[]) for s in d["sites"]]),
    "horizon_bool": _text("horizon_months: 60", "horizon_months: true"),
    "horizon_inf": _text("horizon_months: 60", "horizon_months: .inf"),
    "lease_inf": _text("usd_per_kw_month: 150", "usd_per_kw_month: .inf"),
    "wacc_below_growth": _edited(
        lambda d: d.setdefault("company", {}).update(
            wacc_frac_per_year=0.02, terminal_growth_frac_per_year=0.03
        )
    ),
    "duplicate_key": "name: a\nname: b\n",
    "alias_bomb": _bomb(),
    "deep_nesting": "a: " + "[" * 200 + "]" * 200 + "\n",
    "yaml_syntax": "name: [unclosed\n",
    "not_utf8": "name: caf\xe9\n".encode("latin-1"),
    "empty": "",
    "a_list": "- 1\n- 2\n",
    "negative_mw": _edited(lambda d: d["sites"][0].update(power_capacity_mw=-5)),
    "unknown_asic": _edited(lambda d: d["sites"][0]["fleets"][0].update(asic_model="Nope 9000")),
}
GOOD_BUT_ODD: dict[str, str] = {
    "markup_name": _edited(lambda d: d.update(name="[/bold] x [link=http://a]b[/link]")),
    "control_name": _edited(lambda d: d.update(name="a\x1b[2Jb\x07c")),
    # an AI landlord: conversions and no ASIC fleet (init --from APLD)
    "no_fleet": _edited(lambda d: [s.update(fleets=[]) for s in d["sites"]]),
}


@pytest.fixture(scope="module")
def scenario_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad")
    out = {}
    for name, text in {**BAD_SCENARIOS, **GOOD_BUT_ODD}.items():
        path = folder / f"{name}.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        out[name] = path
    return out


def _check(result, allowed: tuple[int, ...] = (0, 2)) -> None:
    assert result.exit_code in allowed, result.output
    assert "Traceback" not in result.output
    assert "this is a bug" not in result.output


@pytest.mark.parametrize("command", ["validate", "mine", "company", "value", "unit-economics"])
@pytest.mark.parametrize("name", sorted(BAD_SCENARIOS))
def test_bad_scenarios_exit_2_with_a_message(
    command: str, name: str, scenario_files: dict[str, Path]
) -> None:
    started = time.perf_counter()
    result = invoke(command, str(scenario_files[name]))
    assert result.exit_code == 2, result.output
    assert "error:" in result.output
    assert "Traceback" not in result.output
    assert time.perf_counter() - started < 30


@pytest.mark.parametrize("name", ["tiny_difficulty", "difficulty_in_tera", "alias_bomb"])
def test_bad_scenarios_exit_2_in_the_monte_carlo(
    name: str, scenario_files: dict[str, Path]
) -> None:
    result = invoke("run", str(scenario_files[name]), "--paths", "1000")
    assert result.exit_code == 2, result.output


@pytest.mark.parametrize("name", sorted(GOOD_BUT_ODD))
def test_user_text_is_printed_as_data(name: str, scenario_files: dict[str, Path]) -> None:
    for command in ("validate", "mine"):
        result = invoke(command, str(scenario_files[name]))
        _check(result, (0,))
        assert "\x1b[2J" not in result.output
    if name == "markup_name":
        assert (
            "[/bold] x [link=http://a]b[/link]"
            in invoke("validate", str(scenario_files[name])).output
        )


@pytest.mark.parametrize("command", ["mine", "company", "value", "unit-economics", "run"])
def test_a_scenario_without_a_fleet_runs_or_says_why(
    command: str, scenario_files: dict[str, Path]
) -> None:
    extra = ["--paths", "1000"] if command == "run" else []
    result = invoke(command, str(scenario_files["no_fleet"]), *extra)
    _check(result)  # 0, or 2 with a message (unit-economics: no ASIC fleet to value)
    if result.exit_code == 2:
        assert "no ASIC fleets" in result.output
    if command == "mine":
        assert "no ASIC fleet (AI conversions only), so nothing is mined" in result.output


@pytest.mark.parametrize("path", ["/dev/zero", "/", "/nonexistent/x.yaml"])
def test_unreadable_inputs_exit_2(path: str) -> None:
    result = invoke("validate", path)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    result = invoke("validate", str(fifo))
    assert result.exit_code == 2, result.output
    assert "not a regular file" in result.output


def test_report_onto_a_symlink_to_a_device_is_refused_and_the_link_kept(tmp_path: Path) -> None:
    link = tmp_path / "report.html"
    link.symlink_to("/dev/null")
    started = time.perf_counter()
    result = invoke("run", "--paths", "100000", "--report", str(link))
    assert result.exit_code == 2, result.output
    assert time.perf_counter() - started < 5  # refused before the Monte Carlo runs
    assert "not a regular file" in result.output
    assert link.is_symlink()
    assert os.readlink(link) == "/dev/null"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.parametrize("kind", ["directory", "under_a_file", "read_only"])
def test_unwritable_outputs_exit_2(kind: str, tmp_path: Path) -> None:
    if kind == "directory":
        target = tmp_path
    elif kind == "under_a_file":
        (tmp_path / "file").write_text("x")
        target = tmp_path / "file" / "scenario.yaml"
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only folders")  # CI runs as root
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o500)
        target = folder / "scenario.yaml"
    result = invoke("init", str(target), "--force")
    assert result.exit_code == 2, result.output
    assert "cannot write" in result.output


def test_outputs_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        target = tmp_path / "scenario.yaml"
        _check(invoke("init", str(target)), (0,))
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
        target.chmod(0o600)  # an existing file keeps its own mode
        _check(invoke("init", str(target), "--force"), (0,))
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    finally:
        os.umask(old)


def test_symlink_to_a_regular_file_is_followed(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text("old")
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    _check(invoke("init", str(link), "--force"), (0,))
    assert link.is_symlink()
    assert real.read_text() == default_scenario_text()


def test_an_unexpected_error_is_a_bug_exit_1_with_the_traceback_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(cli_common.platformdirs, "user_log_dir", lambda name: str(tmp_path))

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("hashpivot.cli.scenario.load_scenario", broken)
    result = invoke("validate", "whatever.yaml")
    assert result.exit_code == 1, result.output
    assert "this is a bug, please report it: ZeroDivisionError: boom" in result.output
    (report,) = tmp_path.glob("bug-*.txt")
    assert "ZeroDivisionError" in report.read_text()


def test_hashprice_refuses_both_a_difficulty_and_a_hashprice() -> None:
    result = invoke(
        "hashprice", "--price-usd", "90000", "--difficulty", "1.1e14",
        "--hashprice-usd-per-ph-day", "50",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "not both" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--seed", str(2**63)],
        ["dispatch", "--prices", "x.csv", "--node", "N", "--seed", "-1"],
        ["hashprice", "--price-usd", "inf", "--difficulty", "1.1e14"],
        ["dispatch", "--prices", "x.csv", "--node", "N", "--hashprice-usd-per-ph-day", "inf"],
        ["value", "--wacc", "nan"],
        ["value", "--mining-rate", "5e-324"],
        ["value", "--as-of", "9999-12-31"],
    ],
)
def test_options_out_of_range_are_refused_before_any_work(args: list[str]) -> None:
    started = time.perf_counter()
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert time.perf_counter() - started < 5


def test_absurd_hourly_prices_are_refused(tmp_path: Path) -> None:
    prices = tmp_path / "prices.csv"
    rows = ["delivery_date,hour_ending,N"]
    rows += [f"2024-01-01,{h},30" for h in range(1, 25)]
    rows[5] = "2024-01-01,5,1e308"
    prices.write_text("\n".join(rows) + "\n")
    result = invoke("dispatch", "--prices", str(prices), "--node", "N")
    assert result.exit_code == 2, result.output
    assert "N: 1e+308 in data row 5" in result.output


def test_a_store_with_corrupt_blocks_exits_2(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    _check(invoke("run", "--paths", "1000", "--save", "--store", str(store)), (0,))
    size = store.stat().st_size
    with store.open("r+b") as fh:  # overwrite the data blocks after the header
        fh.seek(size // 2)
        fh.write(bytes(range(256)) * (size // 512))
    for args in (["runs", "list"], ["runs", "show", "latest"]):
        result = invoke(*args, "--store", str(store))
        assert result.exit_code == 2, result.output
        assert "cannot be read or written" in result.output
