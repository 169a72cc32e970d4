"""Each published snapshot written as Parquet, for an engine that reads a lake (Spark).

Layout under ``data`` (a folder, or an ``s3a://bucket/prefix`` URI)::

    <data>/snapshots/<snapshot name>/<table>/data.parquet    one folder per table
    <data>/CURRENT                                           the snapshot readers use

The snapshot writer (cache.snapshot.open_writer) calls ``publish`` with the pending snapshot's
connection *before* it swaps the cache's link, so a publish is all or nothing across both: the
snapshot's folder is written completely (on a file system under a hidden name renamed in one
step; on S3 uploaded from a local staging folder), then ``CURRENT`` is replaced in one step (a
rename on a file system; one PUT, atomic per object, on S3). A write that fails midway raises
LakeWriteFailed after removing what it wrote: ``CURRENT``, the cache's link and so every answer
stay on the previous snapshot.

Folders are named after the DuckDB snapshot file they copy, so a reader on a DuckDB snapshot
finds its Parquet by name (metrics.spark). After each publish only ``KEEP`` folders stay: the
new one and the one ``CURRENT`` named before it (a reader still on that one finishes its
question; it moves to the new one at its next). Anything else — older snapshots, a folder a
killed writer left — is removed.

Parquet is written by DuckDB (``COPY … (FORMAT PARQUET)``) and moved to S3 with pyarrow's
S3FileSystem (endpoint, path-style addressing and region from ``LakeTarget``; credentials from
the AWS SDK's default chain: environment, profile, instance role).

>>> publish(con, "20240627T…", LakeTarget("/mnt/lake/kpibot"), Path("staging"))  # doctest: +SKIP
LakeSnapshot(root='/mnt/lake/kpibot/snapshots/20240627T…', tables=('Account', …))
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb

POINTER = "CURRENT"
KEEP = 2  # the snapshot CURRENT names and the one before it, for readers still on it
_PENDING = ".pending-"  # a local folder being written; renamed when complete


class LakeWriteFailed(Exception):
    """The Parquet copy could not be written; nothing was published."""


@dataclass(frozen=True)
class LakeTarget:
    """Where and how the Parquet copy is written (app.yaml ``spark.data`` and ``spark.s3``)."""

    data: str  # a folder, or s3a://bucket/prefix
    endpoint: str | None = None  # an S3-compatible endpoint (MinIO, Ceph…); None: AWS
    path_style: bool = False  # bucket in the path, not the host name (most non-AWS stores)
    region: str | None = None

    @property
    def remote(self) -> bool:
        return "://" in self.data


@dataclass(frozen=True)
class LakeSnapshot:
    root: str  # the snapshot's folder, as Spark reads it; each table is <root>/<table>
    tables: tuple[str, ...]

    def table_path(self, table: str) -> str:
        return f"{self.root}/{table}"


def lake_snapshot(target: LakeTarget, name: str, tables: tuple[str, ...]) -> LakeSnapshot:
    return LakeSnapshot(f"{target.data.rstrip('/')}/snapshots/{name}", tables)


def _filesystem(target: LakeTarget) -> tuple[Any, str]:
    """pyarrow's file system for ``target`` and the path of ``data`` on it."""
    from pyarrow import fs

    if not target.remote:
        return fs.LocalFileSystem(), str(Path(target.data).resolve())
    uri = urlsplit(target.data)
    if uri.scheme not in ("s3a", "s3"):
        raise LakeWriteFailed(f"{target.data}: kpibot writes Parquet to a folder or s3a:// only")
    opts: dict[str, Any] = {"region": target.region} if target.region else {}
    if target.endpoint:
        ep = urlsplit(target.endpoint if "://" in target.endpoint else f"https://{target.endpoint}")
        opts |= {"endpoint_override": ep.netloc, "scheme": ep.scheme or "https"}
    opts["force_virtual_addressing"] = not target.path_style and target.endpoint is not None
    return fs.S3FileSystem(**opts), f"{uri.netloc}{uri.path}".rstrip("/")


def tables_of(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "ORDER BY table_name"
    ).fetchall()
    return tuple(str(r[0]) for r in rows)


