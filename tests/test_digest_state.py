"""The send log is the mutex: racing connections and real processes claim each send once, on a
SQLite file and on PostgreSQL alike (``state_database``)."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.digests.state import LostClaim, StateStore, send_key
from bot.state_db import open_state_db
from tests.state_connections import Opener

T0 = datetime(2024, 3, 11, 13, tzinfo=UTC)
LEASE = timedelta(minutes=10)


def test_send_key_is_utc() -> None:
    local = T0.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert send_key("digest:morning", local) == "digest:morning@2024-03-11T13:00:00Z"


def test_two_connections_racing_claim_each_send_once(
    state_database: str, open_state: Opener
) -> None:
    stores = [StateStore(open_state(state_database)), StateStore(open_state(state_database))]
    keys = [send_key("digest:d", T0 + timedelta(hours=i)) for i in range(60)]
    won: list[list[str]] = [[], []]
    barrier = threading.Barrier(2)

    def race(i: int) -> None:
        barrier.wait()
        for k in keys:
            if stores[i].claim(k, "digest:d", T0, "C1", owner=f"p{i}", now=T0, lease=LEASE):
                won[i].append(k)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(won[0] + won[1]) == sorted(keys)
    assert not set(won[0]) & set(won[1])


CLAIMER = """
import sys
from datetime import UTC, datetime, timedelta
from bot.digests.state import StateStore, send_key
from bot.state_db import open_state_db
from tests.state_connections import Opener
store = StateStore(open_state_db(sys.argv[1]))
t0 = datetime(2024, 3, 11, 13, tzinfo=UTC)
sys.stdin.readline()  # start together
for i in range(40):
    k = send_key("digest:d", t0 + timedelta(hours=i))
    if store.claim(k, "digest:d", t0, "C1", owner=sys.argv[2], now=t0, lease=timedelta(minutes=10)):
        print(k, flush=True)
"""


def test_two_processes_claim_each_send_once(state_database: str) -> None:
    path = state_database
    StateStore(open_state_db(path)).close()  # create the schema before the race
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, path, f"p{i}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parent.parent,
        )
        for i in range(2)
    ]
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    outs = [p.communicate(timeout=60)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    expected = [send_key("digest:d", T0 + timedelta(hours=i)) for i in range(40)]
    assert sorted(outs[0] + outs[1]) == sorted(expected)
    assert not set(outs[0]) & set(outs[1])


def test_an_expired_lease_is_recovered_once_and_the_old_owner_is_locked_out(
    state_database: str, open_state: Opener
) -> None:
    a, b = StateStore(open_state(state_database)), StateStore(open_state(state_database))
    k = send_key("digest:d", T0)
    first = a.claim(k, "digest:d", T0, "C1", owner="a", now=T0, lease=LEASE)
    assert first is not None and not first.recovering
    assert (
        b.claim(k, "digest:d", T0, "C1", owner="b", now=T0 + timedelta(minutes=5), lease=LEASE)
        is None
    )
    later = T0 + timedelta(minutes=11)
    taken = b.claim(k, "digest:d", T0, "C1", owner="b", now=later, lease=LEASE)
    assert taken is not None and taken.recovering and taken.row.attempts == 2
    assert a.claim(k, "digest:d", T0, "C1", owner="a", now=later, lease=LEASE) is None
    with pytest.raises(LostClaim):
        a.record_headline(k, "a", "C1", "1.1")
    b.finish(k, "b", "sent", now=later, outcome="digest")
    row = a.get(k)
    assert row is not None and (row.status, row.owner, row.outcome) == ("sent", "b", "digest")
    # A finished send is never claimed again, however old.
    assert (
        a.claim(k, "digest:d", T0, "C1", owner="a", now=later + timedelta(days=9), lease=LEASE)
        is None
    )


def test_subscriptions_survive_reopening(state_database: str, open_state: Opener) -> None:
    s = StateStore(open_state(state_database))
    n = s.add_subscription("C1", "daily 09:00", "UTC", "leads yesterday", "U1", T0)
    s.add_subscription("C2", "daily 10:00", "UTC", "calls yesterday", "U2", T0)
    s.close()
    s2 = StateStore(open_state(state_database))
    assert [(x.id, x.question) for x in s2.subscriptions("C1")] == [(n, "leads yesterday")]
    assert [x.id for x in s2.subscriptions(created_by="U1")] == [n]
    assert not s2.remove_subscription(n, created_by="U2")  # only by the person who made it
    assert s2.remove_subscription(n, created_by="U1")
    assert not s2.remove_subscription(n, created_by=None)  # already stopped
    assert [x.channel for x in s2.subscriptions()] == ["C2"]


def test_a_failed_send_is_retried_by_one_claimer_and_reported_by_one(
    state_database: str, open_state: Opener
) -> None:
    a, b = StateStore(open_state(state_database)), StateStore(open_state(state_database))
    key = send_key("digest:x", T0)
    lease = timedelta(minutes=10)
    assert a.claim(key, "digest:x", T0, "C1", owner="a", now=T0, lease=lease) is not None
    a.finish(key, "a", "failed", now=T0, error="ratelimited")
    # Without retry_of a failed send stays failed (a manual run does not repeat it blindly).
    assert b.claim(key, "digest:x", T0, "C1", owner="b", now=T0, lease=lease) is None
    # Both saw it failed after 1 attempt: one of them gets the retry.
    won = [
        s.claim(key, "digest:x", T0, "C1", owner=o, now=T0, lease=lease, retry_of=1)
        for s, o in ((a, "a"), (b, "b"))
    ]
    assert [c is not None for c in won] == [True, False]
    assert won[0] is not None and (won[0].row.attempts, won[0].recovering) == (2, False)
    a.finish(key, "a", "failed", now=T0, error="ratelimited")
    assert [s.mark_reported(key) for s in (a, b, a)] == [True, False, False]


def test_a_store_from_before_retries_gets_the_reported_column(
    tmp_path: Path, open_state: Opener
) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite"
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE digest_sends (key TEXT PRIMARY KEY, job TEXT NOT NULL, scheduled_utc TEXT"
        " NOT NULL, channel TEXT NOT NULL, status TEXT NOT NULL, owner TEXT NOT NULL,"
        " lease_until TEXT NOT NULL, claimed_at TEXT NOT NULL, attempts INTEGER NOT NULL"
        " DEFAULT 1, channel_id TEXT, message_ts TEXT, thread_done INTEGER NOT NULL DEFAULT 0,"
        " outcome TEXT, error TEXT, finished_at TEXT)"
    )
    con.execute(
        "INSERT INTO digest_sends (key, job, scheduled_utc, channel, status, owner, lease_until,"
        " claimed_at, error, finished_at) VALUES ('k', 'digest:x', ?, 'C1', 'failed', 'a', ?, ?,"
        " 'channel_not_found', ?)",
        (T0.isoformat(),) * 4,
    )
    con.commit()
    con.close()
    store = StateStore(open_state(path))
    row = store.get("k")
    # Failures recorded by the old code were reported when they happened: not again.
    assert row is not None and row.reported == 1
    assert store.unreported_failures(T0 + timedelta(days=1)) == []
