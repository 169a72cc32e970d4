"""What was last asked in each Slack thread (and each DM), so that a follow-up ("by lead
source", "上个月呢") is read against it. Kept in the bot's state database (SQLite, WAL): a
restarted bot, or another `kpibot serve` process on the same file, reads the same thread.

The key is the channel and the thread's ts; a DM outside any thread has the empty thread, so a
DM is read against the DM question before it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.audit import StateDB

_SCHEMA = """
CREATE TABLE IF NOT EXISTS slack_conversations (
    channel     TEXT NOT NULL,
    thread_ts   TEXT NOT NULL,
    question    TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (channel, thread_ts)
);
"""


class Conversations:
    def __init__(self, db: StateDB):
        self.db = db
        db.script(_SCHEMA)

    def last(self, channel: str, thread_ts: str | None) -> str | None:
        row = self.db.execute(
            "SELECT question FROM slack_conversations WHERE channel = ? AND thread_ts = ?",
            (channel, thread_ts or ""),
        ).fetchone()
        return None if row is None else str(row[0])

    def remember(self, channel: str, thread_ts: str | None, question: str) -> None:
        self.db.execute(
            "INSERT INTO slack_conversations (channel, thread_ts, question, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (channel, thread_ts) DO UPDATE SET "
            "question = excluded.question, updated_at = excluded.updated_at",
            (channel, thread_ts or "", question, datetime.now(UTC).isoformat()),
        )
