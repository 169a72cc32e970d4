"""Two `kpibot serve` replicas (real gunicorn + bolt subprocesses) sharing one state database —
a SQLite file on one machine, or a PostgreSQL server as behind a load balancer: every Slack
event is answered once however many replicas and retries receive it, a digest due on both is
sent once, and a send whose replica is SIGKILLed half-way is finished once by the other.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests import slack_harness as H
from tests.slack_emulator import SlackEmulator

ORG_TZ = "Asia/Shanghai"  # the harness's org time zone
DIGESTS = "C0DIGEST1"  # the digest channel (configured channels are ids of 9+ characters)


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with H.workspace() as emulator:
        emulator.add_channel(DIGESTS, "sales-digest")
        yield emulator


def test_the_same_events_and_retries_on_two_replicas_are_answered_once(
    slack: SlackEmulator, tmp_path: Path, state_database: str
) -> None:
    with H.replicas(slack, tmp_path, state_database) as (a, b):
        da, db = H.driver(a), H.driver(b)
        # The load balancer sends the first delivery to A and Slack's retries to B, and back.
        first = da.mention(H.ALICE, H.SALES, "calls this week", event_id="EvREPLICA1")
        again = db.mention(
            H.ALICE, H.SALES, "calls this week", ts=first.ts, event_id="EvREPLICA1", retry_num=1
        )
        third = da.mention(
            H.ALICE, H.SALES, "calls this week", ts=first.ts, event_id="EvREPLICA1", retry_num=2
        )
        # A second event delivered to both at once (a retry racing the slow first delivery).
        second = db.mention(H.BOB, H.SALES, "connect rate by weekday last 31 days")
        raced = da.mention(
            H.BOB,
            H.SALES,
            "connect rate by weekday last 31 days",
            ts=second.ts,
            event_id=second.event_id,
            retry_num=1,
        )
        assert {d.status for d in (first, again, third, second, raced)} == {200}
        slack.wait_for("files.completeUploadExternal", 2)
        slack.settle(quiet=1.0)
        answered = [m.thread_ts for m in H.answers(slack, H.SALES)]
        assert sorted(answered) == sorted([first.ts, second.ts])
        assert len(slack.calls_to("files.completeUploadExternal")) == 2
        # Each question is in the shared audit log once, whichever replica answered it.
        audit = a.audit()
        assert sorted(r["question"] for r in audit) == [
            "calls this week",
            "connect rate by weekday last 31 days",
        ]
        assert [r["outcome"] for r in audit] == ["answered", "answered"]


def _due_digest(minutes_ago: int, **delivery: Any) -> dict[str, Any]:
    """A digest whose daily time passed ``minutes_ago`` minutes ago (caught up within grace)."""
    at = datetime.now(ZoneInfo(ORG_TZ)) - timedelta(minutes=minutes_ago)
    return {
        "digests": [
            {
                "name": "morning",
                "channel": DIGESTS,
                "schedule": f"daily {at:%H:%M}",
                "questions": ["calls this week", "connect rate by weekday last 31 days"],
            }
        ],
        "digest_delivery": {"tick_seconds": 0.2, "retry_base_seconds": 0.05, **delivery},
    }


def headlines(slack: SlackEmulator) -> list[Any]:
    return [m for m in slack.messages(DIGESTS) if m.thread_ts is None]


def test_a_digest_due_on_both_replicas_is_sent_once(
    slack: SlackEmulator, tmp_path: Path, state_database: str
) -> None:
    with H.replicas(slack, tmp_path, state_database, settings=_due_digest(2)) as (a, b):
        slack.wait_for(lambda: len(slack.calls_to("files.completeUploadExternal")) >= 2, timeout=60)
        time.sleep(2.0)  # ten more ticks on each replica: nothing more may be posted
        slack.settle()
        rows = _when_finished(a)
    assert len(headlines(slack)) == 1
    top = headlines(slack)[0]
    assert top.text.startswith("morning · ")
    thread = slack.messages(DIGESTS, thread_ts=top.ts)
    assert [m.text.split(" · ")[0] for m in thread] == ["*[calls]", "*[connect rate] by [weekday]"]
    assert [(r["status"], r["attempts"]) for r in rows] == [("sent", 1)]


def test_a_replica_killed_mid_send_is_recovered_once_by_the_other(
    slack: SlackEmulator, tmp_path: Path, state_database: str
) -> None:
    # The first chart upload hangs: whichever replica claims the send posts its headline and
    # then waits on Slack until it is killed. An 8 s lease lets the survivor take over soon
    # (and is long enough that, on a loaded machine, nobody takes over before the kill).
    slack.fail("upload", delay=60)
    with H.replicas(
        slack, tmp_path, state_database, settings=_due_digest(2, lease_seconds=8)
    ) as bots:
        slack.wait_for(lambda: len(headlines(slack)) == 1, timeout=60)
        rows = bots[0].state_rows("SELECT owner, status FROM digest_sends")
        assert [r["status"] for r in rows] == ["sending"], rows
        owner_pid = int(rows[0]["owner"].split(":")[1])  # host:pid:thread:…
        victim = next(b for b in bots if b.proc.pid in (owner_pid, _parent(owner_pid)))
        H.kill(victim)  # its gunicorn worker (the claim's owner) and its master
        slack.wait_for(lambda: len(slack.calls_to("files.completeUploadExternal")) >= 2, timeout=60)
        slack.settle()
        done = _when_finished(bots[0])
    assert len(headlines(slack)) == 1  # the survivor found it by its send key, not re-posted
    top = headlines(slack)[0]
    thread = slack.messages(DIGESTS, thread_ts=top.ts)
    assert [m.text.split(" · ")[0] for m in thread] == ["*[calls]", "*[connect rate] by [weekday]"]
    # Taken over at least once (on a loaded machine the lease may run out once more while
    # the survivor works; each take-over checks Slack first, so nothing is posted twice).
    assert [r["status"] for r in done] == ["sent"] and done[0]["attempts"] >= 2
    assert int(done[0]["owner"].split(":")[1]) != owner_pid


def _when_finished(bot: H.Bot, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The send rows once none is ``sending`` (the survivor marks it after its last post)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = bot.state_rows("SELECT status, attempts, owner FROM digest_sends")
        if all(r["status"] != "sending" for r in rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def _parent(pid: int) -> int:
    """The parent process id (Linux /proc): a gunicorn worker's master."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])