def _copy_table(con: duckdb.DuckDBPyConnection, table: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    out = str(folder / "data.parquet").replace("'", "''")
    con.execute(f"COPY (SELECT * FROM \"{table}\") TO '{out}' (FORMAT PARQUET)")


def read_pointer(target: LakeTarget) -> str | None:
    """The snapshot name ``CURRENT`` holds, or None before the first publish."""
    from pyarrow import fs

    filesystem, base = _filesystem(target)
    if filesystem.get_file_info(f"{base}/{POINTER}").type != fs.FileType.File:
        return None
    with filesystem.open_input_stream(f"{base}/{POINTER}") as f:
        return f.read().decode("utf-8").strip() or None


def has_snapshot(target: LakeTarget, name: str) -> bool:
    from pyarrow import fs

    filesystem, base = _filesystem(target)
    info = filesystem.get_file_info(f"{base}/snapshots/{name}")
    return bool(info.type == fs.FileType.Directory)


def _write_pointer(filesystem: Any, base: str, name: str, *, local: bool) -> None:
    if not local:
        with filesystem.open_output_stream(f"{base}/{POINTER}") as f:  # one PUT
            f.write((name + "\n").encode("utf-8"))
        return
    tmp = Path(base) / f".{POINTER}.{uuid.uuid4().hex[:8]}"
    tmp.write_text(name + "\n", encoding="utf-8")
    os.replace(tmp, Path(base) / POINTER)
    fd = os.open(base, os.O_RDONLY)
    try:
        os.fsync(fd)  # the rename is durable before the cache's link moves
    finally:
        os.close(fd)


def _write_folder(
    con: duckdb.DuckDBPyConnection,
    tables: tuple[str, ...],
    filesystem: Any,
    folder: str,
    staging: Path,
    *,
    local: bool,
) -> None:
    """Every table under ``folder``, complete or not at all."""
    from pyarrow import fs

    stage = Path(folder).with_name(_PENDING + Path(folder).name) if local else staging
    shutil.rmtree(stage, ignore_errors=True)
    try:
        for t in tables:
            _copy_table(con, t, stage / t)
        if local:
            os.replace(stage, folder)
        else:
            fs.copy_files(str(stage), folder, destination_filesystem=filesystem)
    except BaseException:
        if not local:
            _delete_quietly(filesystem, folder)
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def publish(
    con: duckdb.DuckDBPyConnection, name: str, target: LakeTarget, staging: Path
) -> LakeSnapshot:
    """Write the snapshot open on ``con`` as Parquet folder ``name``, point ``CURRENT`` at it,
    then keep only KEEP folders. ``staging``: a local scratch folder (used for S3 uploads).
    Raises LakeWriteFailed, with nothing of this snapshot left behind and ``CURRENT`` as it was.
    """
    tables = tables_of(con)
    out = lake_snapshot(target, name, tables)
    try:
        filesystem, base = _filesystem(target)
        local = not target.remote
        if local:
            Path(base, "snapshots").mkdir(parents=True, exist_ok=True)
        previous = read_pointer(target)
        _write_folder(con, tables, filesystem, f"{base}/snapshots/{name}", staging, local=local)
        try:
            _write_pointer(filesystem, base, name, local=local)
        except BaseException:
            _delete_quietly(filesystem, f"{base}/snapshots/{name}")
            raise
    except (OSError, duckdb.Error) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise LakeWriteFailed(
            f"the Parquet copy for Spark could not be written to {target.data}: {first}"
        ) from e
    kept = [name] if previous is None or previous == name else [name, previous]
    collect_garbage(target, keep=set(kept[:KEEP]))
    return out


def _delete_quietly(filesystem: Any, path: str) -> None:
    try:
        filesystem.delete_dir(path)
    except (OSError, FileNotFoundError):
        pass


def collect_garbage(target: LakeTarget, *, keep: set[str]) -> None:
    """Remove every snapshot folder but ``keep`` (best effort: a failure waits for the next)."""
    from pyarrow import fs

    filesystem, base = _filesystem(target)
    try:
        infos = filesystem.get_file_info(fs.FileSelector(f"{base}/snapshots", allow_not_found=True))
    except OSError:
        return
    for info in infos:
        if info.type == fs.FileType.Directory and info.base_name not in keep:
            _delete_quietly(filesystem, info.path)
