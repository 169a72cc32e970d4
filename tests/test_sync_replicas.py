"""Scheduled Salesforce syncs on two `kpibot serve` replicas sharing one state database (one
PostgreSQL server, or one SQLite file) and one cache volume: each period's sync is run by one
replica, and a replica killed mid-sync has its period taken over by the other once its lease ran
out. Real gunicorn + bolt subprocesses, real `kpibot sync` children against the loopback
Salesforce emulator.

How many syncs ran is read off the emulator: every sync starts with a ``SELECT COUNT() FROM
User`` and ends with the UserRole query (salesforce/objects.py's order), never from the bot's
own records.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests import slack_harness as H
from tests.sf_emulator import Emulator, Org
from tests.sf_emulator.harness import seed


def syncs_started(emu: Emulator) -> int:
    return sum(
        1
        for k, q in list(emu.queries)
        if k == "count" and re.match(r"SELECT COUNT\(\) FROM User( |$)", q)
    )


def syncs_finished(emu: Emulator) -> int:
    return sum(1 for k, q in list(emu.queries) if k == "query" and " FROM UserRole " in q)


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    org = Org()
    seed(org, random.Random(11), tasks=20)
    with Emulator(tmp_path / "sf", org) as e:
        yield e


@contextmanager
def syncing_replicas(
    tmp_path: Path, state_database: str, emu: Emulator, every: str, **runs: Any
) -> Iterator[list[H.Bot]]:
    """Two replicas syncing every ``every`` from the emulator into one cache volume."""
    shared = tmp_path / "cache"  # one cache volume, mounted by both
    shared.mkdir()
    settings = {
        "database": str(shared / "kpibot.duckdb"),
        "salesforce": {"sync_every": every, "bulk_threshold": 100_000},
        "scheduled_runs": {"check_seconds": 0.25, **runs},
    }
    with (
        H.workspace() as slack,
        H.replicas(
            slack, tmp_path, state_database, settings=settings, env=emu.env("token")
        ) as bots,
    ):
        yield bots


def runs(bot: H.Bot) -> list[dict[str, Any]]:
    return bot.state_rows(
        "SELECT period, status, owner, attempts FROM scheduled_runs"
        " WHERE job = 'sync:salesforce' ORDER BY period"
    )


def test_each_period_is_synced_by_one_replica(
    tmp_path: Path, state_database: str, emu: Emulator
) -> None:
    with syncing_replicas(tmp_path, state_database, emu, "5s") as (a, _b):
        deadline = time.monotonic() + 240  # the first sync is a full one: slow on a loaded machine
        while len([r for r in runs(a) if r["status"] == "done"]) < 3:
            assert time.monotonic() < deadline, runs(a)
            time.sleep(0.2)
    # The logs are read with the rows, once both replicas stopped: read before, a sync done in
    # the seconds before the shutdown was in the rows and not yet in the logs (3 ≠ 4).
    logs = "".join(b.log() for b in (a, _b))
    # Both replicas stopped. Every sync that reached Salesforce had claimed its period, and
    # every period marked done was synced to its end: one sync per period, whichever replica
    # claimed it. (Both checked every 0.25 s: without the claim, each 5 s period would have
    # been synced twice.)
    claimed = runs(a)
    done = [r for r in claimed if r["status"] == "done"]
    assert len(done) <= syncs_finished(emu) <= syncs_started(emu) <= len(claimed)
    assert len(claimed) - len(done) <= 2  # at most one per replica, cut off by the shutdown
    assert all(r["attempts"] == 1 for r in claimed)
    assert logs.count("scheduled sync done") == len(done)
    assert "Traceback" not in logs


def test_a_replica_killed_mid_sync_has_its_period_taken_over_once(
    tmp_path: Path, state_database: str, emu: Emulator
) -> None:
    """The first sync's Task query hangs; the replica running it is killed with its sync. The
    period (a week long: no new period starts during the test) is taken over by the other
    replica after the 2 s lease, synced once, and not again."""
    emu.block("query", obj="Task")
    with syncing_replicas(tmp_path, state_database, emu, "7d", lease_seconds=2) as bots:
        emu.faults[0].reached.wait(60)
        [claimed] = runs(bots[0])
        assert claimed["status"] == "running" and claimed["attempts"] == 1
        owner_pid = int(claimed["owner"].split(":")[1])  # host:pid:thread
        victim = next(b for b in bots if b.proc.pid == owner_pid)
        survivor = next(b for b in bots if b is not victim)
        H.kill(victim)
        deadline = time.monotonic() + 60
        while runs(survivor)[0]["status"] != "done":
            assert time.monotonic() < deadline, runs(survivor)
            time.sleep(0.2)
        time.sleep(2.0)  # eight more checks on the survivor: the period is done, nothing runs
        [done] = runs(survivor)
        log = survivor.log()
    assert done["period"] == claimed["period"]
    assert done["attempts"] == 2 and int(done["owner"].split(":")[1]) == survivor.proc.pid
    assert (syncs_started(emu), syncs_finished(emu)) == (2, 1)  # the dead one's, the taken-over
    assert "taken over (attempt 2" in log and "scheduled sync done" in log
