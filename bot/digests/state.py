"""The bot's state store for scheduled sends and Slack-made subscriptions (SQLite, WAL).

Each scheduled send has a key, ``<job>@<scheduled UTC>`` (``digest:morning@2024-03-11T13:00Z``).
Its row is the mutex: whoever inserts it (``claim``) sends it; everyone else skips it. The row
moves ``sending`` → ``sent`` (with the message ts) or ``failed`` (with Slack's error) or
``skipped`` (nothing to send: an empty digest, an alert that did not fire, an older missed
send superseded by a newer one). A ``sending`` row whose lease ran out belongs to a process that
died; one process may take it over (``reclaim``) and must check Slack before posting again.

Every change is one short ``BEGIN IMMEDIATE`` transaction, so several ``kpibot serve``
processes on one file see each other's claims.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cache.private_files import private_dir, private_file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS digest_sends (
    key           TEXT PRIMARY KEY,
    job           TEXT NOT NULL,
    scheduled_utc TEXT NOT NULL,
    channel       TEXT NOT NULL,
    status        TEXT NOT NULL
                  CHECK (status IN ('sending', 'sent', 'failed', 'skipped', 'unknown')),
    owner         TEXT NOT NULL,
    lease_until   TEXT NOT NULL,
    claimed_at    TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 1,
    channel_id    TEXT,
    message_ts    TEXT,
    thread_done   INTEGER NOT NULL DEFAULT 0,
    outcome       TEXT,
    error         TEXT,
    finished_at   TEXT,
    reported      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS digest_sends_job ON digest_sends (job, scheduled_utc);
CREATE TABLE IF NOT EXISTS digest_subscriptions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    channel     TEXT NOT NULL,
    schedule    TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    question    TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1
);
"""


def send_key(job: str, scheduled: datetime) -> str:
    """The exactly-once key of one scheduled send."""
    return f"{job}@{scheduled.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat()


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


@dataclass(frozen=True)
class SendRow:
    key: str
    job: str
    scheduled_utc: str
    channel: str
    status: str
    owner: str
    lease_until: str
    claimed_at: str
    attempts: int
    channel_id: str | None
    message_ts: str | None
    thread_done: int
    outcome: str | None
    error: str | None
    finished_at: str | None
    reported: int = 0  # a failure the admins have been told about (once)


@dataclass(frozen=True)
class Claim:
    """We own this send. ``recovering``: a dead process claimed it first; check Slack first."""

    row: SendRow
    recovering: bool


@dataclass(frozen=True)
class SubscriptionRow:
    id: int
    channel: str
    schedule: str
    timezone: str
    question: str
    created_by: str
    created_at: str
    active: bool


