"""The values stored in the cache for each category dimension, for the grammar's fuzzy matching.

Rep names come from User.Name (a ``values: Table.Field`` entry), channels from app.yaml plus
"other"; every other dimension from the distinct values of its SQL over the record sets that
have it, plus its catalog ``order`` (stages, attempts). Cached per snapshot file.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from cache.private_files import write_private
from cache.snapshot import sidecar
from metrics import snapshot_keys
from metrics.catalog import USER_SCOPE, Catalog
from metrics.record_sql import join_texts
from metrics.scope import EVERYONE, Scope

_cache: dict[
    tuple[str, int, tuple[str, ...], tuple[str, ...] | None], dict[str, tuple[str, ...]]
] = {}
_lock = threading.Lock()
# A generated dimension with more distinct values than this offers none for matching.
MAX_FIELD_VALUES = 200
_TABLE_FIELD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$")
_CODE = Path(__file__).read_bytes()  # part of a kept file's name: new code, new file


def _snapshot_key(cursor: Any) -> str:
    try:
        row = cursor.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchone()
        return str(row[0]) if row and row[0] else f"memory:{id(cursor)}"
    except duckdb.Error:
        return f"memory:{id(cursor)}"


def _text(v: object) -> str:
    """A stored value as matched: a checkbox's as "true" / "false" (SQL's own spelling)."""
    return ("true" if v else "false") if isinstance(v, bool) else str(v).strip()


def load_values(
    cursor: Any,
    catalog: Catalog,
    channels: dict[str, list[str]] | None = None,
    scope: Scope = EVERYONE,
) -> dict[str, tuple[str, ...]]:
    """``{"rep": ("Alice Wang", …), "lead source": (…), …}``: distinct non-empty values, sorted.
    Under row-level access only the values of records (and users) ``scope`` may see: a name is
    data, so suggestions and did-you-mean never offer what the asker may not read.

    Read once per snapshot and process, and kept beside a published snapshot (a sidecar file,
    cache.snapshot.sidecar) for the next process: at 10M Tasks the queries take seconds, which
    every `kpibot ask` and every bot replica's start would pay. A restricted scope's values are
    not kept on disk (one file per asker), only in memory."""
    # The channel names are app.yaml's, not the snapshot's: part of the key.
    key = (_snapshot_key(cursor), id(catalog), tuple(channels or ()), scope.owners)
    if not key[0].startswith("memory:") and key in _cache:
        return _cache[key]
    catalog = snapshot_keys.fit(catalog, cursor, key[0])  # relations that run on it
    plan = _plan(catalog, channels, scope)
    kept = None if scope.restricted or key[0].startswith("memory:") else _kept_at(key[0], plan)
    out = _read_kept(kept) if kept is not None else None
    if out is None:
        out = {d: _run(cursor, step) for d, step in plan.items()}
        if kept is not None:
            _keep(kept, out)
    with _lock:
        if len(_cache) > 500:  # one entry per snapshot × scope asked about
            _cache.clear()
        _cache[key] = out
    return out


@dataclass(frozen=True)
class _Step:
    """How one dimension's values are found: fixed ones, or a query plus the fixed ones."""

    fixed: tuple[str, ...]
    sql: str | None = None
    bound: dict[str, Any] | None = None
    generated: bool = False  # a field's values (field search): none when too many


def _plan(
    catalog: Catalog, channels: dict[str, list[str]] | None, scope: Scope
) -> dict[str, _Step]:
    out: dict[str, _Step] = {}
    for d in catalog.dimensions:
        if d.kind != "category":
            continue
        if d.name == "channel":
            names = list((channels or {"inbound": [], "outbound": [], "partner": []}).keys())
            out[d.name] = _Step(tuple([*names, "other"]))
            continue
        m = _TABLE_FIELD.match(d.values or "")
        if m:
            sql = f'SELECT DISTINCT "{m.group(2)}" FROM "{m.group(1)}" AS r' + (
                f" WHERE {USER_SCOPE}" if scope.restricted else ""
            )
        else:
            parts = []
            for rs in catalog.records:
                expr = rs.dimension_sql(d.name)
                if expr is None or "$" in expr or rs.rollup is not None:
                    continue  # (a rollup has the values of the records it counts)
                joins = "".join(" " + j.strip() for j in join_texts(rs, [expr]))
                if scope.restricted and rs.scope is None:
                    continue  # records without an owner (docs/access.md): offer none of them
                where = f" WHERE {rs.scope}" if scope.restricted else ""
                source = f"{rs.source.strip()} AS r{joins}{where}"
                parts.append(f"SELECT DISTINCT {expr} AS v FROM {source}")
            if not parts:
                out[d.name] = _Step(d.order)
                continue
            sql = " UNION ".join(parts)
        bound = {"scope_owners": list(scope.owners or ())} if "$scope_owners" in sql else None
        generated = bool(d.sql.get("generated"))
        if generated and not d.sql.get("match_values", True):
            continue  # a record's name (field search): grouped by, not a filter word
        if generated:  # a field's values (field search): only a list a person could pick from
            sql = f"SELECT v FROM ({sql}) AS x(v) LIMIT {MAX_FIELD_VALUES + 1}"
        out[d.name] = _Step(d.order, sql, bound, generated)
    return out


def _run(cursor: Any, step: _Step) -> tuple[str, ...]:
    if step.sql is None:
        return step.fixed
    rows = cursor.execute(step.sql, step.bound).fetchall()
    if step.generated and len(rows) > MAX_FIELD_VALUES:
        rows = []  # names, subjects: grouped by, not matched as filter values
    vals = {_text(r[0]) for r in rows if r[0] is not None and _text(r[0])}
    vals |= set(step.fixed)  # stages, attempts: known even before the data has them
    return tuple(sorted(vals, key=lambda v: (v.casefold(), v)))


def _kept_at(snapshot: str, plan: dict[str, _Step]) -> Path | None:
    """The sidecar of these values: named by what decides them (the queries, the fixed values
    and this module's code), so another catalog or kpibot version gets its own."""
    h = hashlib.sha256(_CODE)
    h.update(repr(sorted(plan.items())).encode())
    return sidecar(Path(snapshot), f"values-{h.hexdigest()[:16]}.json")


def _read_kept(path: Path) -> dict[str, tuple[str, ...]] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(d): tuple(str(v) for v in vals) for d, vals in data.items()}
    except (OSError, ValueError, AttributeError, TypeError):
        return None  # not there yet, or unreadable: worked out again (and written anew)


def _keep(path: Path, values: dict[str, tuple[str, ...]]) -> None:
    """Write ``values`` beside the snapshot (a folder this process may not write to only costs
    the next process the queries)."""
    write_private(path, json.dumps(values, ensure_ascii=False))
