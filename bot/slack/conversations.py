"""What was last asked in each Slack thread (and each DM), so that a follow-up ("by lead
source", "上个月呢") is read against it. Kept in the bot's state database (table
``slack_conversations``, bot/state_schema.py): a restarted bot, or another `kpibot serve` process
or replica on the same state database, reads the same thread.

The key is the channel and the thread's ts; a DM outside any thread has the empty thread, so a
DM is read against the DM question before it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.state_connection import StateDB


class Conversations:
    def __init__(self, db: StateDB):
        self.db = db

    def last(self, channel: str, thread_ts: str | None) -> str | None:
        row = self.db.one(
            "SELECT question FROM slack_conversations WHERE channel = ? AND thread_ts = ?",
            (channel, thread_ts or ""),
        )
        return None if row is None else str(row["question"])

    def remember(self, channel: str, thread_ts: str | None, question: str) -> None:
        self.db.execute(
            "INSERT INTO slack_conversations (channel, thread_ts, question, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (channel, thread_ts) DO UPDATE SET "
            "question = excluded.question, updated_at = excluded.updated_at",
            (channel, thread_ts or "", question, datetime.now(UTC).isoformat()),
        )
