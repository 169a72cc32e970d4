"""Staging fetched records and merging them into an object's table in one transaction.

Pages land as text in ``_kpibot_stage`` (REST JSON values and Bulk CSV cells alike), so a failed
or retried fetch just empties the stage. ``commit`` then, in a single DuckDB transaction, upserts
the latest version of every staged record by Id, deletes those Salesforce marks deleted, and
records the object's new watermark: records and watermark can never disagree.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from cache import derived, schema
from cache.snapshot import SnapshotWriter

STAGE = "_kpibot_stage"
LATEST = "_kpibot_stage_latest"  # the stage's latest version of each record, while merging
KEPT = "_kpibot_stage_kept"  # the unfetched columns of the records being replaced


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return format(v, "f") if abs(v) >= 1e15 else repr(v)  # DECIMAL casts reject 1e+16
    return str(v)


@dataclass(frozen=True)
class Columns:
    """Which Salesforce field fills each cache column (None: hidden from this user → NULL)."""

    obj: schema.SObject
    source: dict[str, str | None]  # cache column → Salesforce field
    has_is_deleted: bool

    @property
    def fetched(self) -> tuple[str, ...]:
        """Fields to SELECT, in a fixed order: mapped sources, then IsDeleted."""
        names: list[str] = []
        for col in self.obj.field_names:
            src = self.source[col]
            if src is not None and src not in names:
                names.append(src)
        if self.has_is_deleted and "IsDeleted" not in names:
            names.append("IsDeleted")
        return tuple(names)


@dataclass(frozen=True)
class Merged:
    upserted: int
    deleted: int
    max_cursor: datetime | None


class Stage:
    def __init__(self, con: duckdb.DuckDBPyConnection, cols: Columns):
        self.con = con
        self.cols = cols
        self.fields = cols.fetched

    def reset(self) -> None:
        body = ", ".join(f"{_q(f)} VARCHAR" for f in self.fields)
        self.con.execute(f"CREATE OR REPLACE TABLE {STAGE} ({body})")

    def drop(self) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {STAGE}")

    def add_records(self, records: list[dict[str, Any]]) -> int:
        """Stage one REST page (dicts as simple-salesforce returns them)."""
        if not records:
            return 0
        table = pa.table(
            {f: pa.array([_text(r.get(f)) for r in records], type=pa.string()) for f in self.fields}
        )
        self.con.register("_kpibot_page", table)
        try:
            self.con.execute(f"INSERT INTO {STAGE} SELECT * FROM _kpibot_page")
        finally:
            self.con.unregister("_kpibot_page")
        return len(records)

    def add_csv(self, text: str) -> int:
        """Stage one Bulk 2.0 result page (CSV with a header row; empty cells are nulls)."""
        fd, path = tempfile.mkstemp(suffix=".csv", prefix="kpibot-bulk-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            cols = ", ".join(_q(f) for f in self.fields)
            row = self.con.execute(
                # Columns are taken by header name, not position: Salesforce orders them by
                # the SELECT only from API 50 on.
                f"INSERT INTO {STAGE} SELECT {cols} FROM read_csv(?, header = true, "
                "all_varchar = true, quote = '\"', escape = '\"', delim = ',', "
                "strict_mode = false, parallel = false)",
                [path],
            ).fetchone()
            return int(row[0]) if row else 0
        finally:
            os.unlink(path)

    def staged(self) -> int:
        row = self.con.execute(f"SELECT count(*) FROM {STAGE}").fetchone()
        return int(row[0]) if row else 0

    def commit(
        self,
        writer: SnapshotWriter,
        *,
        replace_table: bool,
        previous_watermark: datetime | None,
        refreshed_at: datetime,
        source: str,
    ) -> Merged:
        """Merge the stage into the object's table and record the watermark, atomically."""
        obj = self.cols.obj
        cursor = self.cols.source.get(obj.watermark) or obj.watermark
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            if replace_table:
                # A first (or --full) load replaces whatever was there, e.g. demo data.
                con.execute(f"DROP TABLE IF EXISTS {_q(obj.table)}")
                con.execute(obj.ddl())
            derived.note_changes(
                con,
                obj.name,
                STAGE,
                self.cols.source.get("Id") or "Id",
                self.cols.source,
                replace=replace_table,
            )
            upserted, deleted = self._merge(self._latest(cursor), replace_table)
            watermark = self._watermark(cursor, previous_watermark)
            writer.mark_refreshed(
                obj.name, source=source, refreshed_at=refreshed_at, watermark=watermark
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return Merged(upserted, deleted, watermark)

    def _latest(self, cursor: str) -> str:
        """The stage's latest version of each record (by ``cursor``), flagged ``_deleted``."""
        deleted_flag = (
            f"coalesce(lower(NULLIF({_q('IsDeleted')}, '')) = 'true', false)"
            if self.cols.has_is_deleted
            else "false"
        )
        return (
            f"SELECT *, {deleted_flag} AS _deleted FROM {STAGE} "
            f"QUALIFY row_number() OVER (PARTITION BY {_q('Id')} "
            f"ORDER BY CAST(NULLIF({_q(cursor)}, '') AS TIMESTAMPTZ) DESC NULLS LAST) = 1"
        )

    def _merge(self, latest: str, replace_table: bool) -> tuple[int, int]:
        """Replace by Id the records of ``latest`` and delete the deleted ones: (upserted,
        deleted). The table has no key index (cache/schema.py), so a record is replaced by a
        delete and an insert; columns this sync does not fetch (an export's extra field) keep
        their stored values, as they would under an update."""
        obj = self.cols.obj
        table = _q(obj.table)
        con = self.con
        con.execute(f"CREATE OR REPLACE TEMP TABLE {LATEST} AS {latest}")
        ids = f"SELECT NULLIF({_q('Id')}, '') FROM {LATEST}"
        kept = [] if replace_table else self._unfetched_columns()
        if kept:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {KEPT} AS SELECT {_q('Id')}, "
                f"{', '.join(_q(c) for c in kept)} FROM {table} "
                f"WHERE {_q('Id')} IN ({ids} WHERE NOT _deleted)"
            )
        deleted = 0
        if not replace_table and self.cols.has_is_deleted:
            row = con.execute(
                f"DELETE FROM {table} WHERE {_q('Id')} IN ({ids} WHERE _deleted)"
            ).fetchone()
            deleted = int(row[0]) if row else 0
        if not replace_table:
            con.execute(f"DELETE FROM {table} WHERE {_q('Id')} IN ({ids} WHERE NOT _deleted)")
        exprs = [
            f"CAST(NULL AS {f.type})"
            if self.cols.source[f.name] is None
            else f"CAST(NULLIF(s.{_q(self.cols.source[f.name] or '')}, '') AS {f.type})"
            for f in obj.fields
        ]
        names = [*obj.field_names, *kept]
        join = ""
        if kept:
            exprs += [f"k.{_q(c)}" for c in kept]
            join = f" LEFT JOIN {KEPT} AS k ON k.{_q('Id')} = NULLIF(s.{_q('Id')}, '')"
        row = con.execute(
            f"INSERT INTO {table} ({', '.join(_q(n) for n in names)}) "
            f"SELECT {', '.join(exprs)} FROM {LATEST} AS s{join} WHERE NOT s._deleted"
        ).fetchone()
        upserted = int(row[0]) if row else 0
        con.execute(f"DROP TABLE {LATEST}")
        con.execute(f"DROP TABLE IF EXISTS {KEPT}")
        return upserted, deleted

    def _unfetched_columns(self) -> list[str]:
        """The table's columns this sync does not write (kept as stored on a replaced record)."""
        fetched = {n.lower() for n in self.cols.obj.field_names}
        rows = self.con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
            "AND schema_name = 'main' AND database_name = current_database() "
            "ORDER BY column_index",
            [self.cols.obj.table],
        ).fetchall()
        return [r[0] for r in rows if r[0].lower() not in fetched]

    def _watermark(self, cursor: str, previous: datetime | None) -> datetime | None:
        """The newest ``cursor`` time staged, or ``previous`` when that is later."""
        row = self.con.execute(
            f"SELECT max(CAST(NULLIF({_q(cursor)}, '') AS TIMESTAMPTZ)) FROM {STAGE}"
        ).fetchone()
        seen = row[0] if row else None
        seen = seen.astimezone(UTC) if seen is not None else None
        candidates = [t for t in (previous, seen) if t is not None]
        return max(candidates) if candidates else None
