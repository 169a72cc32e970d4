"""Which of the catalog's rollups (record sets with ``rollup:``) a snapshot can answer from: its
table is there and its days are in the org's time zone. Read once per snapshot (a published
snapshot never changes) and handed to the compiler, which decides per question.
"""

from __future__ import annotations

import threading
from typing import Any

import duckdb

from metrics.catalog import Catalog

_known: dict[tuple[Any, int, str], frozenset[str]] = {}
_lock = threading.Lock()


def usable(cur: Any, catalog: Catalog, tz: str, snapshot: Any) -> frozenset[str]:
    """The rollups of ``catalog`` that the snapshot behind ``cur`` holds in zone ``tz``.
    ``snapshot`` names the snapshot (its file, or the cursor itself) for the cache."""
    rolls = [r for r in catalog.records if r.rollup is not None]
    if not rolls:
        return frozenset()
    key = (snapshot, id(catalog), tz)
    hit = _known.get(key)
    if hit is not None:
        return hit
    found = frozenset(
        r.name
        for r in rolls
        if r.rollup is not None and _zone(cur, r.rollup.table or r.source, r.rollup.zone) == tz
    )
    with _lock:
        if len(_known) > 64:
            _known.clear()
        _known[key] = found
    return found


def _zone(cur: Any, source: str, zone: str) -> str | None:
    try:
        row = cur.execute(f"SELECT {zone} FROM {source.strip()} AS r LIMIT 1").fetchone()
    except duckdb.Error:  # a snapshot made before the rollup existed
        return None
    return str(row[0]) if row and row[0] is not None else None
