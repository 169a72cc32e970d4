"""The values stored in the cache for each category dimension, for the grammar's fuzzy matching.

Rep names come from User.Name (a ``values: Table.Field`` entry), channels from app.yaml plus
"other"; every other dimension from the distinct values of its SQL over the record sets that
have it, plus its catalog ``order`` (stages, attempts). Cached per snapshot file.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import duckdb

from metrics.catalog import Catalog
from metrics.compiler import joins_for

_cache: dict[tuple[str, int, tuple[str, ...]], dict[str, tuple[str, ...]]] = {}
_lock = threading.Lock()
_TABLE_FIELD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$")


def _snapshot_key(cursor: Any) -> str:
    try:
        row = cursor.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchone()
        return str(row[0]) if row and row[0] else f"memory:{id(cursor)}"
    except duckdb.Error:
        return f"memory:{id(cursor)}"


def load_values(
    cursor: Any, catalog: Catalog, channels: dict[str, list[str]] | None = None
) -> dict[str, tuple[str, ...]]:
    """``{"rep": ("Alice Wang", …), "lead source": (…), …}``: distinct non-empty values, sorted."""
    # The channel names are app.yaml's, not the snapshot's: part of the key.
    key = (_snapshot_key(cursor), id(catalog), tuple(channels or ()))
    if not key[0].startswith("memory:") and key in _cache:
        return _cache[key]
    out: dict[str, tuple[str, ...]] = {}
    for d in catalog.dimensions:
        if d.kind != "category":
            continue
        if d.name == "channel":
            names = list((channels or {"inbound": [], "outbound": [], "partner": []}).keys())
            out[d.name] = tuple([*names, "other"])
            continue
        m = _TABLE_FIELD.match(d.values or "")
        if m:
            sql = f'SELECT DISTINCT "{m.group(2)}" FROM "{m.group(1)}"'
        else:
            parts = []
            for rs in catalog.records:
                expr = rs.dimension_sql(d.name)
                if expr is None or "$" in expr:
                    continue
                joins = "".join(" " + j.strip() for j in joins_for(rs, [expr]))
                parts.append(f"SELECT DISTINCT {expr} AS v FROM {rs.source.strip()} AS r{joins}")
            if not parts:
                out[d.name] = d.order
                continue
            sql = " UNION ".join(parts)
        rows = cursor.execute(sql).fetchall()
        vals = {str(r[0]).strip() for r in rows if r[0] is not None and str(r[0]).strip()}
        vals |= set(d.order)  # stages, attempts: known even before the data has them
        out[d.name] = tuple(sorted(vals, key=lambda v: (v.casefold(), v)))
    with _lock:
        _cache[key] = out
    return out
