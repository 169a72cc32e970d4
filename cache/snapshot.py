"""Immutable snapshots of the cache, published atomically.

DuckDB lets one process write a file at a time, and a read-only open fails while another
process holds it for writing. kpibot therefore never writes the file that readers use:

* ``database`` (``data/kpibot.duckdb``) is a symbolic link to the current snapshot, a complete,
  checkpointed DuckDB file in ``data/kpibot.duckdb.d/``;
* a writer (``load``, ``demo``, ``sync``, ``import``) takes the writer lock, copies the current
  snapshot to a new file (or starts empty), changes it, checkpoints it, with ``engine: spark``
  writes it as Parquet and swaps the lake's pointer (cache/lake.py), closes it, then swaps the
  link with one ``rename(2)``: readers see the old state or the new one, never half of one;
* readers (``ask``, ``serve``) open the link's target read-only and, before each question, check
  with one ``readlink`` whether it moved; if so they open the new snapshot. An old snapshot stays
  readable for as long as a reader has it open, even after it is removed.

A failed writer leaves only a stray file in the snapshot folder, which the next writer removes;
the link, and so the data every reader sees, is untouched. So does a killed one: its pending
snapshot, its scratch folder (an unpacked export) and DuckDB's spill folder are all named
``pending-*`` and removed by the next writer, which holds the lock and so knows they are stale.

Snapshots and the snapshot folder are owner-only (0600 / 0700): they hold every record.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from cache import derived, owner_keys, schema
from cache.connection import connect
from cache.lake import LakeTarget
from cache.lake import publish as lake_publish
from cache.private_files import FILE_MODE, private_dir, private_file

KEEP_SNAPSHOTS = 3  # the current one and two before it, for readers still on them
PENDING_PREFIX = "pending-"


class CacheMissing(Exception):
    """There is no published snapshot yet (run `kpibot demo`, `load` or `sync`)."""


class WriterBusy(Exception):
    """Another process is writing the cache."""


def snapshot_dir(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".d")


def sidecar(snapshot: Path, name: str) -> Path | None:
    """Where to keep something worked out from a published snapshot (``<snapshot>.<name>``,
    removed with it), or None when ``snapshot`` is not one: a plain DuckDB file, or a pending
    one, can still change, so nothing read from it may be kept."""
    snapshot = Path(snapshot)
    if not snapshot.parent.name.endswith(".d") or snapshot.name.startswith(PENDING_PREFIX):
        return None
    return snapshot.with_name(f"{snapshot.name}.{name}")


def current_target(db_path: Path) -> Path | None:
    """The snapshot file the link points to, or the file itself when it is a plain file."""
    try:
        if db_path.is_symlink():
            target = Path(os.readlink(db_path))
            return target if target.is_absolute() else db_path.parent / target
    except FileNotFoundError:
        return None
    return db_path if db_path.exists() else None


@contextlib.contextmanager
def writer_lock(db_path: Path, *, wait: float = 600.0) -> Iterator[None]:
    """Serialise writers. Waits up to ``wait`` seconds, then raises WriterBusy."""
    private_dir(db_path.parent)
    lock_path = db_path.with_name(db_path.name + ".lock")
    private_file(lock_path)
    with open(lock_path, "a+") as fh:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WriterBusy(f"another kpibot process is writing {db_path}") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class SnapshotWriter:
    """Build the next snapshot aside, then publish it.

    >>> with open_writer(Path("data/kpibot.duckdb"), source="demo") as w:  # doctest: +SKIP
    ...     w.con.execute("INSERT INTO Lead ...")

    Leaving the block normally publishes; an exception discards the new file and re-raises.
    """

    def __init__(self, db_path: Path, con: duckdb.DuckDBPyConnection, path: Path, source: str):
        self.db_path = db_path
        self.con = con
        self.path = path
        self.source = source

    def scratch(self, name: str) -> Path:
        """A fresh owner-only folder for this writer's temporary files (an unpacked export).
        It is removed with the pending snapshot: when the writer ends, or, if this process is
        killed, by the next writer."""
        d = self.path.with_name(f"{self.path.stem}-{name}")
        private_dir(d, own=True)
        return d

    def mark_refreshed(
        self,
        obj: str,
        *,
        source: str | None = None,
        refreshed_at: datetime | None = None,
        watermark: datetime | None = None,
    ) -> None:
        """Record that ``obj`` was refreshed now (row count taken from its table)."""
        (count,) = self.con.execute(f'SELECT count(*) FROM "{obj}"').fetchone()  # type: ignore[misc]
        self.con.execute(
            f"INSERT OR REPLACE INTO {schema.META_OBJECTS} VALUES (?, ?, ?, ?, ?)",
            [obj, source or self.source, refreshed_at or datetime.now(UTC), count, watermark],
        )


@contextlib.contextmanager
def open_writer(
    db_path: Path,
    *,
    source: str,
    fresh: bool = False,
    wait: float = 600.0,
    tz: str | None = None,
    lake: LakeTarget | None = None,
) -> Iterator[SnapshotWriter]:
    """Open the next snapshot for writing: a copy of the current one, or empty when ``fresh``.
    ``tz``: the org's time zone, for the derived tables of days (cache/derived.py).
    ``lake``: also publish the snapshot as Parquet there (``engine: spark``, cache/lake.py),
    before the link moves; if that fails (LakeWriteFailed) nothing is published.

    An empty snapshot has every table of ``schema.OBJECTS`` created. "Empty" is about the
    Salesforce tables only: a fresh snapshot carries over, from the current one, the tables other
    sources own (``schema.SOURCE_TABLES``) with their bookkeeping rows, so a Data Export or the
    demo never wipes an imported marketing spend or quota.
    """
    db_path = Path(db_path)
    with writer_lock(db_path, wait=wait):
        sdir = snapshot_dir(db_path)
        private_dir(sdir, own=True)
        _remove_pending(sdir)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        pending = sdir / f"{PENDING_PREFIX}{stamp}-{uuid.uuid4().hex[:8]}.duckdb"
        current = current_target(db_path)
        if current is not None and not fresh:
            shutil.copyfile(current, pending)
        con = connect(pending)
        os.chmod(pending, FILE_MODE)
        try:
            if current is None or fresh:
                schema.create_all(con)
                if current is not None:
                    _carry_over(con, current)
            else:
                for ddl in schema.META_DDL:
                    con.execute(ddl)
                for table in schema.SOURCE_TABLES:  # a snapshot made before sources existed
                    con.execute(table.ddl(if_not_exists=True))
            writer = SnapshotWriter(db_path, con, pending, source)
            yield writer
            derived.bring_up_to_date(con, fresh=current is None or fresh, tz=tz)
            owner_keys.apply(con)  # after the derived tables: they are keyed too
            _finish(con, source)
            final = sdir / pending.name.removeprefix(PENDING_PREFIX)
            if lake is not None:
                lake_publish(con, final.stem, lake, staging=writer.scratch("lake"))
            con.close()
        except BaseException:
            con.close()
            _remove_pending(sdir)
            raise
        _remove_pending(sdir, keep=pending)
        os.replace(pending, final)
        _publish(db_path, final)
        _collect_garbage(sdir, keep=final)


def add_missing_derived(
    db_path: Path, *, tz: str | None = None, lake: LakeTarget | None = None
) -> bool:
    """A snapshot published by an older kpibot lacks derived tables this one reads (a new
    kpibot's questions would fail on it until the next sync or load) or the owner keys of
    row-level access (cache/owner_keys.py; without them scopes filter on the owner list):
    publish it again with them, its data unchanged. Skipped while another process writes (its
    publication brings them). True when a snapshot was published."""
    db_path = Path(db_path)
    current = current_target(db_path)
    if current is None:
        return False
    con = connect(current, read_only=True)
    try:
        published = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [schema.META_SNAPSHOT]
        ).fetchone()
        if not (published and published[0]) or not (
            derived.missing(con) or not owner_keys.present(con)
        ):
            return False  # not a snapshot kpibot published, or one with every table and key
        row = con.execute(f"SELECT source FROM {schema.META_SNAPSHOT}").fetchone()
    finally:
        con.close()
    try:
        with open_writer(
            db_path, source=str(row[0]) if row else "upgrade", wait=0, tz=tz, lake=lake
        ):
            pass  # bring_up_to_date and owner_keys.apply add what is missing at publication
    # busy, not ours to write, or a snapshot the derived tables cannot be built on: the
    # questions say what is wrong, and the next writer brings them
    except (WriterBusy, OSError, duckdb.Error):
        return False
    return True


def _carry_over(con: duckdb.DuckDBPyConnection, current: Path) -> None:
    """Copy the tables sources other than Salesforce own, and their bookkeeping rows, from the
    current snapshot into a fresh one (tables it lacks, from an older kpibot, stay empty)."""
    con.execute(f"ATTACH '{current}' AS prior (READ_ONLY)")
    try:
        have = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'prior'"
            ).fetchall()
        }
        for table in schema.SOURCE_TABLES:
            if table.name not in have:
                continue
            cols = ", ".join(f'"{f}"' for f in table.field_names)
            con.execute(
                f'INSERT INTO "{table.name}" ({cols}) SELECT {cols} FROM prior."{table.name}"'
            )
            con.execute(
                f"INSERT INTO {schema.META_OBJECTS} SELECT * FROM prior.{schema.META_OBJECTS} "
                "WHERE object = ?",
                [table.name],
            )
    finally:
        con.execute("DETACH prior")


def _finish(con: duckdb.DuckDBPyConnection, source: str) -> None:
    now = datetime.now(UTC)
    # The snapshot's "data as of" is its Salesforce data's; each source keeps its own date.
    sf_tables = [o.name for o in schema.owned_by(schema.SALESFORCE)]
    row = con.execute(
        f"SELECT min(refreshed_at) FROM {schema.META_OBJECTS} WHERE list_contains(?, object)",
        [sf_tables],
    ).fetchone()
    as_of = row[0] if row and row[0] is not None else now
    con.execute(f"DELETE FROM {schema.META_SNAPSHOT}")
    con.execute(f"INSERT INTO {schema.META_SNAPSHOT} VALUES (?, ?, ?)", [now, source, as_of])
    con.execute("CHECKPOINT")


def _publish(db_path: Path, final: Path) -> None:
    if db_path.exists() and not db_path.is_symlink():
        # A plain DuckDB file from elsewhere: keep it as the first snapshot.
        os.replace(db_path, snapshot_dir(db_path) / f"imported-{uuid.uuid4().hex[:8]}.duckdb")
    tmp_link = db_path.with_name(f".{db_path.name}.{uuid.uuid4().hex[:8]}.link")
    os.symlink(os.path.relpath(final, db_path.parent), tmp_link)
    os.replace(tmp_link, db_path)
    # Make the rename durable before anyone is told the load succeeded.
    fd = os.open(db_path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_pending(sdir: Path, keep: Path | None = None) -> None:
    """Remove what writers left (call with the writer lock held): files and folders alike."""
    for p in sdir.glob(f"{PENDING_PREFIX}*"):
        if p == keep:
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def _collect_garbage(sdir: Path, *, keep: Path) -> None:
    snaps = sorted(
        (p for p in sdir.glob("*.duckdb") if not p.name.startswith(PENDING_PREFIX)),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in snaps[KEEP_SNAPSHOTS:]:
        if old != keep:
            old.unlink(missing_ok=True)
            for kept in sdir.glob(glob.escape(old.name) + ".*"):  # its .wal, its sidecars
                kept.unlink(missing_ok=True)


class SnapshotReader:
    """A read-only view of the latest published snapshot, reopened when a new one appears.

    Thread-safe: ``cursor()`` hands each caller its own cursor on the shared connection.
    """

    def __init__(self, db_path: Path):
        self.db_path = Path(db_path)
        self._lock = threading.Lock()
        self._target: Path | None = None
        self._con: duckdb.DuckDBPyConnection | None = None

    def _refresh(self) -> duckdb.DuckDBPyConnection:
        target = current_target(self.db_path)
        if target is None:
            raise CacheMissing(str(self.db_path))
        with self._lock:
            if self._con is None or target != self._target:
                # The old connection is dropped, not closed: cursors that other threads took
                # from it finish their query, and it closes when the last one goes.
                self._con = connect(target, read_only=True)
                self._target = target
            return self._con

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self._refresh().cursor()

    @property
    def target(self) -> Path | None:
        return self._target

    def data_as_of(self) -> datetime | None:
        cur = self.cursor()
        row = cur.execute(f"SELECT data_as_of FROM {schema.META_SNAPSHOT} LIMIT 1").fetchone()
        return row[0] if row else None

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
            self._con = None
            self._target = None
