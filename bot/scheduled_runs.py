"""Scheduled jobs of `kpibot serve` (the Salesforce sync, a source's re-import) run once per
period however many replicas serve: the claim is a row of the state database.

Time is cut into periods of the job's ``every`` (counted from the Unix epoch, so every replica
cuts it the same way). Each replica checks often (``check_seconds``); the first whose claim row
for the current period lands runs the job, every other one finds the row and does nothing.

- **Leases**: while it runs, the claimant renews its lease every third of ``lease_seconds``. A
  replica that died mid-run stops renewing; once its lease has run out, the next replica to
  check takes the period over (``attempts`` counts the takers) and runs the job again — a sync
  is incremental and publishes whole snapshots, so a run cut short leaves nothing to repair.
  If the period ended meanwhile, the dead run is marked failed (abandoned) and the new period
  runs instead.
- **No overlap**: while a run is live (a sync longer than its period), no replica starts the
  next period's; it runs at the first check after, as one process's loop would.
- **Failures**: a failed run is not repeated within its period (every replica would retry it
  at once); the next period runs as usual.

Rows: ``scheduled_runs (job, period, status running|done|failed, owner, lease_until,
attempts, …)``, migration 4 of ``bot/state_schema.py``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.config import AppConfig, RunSettings
from bot.state_connection import StateDB, default_owner
from salesforce.scheduler import NOT_DUE, SyncLoop

log = logging.getLogger(__name__)


def period_of(now: datetime, every: timedelta) -> datetime:
    """The start of the period ``now`` falls in, the same on every replica."""
    step = every.total_seconds()
    return datetime.fromtimestamp(now.timestamp() // step * step, UTC)


def check_interval(every: timedelta, settings: RunSettings) -> timedelta:
    if settings.check_seconds is not None:
        return timedelta(seconds=settings.check_seconds)
    return timedelta(seconds=min(30.0, max(1.0, every.total_seconds() / 4)))


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat()


@dataclass(frozen=True)
class RunClaims:
    """Claim rows on one state database connection."""

    db: StateDB

    def claim(
        self, job: str, period: datetime, owner: str, now: datetime, lease: timedelta
    ) -> int | None:
        """Take the period's run: its attempt number (1, or more for a take-over); None: not
        ours (claimed by a live replica, or finished)."""
        key = (job, _iso(period))
        with self.db.tx() as tx:
            # An earlier period still running (a sync longer than its period): runs never
            # overlap, this one waits for the next check. One whose replica died: abandoned.
            busy = tx.query(
                "SELECT lease_until FROM scheduled_runs"
                " WHERE job = ? AND period < ? AND status = 'running'",
                key,
            )
            if any(datetime.fromisoformat(b["lease_until"]) >= now for b in busy):
                return None
            if busy:
                tx.execute(
                    "UPDATE scheduled_runs SET status = 'failed', finished_at = ?,"
                    " error = 'abandoned: its replica stopped renewing the lease'"
                    " WHERE job = ? AND period < ? AND status = 'running'",
                    (_iso(now), *key),
                )
            r = tx.one(
                "SELECT status, lease_until, attempts FROM scheduled_runs"
                " WHERE job = ? AND period = ?" + tx.dialect.for_update,
                key,
            )
            if r is None:
                inserted = tx.execute(
                    "INSERT INTO scheduled_runs (job, period, status, owner, lease_until,"
                    " claimed_at, attempts) VALUES (?, ?, 'running', ?, ?, ?, 1)"
                    " ON CONFLICT DO NOTHING",
                    (*key, owner, _iso(now + lease), _iso(now)),
                )
                return 1 if inserted == 1 else None
            if r["status"] != "running" or datetime.fromisoformat(r["lease_until"]) >= now:
                return None
            tx.execute(
                "UPDATE scheduled_runs SET owner = ?, lease_until = ?, claimed_at = ?,"
                " attempts = attempts + 1 WHERE job = ? AND period = ?",
                (owner, _iso(now + lease), _iso(now), *key),
            )
            return int(r["attempts"]) + 1

    def renew(self, job: str, period: datetime, owner: str, until: datetime) -> bool:
        """Extend our lease; False: the run is no longer ours (taken over after a stall)."""
        return (
            self.db.execute(
                "UPDATE scheduled_runs SET lease_until = ? WHERE job = ? AND period = ?"
                " AND owner = ? AND status = 'running'",
                (_iso(until), job, _iso(period), owner),
            )
            == 1
        )

    def finish(
        self, job: str, period: datetime, owner: str, status: str, error: str | None = None
    ) -> None:
        self.db.execute(
            "UPDATE scheduled_runs SET status = ?, error = ?, finished_at = ?"
            " WHERE job = ? AND period = ? AND owner = ?",
            (status, error, _iso(datetime.now(UTC)), job, _iso(period), owner),
        )


class ClaimedJob:
    """``run_once`` as a replica's check: runs it when this period's run is ours, else returns
    ``NOT_DUE``. Each check opens its own short connection (``open_db``): the check runs in
    `kpibot serve`'s master process, which forks workers and holds nothing open between checks.
    """

    def __init__(
        self,
        job: str,
        every: timedelta,
        run_once: Callable[[], object],
        open_db: Callable[[], StateDB],
        settings: RunSettings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.job = job
        self.every = every
        self.run_once = run_once
        self.open_db = open_db
        self.lease = timedelta(seconds=settings.lease_seconds)
        self.clock = clock

    def __call__(self) -> object:
        now = self.clock()
        period = period_of(now, self.every)
        owner = default_owner()
        db = self.open_db()
        try:
            claims = RunClaims(db)
            attempt = claims.claim(self.job, period, owner, now, self.lease)
            if attempt is None:
                return NOT_DUE
            if attempt > 1:
                log.warning(
                    "%s of %s: taken over (attempt %d; the replica that claimed it stopped "
                    "renewing its lease)",
                    self.job,
                    _iso(period),
                    attempt,
                )
            with self._renewing(claims, period, owner):
                try:
                    result = self.run_once()
                except BaseException as e:
                    claims.finish(self.job, period, owner, "failed", str(e)[:500])
                    raise
            error = getattr(result, "error", None)
            if error is None:
                claims.finish(self.job, period, owner, "done")
            else:
                claims.finish(self.job, period, owner, "failed", str(error)[:500])
            return result
        finally:
            db.close()

    @contextmanager
    def _renewing(self, claims: RunClaims, period: datetime, owner: str) -> Iterator[None]:
        """Renew the lease every third of it until the run ends."""
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(self.lease.total_seconds() / 3):
                try:
                    if not claims.renew(self.job, period, owner, self.clock() + self.lease):
                        log.warning("%s of %s: another replica took it over", self.job, period)
                        return
                except Exception as e:  # noqa: BLE001 - the state database is unreachable
                    log.warning("%s: lease not renewed (%s)", self.job, e)

        beat = threading.Thread(target=renew, name=f"kpibot-lease-{self.job}", daemon=True)
        beat.start()
        try:
            yield
        finally:
            stop.set()
            beat.join()


def claimed_loop(
    job: str,
    every: timedelta,
    run_once: Callable[[], object],
    config: AppConfig,
    logger: logging.Logger = log,
) -> SyncLoop:
    """The loop `kpibot serve` starts for a scheduled job: it checks every ``check_seconds``
    and runs ``run_once`` in the periods this replica claims (not started)."""
    from bot.state_db import open_state_db

    settings = config.scheduled_runs
    open_state_db(config.state_location).close()  # migrated once here; each check only connects
    claimed = ClaimedJob(
        job,
        every,
        run_once,
        lambda: open_state_db(config.state_location, upgrade=False),
        settings,
    )
    return SyncLoop(claimed, check_interval(every, settings), logger=logger)
