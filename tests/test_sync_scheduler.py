"""SyncLoop: syncs on schedule, survives failures, stops promptly; data as of = the last sync."""

from __future__ import annotations

import logging
import random
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from cache.snapshot import SnapshotReader
from salesforce.errors import NetworkError
from salesforce.scheduler import SyncLoop
from salesforce.settings import SalesforceSettings
from tests.sf_emulator import Emulator, Org
from tests.sf_emulator.harness import client, run, seed


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now


def test_failures_are_logged_and_the_loop_keeps_its_schedule(
    caplog: pytest.LogCaptureFixture,
) -> None:
    t = FakeTime()
    outcomes = iter([NetworkError("down"), RuntimeError("bug"), "ok", "ok"])
    loop: SyncLoop

    def run_once() -> object:
        t.now += 40  # each sync takes 40 s
        out = next(outcomes)
        if isinstance(out, BaseException):
            raise out
        return None

    def sleep(seconds: float) -> None:
        t.sleeps.append(seconds)
        t.now += seconds
        if len(t.sleeps) == 4:
            loop.stop()

    loop = SyncLoop(run_once, timedelta(minutes=15), clock=t.clock, sleep=sleep)
    with caplog.at_level(logging.INFO, logger="salesforce.scheduler"):
        loop.run()  # in this thread: the fake sleep stops it after four runs
    assert loop.runs == 4 and loop.failures == 2 and loop.last_error is None
    assert t.sleeps == [860.0] * 4  # every 15 minutes from the start of each run
    text = caplog.text
    assert (
        "scheduled sync failed: down" in text
        and "scheduled sync crashed" in text
        and "RuntimeError: bug" in text
    )


def test_stop_wakes_the_default_sleep() -> None:
    ran = threading.Event()
    loop = SyncLoop(ran.set, timedelta(hours=1))
    loop.start()
    assert ran.wait(5)
    loop.stop()
    loop.join(5)
    assert not loop.is_alive()


def test_off_when_sync_every_is_zero(tmp_path: Path) -> None:
    assert SyncLoop.from_settings(tmp_path / "db", SalesforceSettings(sync_every="0")) is None
    loop = SyncLoop.from_settings(tmp_path / "db", SalesforceSettings(sync_every="30s"))
    assert loop is not None and loop.every == 30


def test_scheduled_syncs_against_the_emulator_move_data_as_of(tmp_path: Path, monkeypatch) -> None:
    org = Org()
    seed(org, random.Random(3), tasks=5, per_object=2)
    clock = {"ms": 1_780_000_000_000}
    org._now = lambda: clock["ms"]  # the org's clock, and so its HTTP Date header
    db = tmp_path / "kpibot.duckdb"
    with Emulator(tmp_path / "emu", org) as emu:
        api = client(emu, monkeypatch)
        stamps = []
        loop: SyncLoop

        def once() -> object:
            res = run(api, db)
            stamps.append(res.started_at)
            return res

        def sleep(_: float) -> None:
            clock["ms"] += 900_000  # 15 minutes pass on Salesforce's side
            if len(stamps) == 3:
                loop.stop()

        loop = SyncLoop(once, timedelta(minutes=15), sleep=sleep)
        loop.run()
        reader = SnapshotReader(db)
        try:
            assert reader.data_as_of() == stamps[-1]
        finally:
            reader.close()
        assert [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:], strict=False)] == [
            900.0,
            900.0,
        ]
