"""The reference pages in docs/ are generated from the schemas and must not drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadops import reference

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("kind", reference.KINDS)
def test_reference_page_matches_the_schema(kind: str) -> None:
    page = DOCS / f"{kind}-reference.md"
    expected = reference.markdown(reference.model_for(kind), kind)
    assert page.read_text(encoding="utf-8") == expected, (
        f"{page.name} is stale: regenerate it with `leadops schema {kind} --markdown`"
    )


@pytest.mark.parametrize("kind", reference.KINDS)
def test_every_field_has_a_description(kind: str) -> None:
    schema = reference.model_for(kind).model_json_schema()
    sections = [schema, *schema.get("$defs", {}).values()]
    missing = [
        f"{section.get('title')}.{name}"
        for section in sections
        for name, spec in section.get("properties", {}).items()
        if not spec.get("description") and "$ref" not in spec
    ]
    assert not missing, missing
