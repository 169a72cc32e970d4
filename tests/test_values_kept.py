"""The values of each dimension (rep names, lead sources …) are worked out once per published
snapshot and kept beside it, so the next process reads them instead of querying (metrics/values.py;
at 10M Tasks the queries took 4 s of every `kpibot ask`). On real DuckDB snapshots of the
hand-made fixture org."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cache.snapshot import KEEP_SNAPSHOTS, SnapshotReader, open_writer, snapshot_dir
from metrics import values
from metrics.catalog_load import load_catalog
from metrics.scope import Scope
from tests.fixture_org import load_fixture_org

# tests/fixtures/org/User.csv, in the order values sorts them (case-folded)
REPS = ("Alice Wang", "Bob Smith", "Dana Lee", "Ian Grant", "Olga Petrova", "Vera Stone", "张伟")


class Counting:
    """A real DuckDB cursor that counts the queries of values run through it."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection):
        self.cursor, self.statements = cursor, 0

    def execute(self, sql: str, params: Any = None) -> Any:
        self.statements += "SELECT DISTINCT" in sql
        return self.cursor.execute(sql, params)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return load_fixture_org(tmp_path / "kpibot.duckdb")


def kept_files(db: Path) -> list[Path]:
    return sorted(snapshot_dir(db).glob("*.values-*.json"))


def load(db: Path, scope: Scope | None = None) -> tuple[dict[str, tuple[str, ...]], int]:
    """Values as a new process reads them (nothing in memory), and how many queries of values
    ran."""
    values._cache.clear()
    reader = SnapshotReader(db)
    cur = Counting(reader.cursor())
    got = values.load_values(cur, load_catalog(), None, *([scope] if scope else []))
    reader.close()
    return got, cur.statements


def test_the_next_process_reads_the_values_kept_beside_the_snapshot(db: Path) -> None:
    first, ran = load(db)
    assert first["rep"] == REPS
    assert {"Web", "Partner", "Cold Call", "WEBSITE", "Partner Referral"} <= set(
        first["lead source"]
    )  # the fixture's leads (L1-L7 but L4, without a source, and L6, deleted)
    assert ran > 5
    [kept] = kept_files(db)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600  # names are data: owner-only
    again, ran = load(db)
    assert again == first
    assert ran == 0


def test_a_broken_kept_file_is_worked_out_again_and_rewritten(db: Path) -> None:
    first, _ = load(db)
    [kept] = kept_files(db)
    kept.write_text('{"rep": ["Mallory"', encoding="utf-8")  # cut off mid-write
    again, ran = load(db)
    assert again == first and ran > 5
    assert json.loads(kept.read_text(encoding="utf-8"))["rep"] == list(REPS)


def test_a_restricted_scope_is_not_kept(db: Path) -> None:
    got, _ = load(db, Scope(("U1",), names=("Alice Wang",)))
    assert got["rep"] == ("Alice Wang",)
    assert kept_files(db) == []


def test_a_plain_duckdb_file_keeps_nothing(db: Path, tmp_path: Path) -> None:
    # A file outside a snapshot folder can change under the same name: nothing read is kept.
    plain = tmp_path / "plain" / "org.duckdb"
    plain.parent.mkdir()
    [snapshot] = snapshot_dir(db).glob("*.duckdb")
    shutil.copyfile(snapshot, plain)
    values._cache.clear()
    con = duckdb.connect(str(plain), read_only=True)
    assert values.load_values(con.cursor(), load_catalog())["rep"] == REPS
    con.close()
    assert sorted(p.name for p in plain.parent.iterdir()) == ["org.duckdb"]


def test_kept_values_go_with_their_snapshot(db: Path) -> None:
    load(db)
    [kept] = kept_files(db)
    for _ in range(KEEP_SNAPSHOTS):  # publish as many snapshots as are kept: the first goes
        with open_writer(db, source="test"):
            pass
    assert not kept.exists()
    assert not kept.with_name(kept.name.split(".values-")[0]).exists()
