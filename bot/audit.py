"""The audit log: who asked what, where, and how it went (a table of the state database).

The state database (``bot.state_db``: a SQLite file, or PostgreSQL for several replicas) is
separate from the DuckDB cache so the bot can write while a sync rebuilds the cache. Each write
is one short statement.

>>> log = AuditLog(open_state_db("data/kpibot-state.sqlite"))
>>> entry = log.start(user="U1", channel="C1", source="mention", question="calls this week")
>>> log.finish(entry, outcome="answered", sql="SELECT …", rows=7)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from bot.state_connection import StateDB

Outcome = Literal["answered", "user_error", "internal_error", "refused", "slack_error"]
Source = Literal["mention", "dm", "command", "button", "home", "options", "view", "shortcut"]


@dataclass(frozen=True)
class AuditEntry:
    id: int
    started: float  # time.perf_counter() at start


# Rows that are answered questions: not keystrokes, home visits, help, or a button's id and value
# (a button or search-box choice counts once its row was re-read as the question it asked).
_ASKED = (
    "outcome = 'answered' AND source IN ('mention', 'dm', 'command', 'button') "
    "AND coalesce(detail, '') NOT IN ('help', 'words', 'search box', 'subscription command') "
    "AND question NOT LIKE 'kpi\\_%' ESCAPE '\\'"
)


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
        row = self.db.one(
            "INSERT INTO audit_log (asked_at, user_id, channel_id, thread_ts, source, question)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (
                datetime.now(UTC).isoformat(timespec="milliseconds"),
                user,
                channel,
                thread_ts,
                source,
                question,
            ),
        )
        assert row is not None
        return AuditEntry(int(row["id"]), time.perf_counter())

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

    def recent_questions(self, user: str, limit: int = 50) -> list[str]:
        """The user's answered questions, oldest first, each once (for suggestions)."""
        rows = self.db.query(
            f"SELECT question FROM audit_log WHERE user_id = ? AND {_ASKED} "
            "GROUP BY question ORDER BY max(id) DESC LIMIT ?",
            (user, limit),
        )
        return [str(r["question"]) for r in rows][::-1]

    def popular_questions(self, limit: int = 6, days: int = 30) -> list[str]:
        """The team's most asked answered questions of the last ``days``, most asked first."""
        since = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="milliseconds")
        rows = self.db.query(
            f"SELECT question FROM audit_log WHERE {_ASKED} AND asked_at >= ? "
            "GROUP BY question ORDER BY count(*) DESC, max(id) DESC LIMIT ?",
            (since, limit),
        )
        return [str(r["question"]) for r in rows]

    def read_as(self, entry: AuditEntry, question: str) -> None:
        """The question as it was read (a follow-up merged into the one before, a suggestion
        chosen in the search box), in place of what was sent."""
        self.db.execute(
            "UPDATE audit_log SET question = ? WHERE id = ?", (question[:500], entry.id)
        )

    def rows(self) -> list[dict[str, Any]]:
        return self.db.query("SELECT * FROM audit_log ORDER BY id")
