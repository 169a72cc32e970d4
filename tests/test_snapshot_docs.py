"""docs/cache.md lists every table and column of the cache, with its type, as schema.py has them."""

from __future__ import annotations

import re
from pathlib import Path

from cache import schema

DOC = Path(__file__).parent.parent / "docs" / "cache.md"


def documented_tables() -> dict[str, dict[str, str]]:
    tables: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"^### (\w+)\s*$", line):
            current = tables.setdefault(m.group(1), {})
        elif current is not None and (m := re.match(r"^\| `(\w+)` \| ([^|]+?) \|", line)):
            current[m.group(1)] = m.group(2).strip()
    return tables


def test_cache_doc_matches_schema() -> None:
    expected = {o.name: {f.name: f.type for f in o.fields} for o in schema.OBJECTS}
    assert documented_tables() == expected


def test_cache_doc_names_bookkeeping_tables() -> None:
    text = DOC.read_text(encoding="utf-8")
    for table in (schema.META_OBJECTS, schema.META_SNAPSHOT):
        assert f"`{table}`" in text
    for col in ("source", "refreshed_at", "row_count", "watermark", "created_at", "data_as_of"):
        assert f"`{col}`" in text
