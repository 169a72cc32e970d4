"""`kpibot import`: bring sources into the next cache snapshot, all or nothing.

For each source: read its rows (sources/read.py), convert every value to its table's type
(sources/values.py), check its key, link reps to Users and channels to app.yaml's channels, then
replace the rows this source brought last time. Every bad value is collected (up to a limit) and
reported with file, line and column; one bad row fails the whole import and the published
snapshot stays as it was. Link values that match nothing are kept and reported, never dropped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from cache import schema
from cache.lake import LakeTarget
from cache.snapshot import SnapshotWriter, open_writer
from metrics.settings import OrgSettings
from sources.config import SourceConfig
from sources.read import SourceError, read_rows
from sources.values import BadValue, convert

MAX_PROBLEMS = 20  # bad values listed before "… and N more"
EXAMPLES = 3  # unmatched link values shown per link


@dataclass(frozen=True)
class Unmatched:
    """Rows whose link value matches nothing in the org (kept, and reported)."""

    link: str  # "rep by email", "channel"
    rows: int
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Imported:
    name: str
    table: str
    rows: int
    unmatched: tuple[Unmatched, ...] = ()


@dataclass
class _Rows:
    values: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    bad: int = 0


def import_sources(
    db_path: Path,
    sources: list[SourceConfig],
    settings: OrgSettings,
    base_dir: Path,
    *,
    now: datetime | None = None,
    lake: LakeTarget | None = None,
) -> list[Imported]:
    """Import ``sources`` into one new snapshot (and its Parquet copy under ``lake``, with
    ``engine: spark``). Raises SourceError or LakeWriteFailed (nothing published)."""
    if not sources:
        raise SourceError("no sources are configured (app.yaml sources:, docs/sources.md)")
    rows = {s.name: _convert(s, base_dir) for s in sources}
    when = now or datetime.now(UTC)
    out: list[Imported] = []
    with open_writer(db_path, source="import", lake=lake) as w:
        for s in sources:
            unmatched = _link(w.con, s, rows[s.name].values, settings)
            _replace(w, s, rows[s.name].values, when)
            out.append(Imported(s.name, s.table, len(rows[s.name].values), tuple(unmatched)))
    return out


def _convert(src: SourceConfig, base_dir: Path) -> _Rows:
    table = schema.TABLE_BY_NAME[src.table]
    out = _Rows()
    seen: dict[tuple[Any, ...], str] = {}
    for raw in read_rows(src, base_dir):
        row: dict[str, Any] = {}
        for fname, column in src.columns.items():
            try:
                row[fname] = convert(table.field(fname), raw.values.get(column))
            except BadValue as e:
                out.bad += 1
                if len(out.problems) < MAX_PROBLEMS:
                    out.problems.append(f"{raw.origin}, column {column}: {e}")
        if src.key and len(row) == len(src.columns):
            # texts compare as links do: "Inbound" and "inbound" are one channel
            k = tuple(str(row[f]).lower() if isinstance(row[f], str) else row[f] for f in src.key)
            if k in seen:
                out.bad += 1
                if len(out.problems) < MAX_PROBLEMS:
                    out.problems.append(
                        f"{raw.origin}: the key ({', '.join(src.key)}) repeats {seen[k]}"
                    )
            seen.setdefault(k, raw.origin)
        out.values.append(row)
    if out.problems:
        more = out.bad - len(out.problems)
        lines = "\n  ".join(out.problems + ([f"… and {more} more"] if more > 0 else []))
        raise SourceError(
            f"source {src.name}: {out.bad} bad value(s), nothing imported:\n  {lines}"
        )
    _fill_periods(src, out.values)
    return out


_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def _fill_periods(src: SourceConfig, rows: list[dict[str, Any]]) -> None:
    """A quota without period_end covers the month, quarter or year its period_start starts."""
    if src.table != "quota" or "period_end" in src.columns:
        return
    step = _MONTHS[src.period]
    for r in rows:
        start: date = r["period_start"]
        months = start.year * 12 + start.month - 1 + step
        r["period_end"] = date.fromordinal(date(months // 12, months % 12 + 1, 1).toordinal() - 1)


def _link(
    con: duckdb.DuckDBPyConnection,
    src: SourceConfig,
    rows: list[dict[str, Any]],
    settings: OrgSettings,
) -> list[Unmatched]:
    """Resolve reps to User Ids and channels to app.yaml's names; report what matches nothing."""
    table = schema.TABLE_BY_NAME[src.table]
    out: list[Unmatched] = []
    if "rep_id" in table.field_names:
        column = {"id": "Id", "email": "Email", "name": "Name"}[src.rep]
        users = {
            str(k).strip().lower(): uid
            for k, uid in con.execute(
                f'SELECT "{column}", Id FROM "User" WHERE "{column}" IS NOT NULL'
            ).fetchall()
        }
        if src.rep == "id":  # 15- and 18-character ids name the same User
            users.update({k[:15]: v for k, v in list(users.items())})
        missing: Counter[str] = Counter()
        for r in rows:
            key = str(r["rep"]).strip().lower()
            r["rep_id"] = (
                users.get(key) or users.get(key[:15]) if src.rep == "id" else users.get(key)
            )
            if r["rep_id"] is None:
                missing[str(r["rep"])] += 1
        if missing:
            out.append(_unmatched(f"rep by {src.rep} (no such User)", missing))
    if "channel" in table.field_names:
        names = {c.strip().lower(): c for c in settings.channels} | {"other": "other"}
        missing = Counter()
        for r in rows:
            canonical = names.get(str(r["channel"]).strip().lower())
            if canonical is None:
                missing[str(r["channel"])] += 1
            else:
                r["channel"] = canonical
        if missing:
            out.append(_unmatched("channel (not in app.yaml channels:)", missing))
    return out


def _unmatched(link: str, missing: Counter[str]) -> Unmatched:
    return Unmatched(
        link, sum(missing.values()), tuple(v for v, _ in missing.most_common(EXAMPLES))
    )


def _replace(
    w: SnapshotWriter, src: SourceConfig, rows: list[dict[str, Any]], when: datetime
) -> None:
    table = schema.TABLE_BY_NAME[src.table]
    names = list(table.field_names)
    w.con.execute(f'DELETE FROM "{table.name}" WHERE source = ?', [src.name])
    data = [[r.get(n) if n != "source" else src.name for n in names] for r in rows]
    if data:
        cols = ", ".join(f'"{n}"' for n in names)
        marks = ", ".join("?" for _ in names)
        w.con.executemany(f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})', data)
    w.mark_refreshed(table.name, source=f"source:{src.name}", refreshed_at=when)
