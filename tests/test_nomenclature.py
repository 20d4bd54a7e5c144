from pathlib import Path

from pydantic import BaseModel

from hashpivot import spec

GLOSSARY = Path(__file__).resolve().parents[1] / "docs" / "nomenclature.md"


def _spec_classes() -> list[type[BaseModel]]:
    return [
        obj
        for obj in vars(spec).values()
        if isinstance(obj, type) and issubclass(obj, spec.Spec) and obj is not spec.Spec
    ]


def test_every_spec_field_is_in_the_glossary() -> None:
    text = GLOSSARY.read_text(encoding="utf-8")
    missing = sorted(
        f"{cls.__name__}.{name}"
        for cls in _spec_classes()
        for name in cls.model_fields
        if f"`{name}`" not in text
    )
    assert not missing, f"add to docs/nomenclature.md: {missing}"