class StateStore:
    """One SQLite connection (thread-safe by a lock). Open one per process or per scheduler."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        if str(path) != ":memory:":
            private_dir(self.path.parent)
            private_file(self.path)  # the audit log and subscriptions: owner-only
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a claim takes the write
        # lock before it reads, and two processes cannot both see "no row yet".
        self._db = sqlite3.connect(
            str(path), timeout=30, isolation_level=None, check_same_thread=False
        )
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=30000")
        with self._lock:
            self._db.executescript(_SCHEMA)
            self._migrate()

    def _migrate(self) -> None:
        """Stores made before failed sends were retried: add ``reported``; their failures
        were reported when they happened."""
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(digest_sends)")}
        if "reported" not in columns:
            self._db.execute(
                "ALTER TABLE digest_sends ADD COLUMN reported INTEGER NOT NULL DEFAULT 0"
            )
            self._db.execute("UPDATE digest_sends SET reported = 1 WHERE status = 'failed'")

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

    # -- sends ---------------------------------------------------------------------------------

    def get(self, key: str) -> SendRow | None:
        with self._lock:
            r = self._db.execute("SELECT * FROM digest_sends WHERE key = ?", (key,)).fetchone()
        return SendRow(**dict(r)) if r else None

    def claim(
        self,
        key: str,
        job: str,
        scheduled: datetime,
        channel: str,
        *,
        owner: str,
        now: datetime,
        lease: timedelta,
        retry_of: int | None = None,
    ) -> Claim | None:
        """Take the send: a new row, a ``sending`` row whose lease ran out, or, with
        ``retry_of``, a ``failed`` one still at that many attempts, to try again (its headline
        and thread parts already posted stay done; of two processes retrying, one wins).
        None: not ours."""
        with self._tx() as db:
            r = db.execute("SELECT * FROM digest_sends WHERE key = ?", (key,)).fetchone()
            if r is None:
                db.execute(
                    "INSERT INTO digest_sends (key, job, scheduled_utc, channel, status, owner,"
                    " lease_until, claimed_at) VALUES (?, ?, ?, ?, 'sending', ?, ?, ?)",
                    (key, job, _iso(scheduled), channel, owner, _iso(now + lease), _iso(now)),
                )
                recovering = False
            elif r["status"] == "sending" and datetime.fromisoformat(r["lease_until"]) < now:
                db.execute(
                    "UPDATE digest_sends SET owner = ?, lease_until = ?, attempts = attempts + 1"
                    " WHERE key = ?",
                    (owner, _iso(now + lease), key),
                )
                recovering = True
            elif r["status"] == "failed" and retry_of is not None and r["attempts"] == retry_of:
                # Nothing of a failed send is uncertain: what was posted is recorded.
                db.execute(
                    "UPDATE digest_sends SET status = 'sending', owner = ?, lease_until = ?,"
                    " attempts = attempts + 1, finished_at = NULL WHERE key = ?",
                    (owner, _iso(now + lease), key),
                )
                recovering = False
            else:
                return None
            row = db.execute("SELECT * FROM digest_sends WHERE key = ?", (key,)).fetchone()
        return Claim(SendRow(**dict(row)), recovering)

    def _update(self, key: str, owner: str, sets: str, params: tuple[object, ...]) -> None:
        with self._tx() as db:
            cur = db.execute(
                f"UPDATE digest_sends SET {sets}"
                " WHERE key = ? AND owner = ? AND status = 'sending'",
                (*params, key, owner),
            )
            if cur.rowcount != 1:
                raise LostClaim(key)

    def record_headline(self, key: str, owner: str, channel_id: str, ts: str) -> None:
        """The headline is in Slack: recovery now continues its thread, never re-posts it."""
        self._update(key, owner, "channel_id = ?, message_ts = ?", (channel_id, ts))

    def record_thread(self, key: str, owner: str, done: int) -> None:
        self._update(key, owner, "thread_done = ?", (done,))

    def extend_lease(self, key: str, owner: str, until: datetime) -> None:
        self._update(key, owner, "lease_until = ?", (_iso(until),))

    def finish(
        self,
        key: str,
        owner: str,
        status: str,
        *,
        now: datetime,
        outcome: str | None = None,
        error: str | None = None,
    ) -> None:
        self._update(
            key,
            owner,
            "status = ?, outcome = ?, error = ?, finished_at = ?",
            (status, outcome, error, _iso(now)),
        )

    def skip(
        self,
        key: str,
        job: str,
        scheduled: datetime,
        channel: str,
        *,
        now: datetime,
        outcome: str,
        owner: str,
    ) -> bool:
        """Record a send that will never happen (superseded by a newer one). False: row exists."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO digest_sends (key, job, scheduled_utc, channel, status,"
                " owner, lease_until, claimed_at, outcome, finished_at)"
                " VALUES (?, ?, ?, ?, 'skipped', ?, ?, ?, ?, ?)",
                (
                    key,
                    job,
                    _iso(scheduled),
                    channel,
                    owner,
                    _iso(now),
                    _iso(now),
                    outcome,
                    _iso(now),
                ),
            )
            return cur.rowcount == 1

    def mark_reported(self, key: str) -> bool:
        """True for exactly one caller: the one that is to tell the admins."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE digest_sends SET reported = 1 WHERE key = ? AND reported = 0", (key,)
            )
            return cur.rowcount == 1

    def unreported_failures(self, scheduled_before: datetime) -> list[SendRow]:
        """Failed sends scheduled before the given time that no one has told the admins about."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM digest_sends WHERE status = 'failed' AND reported = 0"
                " AND scheduled_utc < ? ORDER BY scheduled_utc, key",
                (_iso(scheduled_before),),
            ).fetchall()
        return [SendRow(**dict(r)) for r in rows]

    def history(self, job: str | None = None) -> list[SendRow]:
        sql = "SELECT * FROM digest_sends"
        params: tuple[object, ...] = ()
        if job is not None:
            sql += " WHERE job = ?"
            params = (job,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY scheduled_utc, key", params).fetchall()
        return [SendRow(**dict(r)) for r in rows]

    def last_outcomes(self, job: str) -> list[str]:
        """Finished outcomes of a job, oldest first (alerts derive armed/fired from them)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT outcome FROM digest_sends WHERE job = ? AND status IN ('sent', 'skipped')"
                " AND outcome IS NOT NULL ORDER BY scheduled_utc",
                (job,),
            ).fetchall()
        return [r[0] for r in rows]

    # -- subscriptions ---------------------------------------------------------------------------

    def add_subscription(
        self,
        channel: str,
        schedule: str,
        timezone: str,
        question: str,
        created_by: str,
        now: datetime,
    ) -> int:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO digest_subscriptions (channel, schedule, timezone, question,"
                " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (channel, schedule, timezone, question, created_by, _iso(now)),
            )
            return int(cur.lastrowid or 0)

    def subscriptions(
        self, channel: str | None = None, *, created_by: str | None = None
    ) -> list[SubscriptionRow]:
        sql = "SELECT * FROM digest_subscriptions WHERE active = 1"
        params: tuple[object, ...] = ()
        for column, value in (("channel", channel), ("created_by", created_by)):
            if value is not None:
                sql += f" AND {column} = ?"
                params += (value,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY id", params).fetchall()
        return [SubscriptionRow(**{**dict(r), "active": bool(r["active"])}) for r in rows]

    def remove_subscription(self, sub_id: int, *, created_by: str | None) -> bool:
        """Stop subscription ``sub_id``; only if ``created_by`` made it (None: whoever did)."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE digest_subscriptions SET active = 0"
                " WHERE id = ? AND active = 1 AND (? IS NULL OR created_by = ?)",
                (sub_id, created_by, created_by),
            )
            return cur.rowcount == 1


class LostClaim(RuntimeError):
    """Another process took over this send (our lease ran out): stop, do not post."""
