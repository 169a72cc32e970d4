"""Each published snapshot written as Parquet, for an engine that reads a lake (Spark).

Layout under ``data`` (a folder, or an ``s3a://`` URI Spark reads and DuckDB writes as
``s3://`` through its httpfs extension)::

    <data>/snapshots/<snapshot name>/<table>/data.parquet    one folder per table
    <data>/CURRENT                                           the snapshot readers use

A snapshot's folder is written completely before ``CURRENT`` names it, and ``CURRENT`` is
replaced in one step (a rename on a file system; one PUT, atomic per object, on S3), so a reader
sees the old snapshot or the new one, never half of one. The folder is named after the DuckDB
snapshot file it was copied from: each published snapshot is exported once, and a reader that
finds ``CURRENT`` already naming the current DuckDB snapshot has nothing to do.

>>> export_current(Path("data/kpibot.duckdb"), "/mnt/lake/kpibot")  # doctest: +SKIP
LakeSnapshot(root='/mnt/lake/kpibot/snapshots/20240627T…', tables=('Account', …))
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from cache.connection import connect
from cache.snapshot import CacheMissing, current_target, writer_lock

POINTER = "CURRENT"
KEEP = 3  # snapshot folders kept for readers still on them


@dataclass(frozen=True)
class LakeSnapshot:
    root: str  # the snapshot's folder; each table is <root>/<table>
    tables: tuple[str, ...]

    def table_path(self, table: str) -> str:
        return f"{self.root}/{table}"


def _is_remote(data: str) -> bool:
    return "://" in data


def _duck_uri(uri: str) -> str:
    """DuckDB's httpfs names S3 ``s3://``; Spark's Hadoop connector ``s3a://``."""
    return "s3://" + uri.removeprefix("s3a://") if uri.startswith("s3a://") else uri


def read_pointer(data: str) -> str | None:
    """The snapshot name ``CURRENT`` holds, or None before the first export."""
    if _is_remote(data):
        con = connect()
        try:
            row = con.execute(
                "SELECT * FROM read_csv(?, header = false, columns = {'name': 'VARCHAR'})",
                [_duck_uri(f"{data}/{POINTER}")],
            ).fetchone()
        except Exception:  # noqa: BLE001 — no pointer yet (or unreadable): export again
            return None
        finally:
            con.close()
        return str(row[0]) if row else None
    try:
        return (Path(data) / POINTER).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def _write_pointer(data: str, name: str) -> None:
    if _is_remote(data):
        con = connect()
        try:
            con.execute(
                f"COPY (SELECT ? AS name) TO '{_duck_uri(f'{data}/{POINTER}')}' "
                "(FORMAT CSV, HEADER false)",
                [name],
            )
        finally:
            con.close()
        return
    tmp = Path(data) / f".{POINTER}.{uuid.uuid4().hex[:8]}"
    tmp.write_text(name + "\n", encoding="utf-8")
    os.replace(tmp, Path(data) / POINTER)


def _tables(snapshot: Path) -> tuple[str, ...]:
    con = connect(snapshot, read_only=True)
    try:
        rows = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "ORDER BY table_name"
        ).fetchall()
    finally:
        con.close()
    return tuple(str(r[0]) for r in rows)


def lake_snapshot(data: str, name: str, snapshot: Path) -> LakeSnapshot:
    return LakeSnapshot(f"{data.rstrip('/')}/snapshots/{name}", _tables(snapshot))


def export_snapshot(snapshot: Path, data: str) -> LakeSnapshot:
    """Write every table of the DuckDB ``snapshot`` as Parquet, then point ``CURRENT`` at it."""
    name = snapshot.stem
    out = lake_snapshot(data, name, snapshot)
    if not _is_remote(data):
        Path(out.root).mkdir(parents=True, exist_ok=True)
    con = connect(snapshot, read_only=True)
    try:
        if _is_remote(data):
            con.execute("INSTALL httpfs; LOAD httpfs")
        for t in out.tables:
            folder = _duck_uri(out.table_path(t))
            if not _is_remote(data):
                Path(folder).mkdir(parents=True, exist_ok=True)
            con.execute(f"COPY (SELECT * FROM \"{t}\") TO '{folder}/data.parquet' (FORMAT PARQUET)")
    finally:
        con.close()
    _write_pointer(data, name)
    if not _is_remote(data):
        _collect_garbage(Path(data) / "snapshots", keep=name)
    return out


def export_current(db_path: Path, data: str) -> LakeSnapshot:
    """The Parquet copy of the cache's current snapshot, exported first if it is not yet.
    Exports are serialised with the cache's writer lock (one export per snapshot)."""
    target = current_target(db_path)
    if target is None:
        raise CacheMissing(str(db_path))
    if read_pointer(data) == target.stem:
        return lake_snapshot(data, target.stem, target)
    if not _is_remote(data):
        Path(data).mkdir(parents=True, exist_ok=True)
    with writer_lock(db_path):
        target = current_target(db_path) or target
        if read_pointer(data) == target.stem:
            return lake_snapshot(data, target.stem, target)
        return export_snapshot(target, data)


def _collect_garbage(folder: Path, *, keep: str) -> None:
    import shutil

    olds = sorted(
        (p for p in folder.iterdir() if p.is_dir() and p.name != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for p in olds[KEEP - 1 :]:
        shutil.rmtree(p, ignore_errors=True)
