"""The bot's state database (SQLite) and its audit log: who asked what, where, and how it went.

The state database is separate from the DuckDB cache so the bot can write while a sync
rebuilds the cache. WAL mode lets several bot processes (gunicorn workers) and the digest
scheduler write it at once; each write is one short transaction.

>>> log = AuditLog(open_state_db(Path("data/kpibot-state.sqlite")))
>>> entry = log.start(user="U1", channel="C1", source="mention", question="calls this week")
>>> log.finish(entry, outcome="answered", sql="SELECT …", rows=7)
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from cache.private_files import private_dir, private_file

Outcome = Literal["answered", "user_error", "internal_error", "refused", "slack_error"]
Source = Literal["mention", "dm", "command", "button", "home", "options", "view", "shortcut"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    asked_at    TEXT NOT NULL,      -- UTC, ISO 8601
    user_id     TEXT NOT NULL,
    channel_id  TEXT NOT NULL,
    thread_ts   TEXT,
    source      TEXT NOT NULL,      -- mention | dm | command | button | home | options | …
    question    TEXT NOT NULL,
    sql         TEXT,
    row_count   INTEGER,
    duration_ms REAL,
    outcome     TEXT,               -- NULL while running; then answered | user_error | …
    detail      TEXT                -- the error's message, the refusal's reason
);
CREATE INDEX IF NOT EXISTS audit_log_asked_at ON audit_log (asked_at);
"""


class StateDB:
    """One SQLite connection shared by the bot's threads, serialised by a lock (writes are tiny)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        private_dir(self.path.parent)
        private_file(self.path)  # every question asked, by whom: owner-only
        self._con = sqlite3.connect(
            str(self.path), timeout=10.0, check_same_thread=False, isolation_level=None
        )
        self._con.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable across application crashes in WAL mode; only a power cut can lose
        # the last few audit rows, and that costs no answer.
        self._con.execute("PRAGMA synchronous=NORMAL")
        self._con.execute("PRAGMA busy_timeout=10000")
        self._lock = threading.Lock()

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._con.execute(sql, params)

    def script(self, sql: str) -> None:
        with self._lock:
            self._con.executescript(sql)

    def close(self) -> None:
        with self._lock:
            self._con.close()


def open_state_db(path: Path) -> StateDB:
    db = StateDB(path)
    db.script(_SCHEMA)
    return db


@dataclass(frozen=True)
class AuditEntry:
    id: int
    started: float  # time.perf_counter() at start


class AuditLog:
    def __init__(self, db: StateDB):
        self.db = db

    def start(
        self,
        *,
        user: str,
        channel: str,
        source: Source,
        question: str,
        thread_ts: str | None = None,
    ) -> AuditEntry:
        """Record a question before it runs, so a crash still leaves a row (outcome NULL)."""
        cur = self.db.execute(
            "INSERT INTO audit_log (asked_at, user_id, channel_id, thread_ts, source, question)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                datetime.now(UTC).isoformat(timespec="milliseconds"),
                user,
                channel,
                thread_ts,
                source,
                question,
            ),
        )
        return AuditEntry(int(cur.lastrowid or 0), time.perf_counter())

    def finish(
        self,
        entry: AuditEntry,
        *,
        outcome: Outcome,
        sql: str | None = None,
        rows: int | None = None,
        detail: str | None = None,
    ) -> None:
        ms = (time.perf_counter() - entry.started) * 1000
        self.db.execute(
            "UPDATE audit_log SET outcome = ?, sql = ?, row_count = ?, duration_ms = ?, detail = ?"
            " WHERE id = ?",
            (outcome, sql, rows, round(ms, 1), detail, entry.id),
        )

    def rows(self) -> list[dict[str, Any]]:
        cur = self.db.execute("SELECT * FROM audit_log ORDER BY id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
