"""The send log is the mutex: racing connections and real processes claim each send once."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.digests.state import LostClaim, StateStore, send_key

T0 = datetime(2024, 3, 11, 13, tzinfo=UTC)
LEASE = timedelta(minutes=10)


def test_send_key_is_utc() -> None:
    local = T0.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert send_key("digest:morning", local) == "digest:morning@2024-03-11T13:00:00Z"


def test_two_connections_racing_claim_each_send_once(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    stores = [StateStore(path), StateStore(path)]
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
store = StateStore(sys.argv[1])
t0 = datetime(2024, 3, 11, 13, tzinfo=UTC)
sys.stdin.readline()  # start together
for i in range(40):
    k = send_key("digest:d", t0 + timedelta(hours=i))
    if store.claim(k, "digest:d", t0, "C1", owner=sys.argv[2], now=t0, lease=timedelta(minutes=10)):
        print(k, flush=True)
"""


def test_two_processes_claim_each_send_once(tmp_path: Path) -> None:
    path = str(tmp_path / "state.sqlite")
    StateStore(path).close()  # create the schema before the race
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


def test_an_expired_lease_is_recovered_once_and_the_old_owner_is_locked_out(tmp_path: Path) -> None:
    a, b = StateStore(tmp_path / "s.sqlite"), StateStore(tmp_path / "s.sqlite")
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


def test_subscriptions_survive_reopening(tmp_path: Path) -> None:
    s = StateStore(tmp_path / "s.sqlite")
    n = s.add_subscription("C1", "daily 09:00", "UTC", "leads yesterday", "U1", T0)
    s.add_subscription("C2", "daily 10:00", "UTC", "calls yesterday", "U2", T0)
    s.close()
    s2 = StateStore(tmp_path / "s.sqlite")
    assert [(x.id, x.question) for x in s2.subscriptions("C1")] == [(n, "leads yesterday")]
    assert not s2.remove_subscription(n, "C2")  # only from the channel it was made in
    assert s2.remove_subscription(n, "C1")
    assert [x.channel for x in s2.subscriptions()] == ["C2"]
