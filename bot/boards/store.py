"""User dashboards in the state database: boards and their pinned panels.

Plain portable SQL (no AUTOINCREMENT, no UPSERT, no SQLite functions): the only SQLite-specific
statement is ``BEGIN IMMEDIATE`` in ``_tx``, which takes the write lock before a change reads,
so two ``kpibot serve`` processes editing the same board see each other's edits in order
(PostgreSQL: ``BEGIN`` + ``SELECT … FOR UPDATE`` on the board row).

A board lives in a *home*: ``user:U123`` (personal) or ``channel:C123`` (the channel's). Its
name is unique in its home, compared case-insensitively. Panels are numbered from 1 in the
order they are drawn; every change renumbers them in the same transaction.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from cache.private_files import private_dir, private_file

Scope = Literal["personal", "channel"]
MAX_PANELS = 12
MAX_NAME = 60

_SCHEMA = """
CREATE TABLE IF NOT EXISTS boards (
    id          INTEGER PRIMARY KEY,
    home        TEXT NOT NULL,          -- user:U… (personal) or channel:C… (the channel's)
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,          -- the name, case-folded: unique in its home
    owner       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (home, name_key)
);
CREATE TABLE IF NOT EXISTS board_panels (
    board_id    INTEGER NOT NULL REFERENCES boards (id),
    position    INTEGER NOT NULL,       -- 1, 2, … in drawing order
    question    TEXT NOT NULL,          -- as typed: the window moves with time
    chart       TEXT NOT NULL,          -- a charts.choose.Chart, or auto
    title       TEXT NOT NULL,          -- '' : the question is the title
    PRIMARY KEY (board_id, position)
);
"""


@dataclass(frozen=True)
class StoredPanel:
    position: int
    question: str
    chart: str = "auto"
    title: str = ""


@dataclass(frozen=True)
class StoredBoard:
    id: int
    home: str
    name: str
    owner: str
    updated_at: str
    panels: tuple[StoredPanel, ...]

    @property
    def scope(self) -> Scope:
        return "channel" if self.home.startswith("channel:") else "personal"

    @property
    def channel(self) -> str:
        return self.home.removeprefix("channel:") if self.scope == "channel" else ""


def home_of(scope: Scope, user: str, channel: str) -> str:
    return f"channel:{channel}" if scope == "channel" else f"user:{user}"


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


class BoardExists(Exception):
    """A board of that name is already in that home."""


class BoardStore:
    """One connection, serialised by a lock; open one per process."""

    def __init__(self, path: Path | str):
        if str(path) != ":memory:":
            private_dir(Path(path).parent)
            private_file(Path(path))
        self._db = sqlite3.connect(
            str(path), timeout=30, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=30000")
        self._lock = threading.Lock()
        with self._lock:
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # ---- reading ----

    def _board(self, db: sqlite3.Connection, row: tuple[object, ...]) -> StoredBoard:
        bid, home, name, owner, updated = row
        panels = db.execute(
            "SELECT position, question, chart, title FROM board_panels WHERE board_id = ?"
            " ORDER BY position",
            (bid,),
        ).fetchall()
        return StoredBoard(
            int(bid),  # type: ignore[call-overload]
            str(home),
            str(name),
            str(owner),
            str(updated),
            tuple(StoredPanel(int(p[0]), str(p[1]), str(p[2]), str(p[3])) for p in panels),
        )

    def boards(self, homes: list[str] | None = None) -> list[StoredBoard]:
        """Boards in ``homes`` (None: every board), by name."""
        sql = "SELECT id, home, name, owner, updated_at FROM boards"
        params: tuple[str, ...] = ()
        if homes is not None:
            if not homes:
                return []
            sql += f" WHERE home IN ({', '.join('?' for _ in homes)})"
            params = tuple(homes)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY name_key, id", params).fetchall()
            return [self._board(self._db, r) for r in rows]

    def get(self, board_id: int) -> StoredBoard | None:
        with self._lock:
            r = self._db.execute(
                "SELECT id, home, name, owner, updated_at FROM boards WHERE id = ?", (board_id,)
            ).fetchone()
            return self._board(self._db, r) if r else None

    # ---- changing (each one transaction) ----

    def create(self, home: str, name: str, owner: str, now: datetime | None = None) -> int:
        stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        with self._tx() as db:
            if db.execute(
                "SELECT 1 FROM boards WHERE home = ? AND name_key = ?", (home, name_key(name))
            ).fetchone():
                raise BoardExists(name)
            (next_id,) = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM boards").fetchone()
            db.execute(
                "INSERT INTO boards (id, home, name, name_key, owner, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (next_id, home, name, name_key(name), owner, stamp, stamp),
            )
            return int(next_id)

    def _rewrite(self, db: sqlite3.Connection, board_id: int, panels: list[StoredPanel]) -> None:
        db.execute("DELETE FROM board_panels WHERE board_id = ?", (board_id,))
        for i, p in enumerate(panels, start=1):
            db.execute(
                "INSERT INTO board_panels (board_id, position, question, chart, title)"
                " VALUES (?, ?, ?, ?, ?)",
                (board_id, i, p.question, p.chart, p.title),
            )
        db.execute(
            "UPDATE boards SET updated_at = ? WHERE id = ?",
            (datetime.now(UTC).isoformat(timespec="seconds"), board_id),
        )

    def _panels(self, db: sqlite3.Connection, board_id: int) -> list[StoredPanel]:
        rows = db.execute(
            "SELECT position, question, chart, title FROM board_panels WHERE board_id = ?"
            " ORDER BY position",
            (board_id,),
        ).fetchall()
        return [StoredPanel(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]

    def add_panel(self, board_id: int, panel: StoredPanel) -> int | None:
        """The new panel's number, or None when the board is full (MAX_PANELS)."""
        with self._tx() as db:
            panels = self._panels(db, board_id)
            if len(panels) >= MAX_PANELS:
                return None
            self._rewrite(db, board_id, [*panels, panel])
            return len(panels) + 1

    def remove_panel(self, board_id: int, position: int) -> StoredPanel | None:
        with self._tx() as db:
            panels = self._panels(db, board_id)
            if not 1 <= position <= len(panels):
                return None
            gone = panels.pop(position - 1)
            self._rewrite(db, board_id, panels)
            return gone

    def move_panel(self, board_id: int, position: int, to: int) -> bool:
        with self._tx() as db:
            panels = self._panels(db, board_id)
            if not (1 <= position <= len(panels) and 1 <= to <= len(panels)):
                return False
            panels.insert(to - 1, panels.pop(position - 1))
            self._rewrite(db, board_id, panels)
            return True

    def rename(self, board_id: int, home: str, name: str) -> None:
        with self._tx() as db:
            clash = db.execute(
                "SELECT id FROM boards WHERE home = ? AND name_key = ? AND id <> ?",
                (home, name_key(name), board_id),
            ).fetchone()
            if clash:
                raise BoardExists(name)
            db.execute(
                "UPDATE boards SET name = ?, name_key = ?, updated_at = ? WHERE id = ?",
                (name, name_key(name), datetime.now(UTC).isoformat(timespec="seconds"), board_id),
            )

    def replace_panels(self, board_id: int, panels: list[StoredPanel]) -> None:
        with self._tx() as db:
            self._rewrite(db, board_id, panels[:MAX_PANELS])

    def delete(self, board_id: int) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM board_panels WHERE board_id = ?", (board_id,))
            db.execute("DELETE FROM boards WHERE id = ?", (board_id,))
