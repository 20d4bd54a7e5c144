import pytest

from hashpivot.errors import SpecError
from hashpivot.specbase import parse_yaml_mapping, read_spec_text, shown_value


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
