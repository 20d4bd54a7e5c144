import importlib
import pkgutil
from pathlib import Path

import hashpivot
from hashpivot.spec import Spec

GLOSSARY = Path(__file__).resolve().parents[1] / "docs" / "nomenclature.md"


def _all_specs() -> list[type[Spec]]:
    for mod in pkgutil.walk_packages(hashpivot.__path__, "hashpivot."):
        importlib.import_module(mod.name)
    found: list[type[Spec]] = []
    todo = list(Spec.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_spec_field_is_in_the_glossary() -> None:
    text = GLOSSARY.read_text(encoding="utf-8")
    missing = sorted(
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in _all_specs()
        for name in cls.model_fields
        if f"`{name}`" not in text
    )
    assert not missing, f"add to docs/nomenclature.md: {missing}"
