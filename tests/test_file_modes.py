"""The cache and the state database hold every record and the audit log: owner-only files and
folders whatever the umask (here the usual 022, under which they used to be 0644 / 0755)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.audit import open_state_db
from bot.digests.state import StateStore
from cache.snapshot import snapshot_dir
from salesforce.export import load_export
from tests.test_export import EDGE


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(p: Path) -> int:
    return stat.S_IMODE(p.lstat().st_mode)


def test_cache_snapshots_and_their_folders_are_owner_only(tmp_path: Path, umask_022: None) -> None:
    db = tmp_path / "data" / "deeper" / "k.duckdb"
    load_export(EDGE, db)
    load_export(EDGE, db)  # a second snapshot: copied from the first, then changed
    assert mode(tmp_path / "data") == 0o700
    assert mode(tmp_path / "data" / "deeper") == 0o700
    sdir = snapshot_dir(db)
    assert mode(sdir) == 0o700
    snaps = list(sdir.iterdir())
    assert len(snaps) == 2
    assert {p.name: mode(p) for p in snaps} == {p.name: 0o600 for p in snaps}
    assert mode(db.with_name("k.duckdb.lock")) == 0o600


def test_an_existing_folder_is_kept_but_the_snapshot_folder_is_made_private(
    tmp_path: Path, umask_022: None
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    snapshot_dir(data / "k.duckdb").mkdir(mode=0o755)  # made by an older kpibot
    load_export(EDGE, data / "k.duckdb")
    assert mode(data) == 0o755  # the user's folder: not ours to change
    assert mode(snapshot_dir(data / "k.duckdb")) == 0o700


def test_state_database_is_owner_only(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "state" / "kpibot-state.sqlite"
    audit = open_state_db(path)
    audit.execute("CREATE TABLE IF NOT EXISTS t (x)")
    audit.execute("INSERT INTO t VALUES (1)")
    store = StateStore(path)
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["kpibot-state.sqlite", "kpibot-state.sqlite-shm", "kpibot-state.sqlite-wal"]
    assert {f: mode(path.parent / f) for f in files} == {f: 0o600 for f in files}
    assert mode(path.parent) == 0o700
    store.close()
    audit.close()
