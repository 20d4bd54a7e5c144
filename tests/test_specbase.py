import os
import time
from pathlib import Path

import pytest

from hashpivot.errors import SpecError
from hashpivot.specbase import MAX_SPEC_BYTES, parse_yaml_mapping, read_spec_text, shown_value


def test_shown_value_cuts_long_values_and_says_their_size() -> None:
    long = shown_value(list(range(8760)))
    assert long.endswith("… (8760 items)")
    assert len(long) < 100
    assert shown_value("x" * 500).endswith("… (502 characters)")
    assert shown_value([1, 2]) == "[1, 2]"


def test_parse_yaml_mapping_names_line_and_column() -> None:
    with pytest.raises(SpecError, match=r"YAML does not parse: line 3, column 1"):
        parse_yaml_mapping("a: 1\nb: [unclosed\n", "x.yaml")


def test_read_spec_text_refuses_missing_file(tmp_path) -> None:
    with pytest.raises(SpecError, match="file not found"):
        read_spec_text(tmp_path / "absent.yaml")


def _billion_laughs(levels: int = 9) -> str:
    text = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    prev = "a"
    for name in "bcdefghijklm"[:levels]:
        text += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    return text


def test_alias_bomb_is_refused_at_once() -> None:
    # 1 KB that expands to 9**10 values: refused from the node graph, before building it
    text = _billion_laughs()
    assert len(text) < 1200
    started = time.perf_counter()
    with pytest.raises(SpecError, match="values once its aliases are expanded"):
        parse_yaml_mapping(text, "bomb.yaml")
    assert time.perf_counter() - started < 2.0


def test_aliases_within_limits_load_as_copies() -> None:
    data, _ = parse_yaml_mapping("x: &x [1, 2]\ny: *x\n", "t")
    assert data == {"x": [1, 2], "y": [1, 2]}


@pytest.mark.parametrize("text", ["a: " + "[" * 70 + "]" * 70, "[" * 5000 + "]" * 5000])
def test_deep_nesting_is_refused(text: str) -> None:
    with pytest.raises(SpecError, match="nesting deeper than 64"):
        parse_yaml_mapping(text, "deep.yaml")


def test_duplicate_keys_are_refused_with_both_lines() -> None:
    with pytest.raises(SpecError, match=r"duplicate key 'a' \(first on line 1\)"):
        parse_yaml_mapping("a: 1\nb: 2\na: 3\n", "dup.yaml")


@pytest.mark.parametrize("text", ["2025-13-01", "2025-02-30", "0000-01-01"])
def test_impossible_dates_stay_text_for_the_spec_to_refuse(text: str) -> None:
    data, _ = parse_yaml_mapping(f"d: {text}\n", "t")
    assert data == {"d": text}


def test_oversized_text_is_refused() -> None:
    with pytest.raises(SpecError, match="larger than"):
        parse_yaml_mapping("a: 1\n" + "#" * (MAX_SPEC_BYTES + 1), "big.yaml")


def test_read_spec_text_reads_only_regular_files(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="a directory"):
        read_spec_text(tmp_path)
    with pytest.raises(SpecError, match="not a regular file"):
        read_spec_text("/dev/zero")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(SpecError, match="not a regular file"):
        read_spec_text(fifo)  # would block forever if opened
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(SpecError, match="not UTF-8 text"):
        read_spec_text(latin)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * 2000)
    with pytest.raises(SpecError, match="larger than 1,000 bytes"):
        read_spec_text(big, max_bytes=1000)
