"""cache/snapshot.py on real files: atomic publish, failed writers, garbage, the lock."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import duckdb
import pytest

from cache import snapshot
from cache.snapshot import (
    CacheMissing,
    SnapshotReader,
    WriterBusy,
    current_target,
    open_writer,
    snapshot_dir,
    writer_lock,
)


def write(db: Path, n: int, source: str = "test") -> None:
    with open_writer(db, source=source, fresh=True) as w:
        w.con.execute(
            'INSERT INTO "User" (Id, Name, CreatedDate) '
            "SELECT 'U' || i, 'rep ' || i, TIMESTAMPTZ '2024-01-01 00:00:00+00' FROM range(?) r(i)",
            [n],
        )
        w.mark_refreshed("User")


def count(reader: SnapshotReader) -> int:
    return int(reader.cursor().execute('SELECT count(*) FROM "User"').fetchone()[0])  # type: ignore[index]


def test_reader_before_any_snapshot(tmp_path: Path) -> None:
    with pytest.raises(CacheMissing):
        SnapshotReader(tmp_path / "k.duckdb").cursor()


def test_publish_and_reader_follows(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    write(db, 3)
    assert db.is_symlink()
    reader = SnapshotReader(db)
    old_cursor = reader.cursor()
    assert count(reader) == 3
    write(db, 5)
    assert count(reader) == 5  # the next question sees the new snapshot
    # A query already on the old snapshot still reads it.
    assert old_cursor.execute('SELECT count(*) FROM "User"').fetchone() == (3,)
    assert reader.data_as_of() is not None
    reader.close()


def test_failed_writer_leaves_old_snapshot_byte_for_byte(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    write(db, 3)
    target = current_target(db)
    assert target is not None
    before = target.read_bytes()
    with pytest.raises(RuntimeError):
        with open_writer(db, source="broken", fresh=True) as w:
            w.con.execute("INSERT INTO \"User\" (Id, Name, CreatedDate) VALUES ('x', 'x', now())")
            raise RuntimeError("boom")
    assert current_target(db) == target
    assert target.read_bytes() == before
    assert not list(snapshot_dir(db).glob(f"{snapshot.PENDING_PREFIX}*"))
    reader = SnapshotReader(db)
    assert count(reader) == 3
    reader.close()


def test_copying_writer_keeps_data(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    write(db, 3)
    with open_writer(db, source="sync") as w:  # not fresh: starts from the current snapshot
        w.con.execute("INSERT INTO \"User\" (Id, Name, CreatedDate) VALUES ('extra', 'x', now())")
    reader = SnapshotReader(db)
    assert count(reader) == 4
    reader.close()


def test_garbage_collection_keeps_the_last_snapshots(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    sdir = snapshot_dir(db)
    sdir.mkdir(parents=True)
    stray = sdir / f"{snapshot.PENDING_PREFIX}crashed.duckdb"
    stray.write_bytes(b"half a file")  # a writer that died
    for i in range(6):
        write(db, i + 1)
        time.sleep(0.01)  # distinct mtimes
    files = sorted(sdir.glob("*.duckdb"))
    assert len(files) == snapshot.KEEP_SNAPSHOTS
    assert not stray.exists()
    assert current_target(db) in files
    reader = SnapshotReader(db)
    assert count(reader) == 6
    reader.close()


def test_plain_file_is_adopted_as_first_snapshot(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.close()
    write(db, 2)
    assert db.is_symlink()
    assert list(snapshot_dir(db).glob("imported-*.duckdb"))


def test_writer_lock_serialises_writers(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    with writer_lock(db):
        with pytest.raises(WriterBusy):
            with open_writer(db, source="second", fresh=True, wait=0.2):
                pass
    # A waiting writer goes ahead once the first one is done.
    released = threading.Event()

    def hold() -> None:
        with writer_lock(db):
            released.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    time.sleep(0.1)
    threading.Timer(0.3, released.set).start()
    started = time.monotonic()
    write_ok = False
    with open_writer(db, source="waiter", fresh=True, wait=5):
        write_ok = True
    t.join()
    assert write_ok and time.monotonic() - started >= 0.2
    assert os.path.exists(db)
