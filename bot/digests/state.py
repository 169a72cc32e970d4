"""The bot's state store for scheduled sends and Slack-made subscriptions (SQLite, WAL).

Each scheduled send has a key, ``<job>@<scheduled UTC>`` (``digest:morning@2024-03-11T13:00Z``).
Its row is the mutex: whoever inserts it (``claim``) sends it; everyone else skips it. The row
moves ``sending`` → ``sent`` (with the message ts) or ``failed`` (with Slack's error) or
``skipped`` (nothing to send: an empty digest, an alert that did not fire, an older missed
send superseded by a newer one). A ``sending`` row whose lease ran out belongs to a process that
died; one process may take it over (``reclaim``) and must check Slack before posting again.

Every change is one short write transaction on the state database (``bot.state_db``), so
several ``kpibot serve`` processes on one SQLite file, or replicas on one PostgreSQL database,
see each other's claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.state_connection import StateDB


def send_key(job: str, scheduled: datetime) -> str:
    """The exactly-once key of one scheduled send."""
    return f"{job}@{scheduled.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat()


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
    """Send claims and subscriptions on a state database connection (``open_state_db``)."""

    def __init__(self, db: StateDB):
        self.db = db

    def close(self) -> None:
        self.db.close()

    # -- sends ---------------------------------------------------------------------------------

    def get(self, key: str) -> SendRow | None:
        r = self.db.one("SELECT * FROM digest_sends WHERE key = ?", (key,))
        return SendRow(**r) if r else None

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
        with self.db.tx() as tx:
            r = tx.one("SELECT * FROM digest_sends WHERE key = ?" + tx.dialect.for_update, (key,))
            if r is None:
                inserted = tx.execute(
                    "INSERT INTO digest_sends (key, job, scheduled_utc, channel, status, owner,"
                    " lease_until, claimed_at) VALUES (?, ?, ?, ?, 'sending', ?, ?, ?)"
                    " ON CONFLICT DO NOTHING",
                    (key, job, _iso(scheduled), channel, owner, _iso(now + lease), _iso(now)),
                )
                if inserted != 1:  # another replica inserted it since we looked: theirs
                    return None
                recovering = False
            elif r["status"] == "sending" and datetime.fromisoformat(r["lease_until"]) < now:
                tx.execute(
                    "UPDATE digest_sends SET owner = ?, lease_until = ?, attempts = attempts + 1"
                    " WHERE key = ?",
                    (owner, _iso(now + lease), key),
                )
                recovering = True
            elif r["status"] == "failed" and retry_of is not None and r["attempts"] == retry_of:
                # Nothing of a failed send is uncertain: what was posted is recorded.
                tx.execute(
                    "UPDATE digest_sends SET status = 'sending', owner = ?, lease_until = ?,"
                    " attempts = attempts + 1, finished_at = NULL WHERE key = ?",
                    (owner, _iso(now + lease), key),
                )
                recovering = False
            else:
                return None
            row = tx.one("SELECT * FROM digest_sends WHERE key = ?", (key,))
        assert row is not None
        return Claim(SendRow(**row), recovering)

    def _update(self, key: str, owner: str, sets: str, params: tuple[object, ...]) -> None:
        changed = self.db.execute(
            f"UPDATE digest_sends SET {sets} WHERE key = ? AND owner = ? AND status = 'sending'",
            (*params, key, owner),
        )
        if changed != 1:
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
        changed = self.db.execute(
            "INSERT INTO digest_sends (key, job, scheduled_utc, channel, status,"
            " owner, lease_until, claimed_at, outcome, finished_at)"
            " VALUES (?, ?, ?, ?, 'skipped', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (key, job, _iso(scheduled), channel, owner, _iso(now), _iso(now), outcome, _iso(now)),
        )
        return changed == 1

    def mark_reported(self, key: str) -> bool:
        """True for exactly one caller: the one that is to tell the admins."""
        changed = self.db.execute(
            "UPDATE digest_sends SET reported = 1 WHERE key = ? AND reported = 0", (key,)
        )
        return changed == 1

    def unreported_failures(self, scheduled_before: datetime) -> list[SendRow]:
        """Failed sends scheduled before the given time that no one has told the admins about."""
        rows = self.db.query(
            "SELECT * FROM digest_sends WHERE status = 'failed' AND reported = 0"
            " AND scheduled_utc < ? ORDER BY scheduled_utc, key",
            (_iso(scheduled_before),),
        )
        return [SendRow(**r) for r in rows]

    def history(self, job: str | None = None) -> list[SendRow]:
        sql = "SELECT * FROM digest_sends"
        params: tuple[object, ...] = ()
        if job is not None:
            sql += " WHERE job = ?"
            params = (job,)
        return [SendRow(**r) for r in self.db.query(sql + " ORDER BY scheduled_utc, key", params)]

    def last_outcomes(self, job: str) -> list[str]:
        """Finished outcomes of a job, oldest first (alerts derive armed/fired from them)."""
        rows = self.db.query(
            "SELECT outcome FROM digest_sends WHERE job = ? AND status IN ('sent', 'skipped')"
            " AND outcome IS NOT NULL ORDER BY scheduled_utc",
            (job,),
        )
        return [r["outcome"] for r in rows]

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
        row = self.db.one(
            "INSERT INTO digest_subscriptions (channel, schedule, timezone, question,"
            " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (channel, schedule, timezone, question, created_by, _iso(now)),
        )
        assert row is not None
        return int(row["id"])

    def subscriptions(
        self, channel: str | None = None, *, created_by: str | None = None
    ) -> list[SubscriptionRow]:
        sql, params = _where_active(("channel", channel), ("created_by", created_by))
        rows = self.db.query("SELECT * FROM digest_subscriptions" + sql + " ORDER BY id", params)
        return [SubscriptionRow(**{**r, "active": bool(r["active"])}) for r in rows]

    def remove_subscription(self, sub_id: int, *, created_by: str | None) -> bool:
        """Stop subscription ``sub_id``; only if ``created_by`` made it (None: whoever did)."""
        sql, params = _where_active(("id", sub_id), ("created_by", created_by))
        changed = self.db.execute("UPDATE digest_subscriptions SET active = 0" + sql, params)
        return changed == 1


def _where_active(*filters: tuple[str, Any]) -> tuple[str, tuple[Any, ...]]:
    """`` WHERE active = 1 AND column = ?…`` for the filters given (None: any value)."""
    sql = " WHERE active = 1"
    params: tuple[Any, ...] = ()
    for column, value in filters:
        if value is not None:
            sql += f" AND {column} = ?"
            params += (value,)
    return sql, params


class LostClaim(RuntimeError):
    """Another process took over this send (our lease ran out): stop, do not post."""
