"""When the data an answer counts was read from Salesforce (``data_as_of``), looked up once per
snapshot file or cursor: every answer shows it, and a snapshot never changes once published."""

from __future__ import annotations

from datetime import datetime

import duckdb

from cache import schema
from cache.snapshot import SnapshotReader
from metrics.watchdog import Cursor

_as_of: dict[object, datetime | None] = {}


def reader_as_of(reader: SnapshotReader) -> datetime | None:
    """data_as_of, read once per snapshot file (a snapshot never changes once published)."""
    key = reader.target
    if key is None or key not in _as_of:
        value = reader.data_as_of()
        _as_of[reader.target] = value
        return value
    return _as_of[key]


_cursor_as_of: dict[int, tuple[Cursor, datetime | None]] = {}


def cursor_as_of(cur: Cursor) -> datetime | None:
    """data_as_of of a plain DuckDB cursor, read once per cursor (kept, so its id stays unique)."""
    hit = _cursor_as_of.get(id(cur))
    if hit is not None and hit[0] is cur:
        return hit[1]
    try:
        row = cur.execute(f"SELECT data_as_of FROM {schema.META_SNAPSHOT} LIMIT 1").fetchone()
    except duckdb.Error:
        return None
    if len(_cursor_as_of) > 64:
        _cursor_as_of.clear()
    value = row[0] if row else None
    _cursor_as_of[id(cur)] = (cur, value)
    return value


def data_as_of(duck: SnapshotReader | Cursor, cur: Cursor) -> datetime | None:
    """data_as_of of the snapshot a question ran on: by its file, else by its cursor."""
    return reader_as_of(duck) if isinstance(duck, SnapshotReader) else cursor_as_of(cur)
