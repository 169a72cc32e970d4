"""Scheduled runs claimed in the state database (bot/scheduled_runs.py), on SQLite and on
PostgreSQL: one run per period among racing replicas, a dead claimant's period taken over once
its lease ran out, a failed run not repeated in its period, and the serve loop quiet on checks
that run nothing."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import RunSettings
from bot.scheduled_runs import ClaimedJob, RunClaims, check_interval, period_of
from bot.state_db import open_state_db
from salesforce.scheduler import NOT_DUE, SyncLoop
from tests.state_connections import Opener

EVERY = timedelta(minutes=15)
T0 = datetime(2026, 3, 2, 9, 7, 30, tzinfo=UTC)  # in the 09:00–09:15 period


def test_periods_are_cut_the_same_way_everywhere() -> None:
    assert period_of(T0, EVERY) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert period_of(T0 + timedelta(minutes=8), EVERY) == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    # checks: a quarter of the period, at least 1 s, at most 30 s, or as configured
    assert check_interval(EVERY, RunSettings()) == timedelta(seconds=30)
    assert check_interval(timedelta(seconds=2), RunSettings()) == timedelta(seconds=1)
    assert check_interval(EVERY, RunSettings(check_seconds=5)) == timedelta(seconds=5)


def test_of_replicas_racing_for_one_period_one_runs(
    state_database: str, open_state: Opener
) -> None:
    """Eight connections (as eight replicas) check at the same moment, many times: each
    period is run once."""
    runs: list[tuple[str, datetime]] = []
    lock = threading.Lock()
    now = [T0]

    def job(who: str) -> ClaimedJob:
        def run_once() -> None:
            with lock:
                runs.append((who, period_of(now[0], EVERY)))

        return ClaimedJob(
            "sync:salesforce",
            EVERY,
            run_once,
            lambda: open_state_db(state_database),
            RunSettings(),
            clock=lambda: now[0],
        )

    jobs = [job(f"r{i}") for i in range(8)]
    for step in range(3):  # three periods, each checked by all eight at once
        now[0] = T0 + step * EVERY
        said: list[object] = []
        threads = [threading.Thread(target=lambda j=j, said=said: said.append(j())) for j in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert said.count(NOT_DUE) == 7
    assert sorted(p for _, p in runs) == [period_of(T0 + i * EVERY, EVERY) for i in range(3)]
    rows = open_state(state_database).query(
        "SELECT status, attempts FROM scheduled_runs ORDER BY period"
    )
    assert rows == [{"status": "done", "attempts": 1}] * 3


def test_a_dead_claimants_period_is_taken_over_after_its_lease(
    state_database: str, open_state: Opener
) -> None:
    db = open_state(state_database)
    claims = RunClaims(db)
    period, lease = period_of(T0, EVERY), timedelta(seconds=60)
    assert claims.claim("sync:salesforce", period, "dead:1:1", T0, lease) == 1
    # inside the lease: nobody else
    assert claims.claim("sync:salesforce", period, "alive:2:2", T0 + lease / 2, lease) is None
    # the dead one never renewed: past its lease, the next check takes it over (attempt 2) …
    later = T0 + lease + timedelta(seconds=1)
    assert claims.claim("sync:salesforce", period, "alive:2:2", later, lease) == 2
    # … the dead one, were it only slow, can no longer renew nor finish it
    assert not claims.renew("sync:salesforce", period, "dead:1:1", later + lease)
    claims.finish("sync:salesforce", period, "dead:1:1", "done")
    [row] = db.query("SELECT status, owner, attempts FROM scheduled_runs")
    assert row == {"status": "running", "owner": "alive:2:2", "attempts": 2}
    claims.finish("sync:salesforce", period, "alive:2:2", "done")
    # a finished period is nobody's again, whatever its lease says
    assert claims.claim("sync:salesforce", period, "x:3:3", later + 10 * lease, lease) is None


def test_a_failed_run_is_recorded_and_not_repeated_in_its_period(
    state_database: str, open_state: Opener
) -> None:
    tries = []

    def broken() -> None:
        tries.append(1)
        raise RuntimeError("Salesforce said no")

    job = ClaimedJob(
        "import:spend",
        EVERY,
        broken,
        lambda: open_state_db(state_database),
        RunSettings(),
        clock=lambda: T0,
    )
    with pytest.raises(RuntimeError):
        job()
    assert job() is NOT_DUE and len(tries) == 1
    [row] = open_state(state_database).query("SELECT status, error FROM scheduled_runs")
    assert row == {"status": "failed", "error": "Salesforce said no"}


def test_the_lease_is_renewed_while_a_long_run_lasts(
    state_database: str, open_state: Opener
) -> None:
    """A run longer than its lease keeps it: the heartbeat renews every third of it, so no
    other replica takes over a sync that is merely slow."""
    release = threading.Event()
    settings = RunSettings(lease_seconds=0.6)
    slow = ClaimedJob(
        "sync:salesforce",
        EVERY,
        lambda: release.wait(5),
        lambda: open_state_db(state_database),
        settings,
    )
    runner = threading.Thread(target=slow)
    runner.start()
    other = RunClaims(open_state(state_database))
    period = period_of(datetime.now(UTC), EVERY)
    try:
        for _ in range(8):  # 2 s: more than three leases
            release.wait(0.25)
            now = datetime.now(UTC)
            lease = timedelta(seconds=settings.lease_seconds)
            assert other.claim("sync:salesforce", period, "other:9:9", now, lease) is None
    finally:
        release.set()
        runner.join()


def test_the_loop_logs_nothing_for_a_check_that_ran_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    said = iter([NOT_DUE, NOT_DUE, None])
    loop = SyncLoop(lambda: next(said), timedelta(seconds=1), logger=logging.getLogger("t"))
    with caplog.at_level(logging.INFO, logger="t"):
        for _ in range(3):
            loop.tick()
    assert [r.message for r in caplog.records] == ["scheduled sync done"]
    assert loop.runs == 1


def test_runs_never_overlap_and_a_dead_earlier_run_is_abandoned(
    state_database: str, open_state: Opener
) -> None:
    db = open_state(state_database)
    claims, lease = RunClaims(db), timedelta(seconds=60)
    p1, p2 = period_of(T0, EVERY), period_of(T0 + EVERY, EVERY)
    assert claims.claim("sync:salesforce", p1, "slow:1:1", T0, lease) == 1
    # the next period has begun, but the first sync is still running (its lease renewed)
    assert claims.renew("sync:salesforce", p1, "slow:1:1", T0 + EVERY + lease)
    assert claims.claim("sync:salesforce", p2, "b:2:2", T0 + EVERY, lease) is None
    claims.finish("sync:salesforce", p1, "slow:1:1", "done")
    assert claims.claim("sync:salesforce", p2, "b:2:2", T0 + EVERY + timedelta(seconds=1), lease)
    # a run whose replica died and whose period is over is marked abandoned by the next one
    p3 = period_of(T0 + 2 * EVERY, EVERY)
    late = T0 + 2 * EVERY + lease
    assert claims.claim("sync:salesforce", p3, "c:3:3", late, lease) == 1
    rows = db.query("SELECT status, error FROM scheduled_runs ORDER BY period")
    assert rows == [
        {"status": "done", "error": None},
        {"status": "failed", "error": "abandoned: its replica stopped renewing the lease"},
        {"status": "running", "error": None},
    ]
