"""Property: any seeded sequence of org changes, faults and kills ends with cache == org.

Each step changes the org at random, arms a random fault (5xx burst, expired session, API limit,
QUERY_TIMEOUT, slow page, failed Bulk job, or a kill at a random page), and syncs. A kill is
simulated in-process by an observer raising a BaseException mid-fetch: ``open_writer`` then
discards the pending snapshot exactly as the next writer removes a SIGKILLed one (the real
SIGKILL is in test_sync_kill.py). Invariants: a killed or stopped sync never changes what an
unfinished object shows; a sync that ends ok matches the org exactly.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest

from cache import schema
from salesforce.errors import SyncError
from salesforce.settings import SalesforceSettings
from tests.sf_emulator import Emulator, Org
from tests.sf_emulator.harness import (
    assert_matches_org,
    cache_rows,
    client,
    meta,
    run,
    seed,
    task_values,
)


class Killed(BaseException):
    """Stands in for SIGKILL: not an Exception, so nothing in the sync may swallow it."""


class KillAfter:
    def __init__(self, pages: int):
        self.left = pages

    def begin(self, obj: str, total: int, api: str) -> None: ...

    def warn(self, message: str) -> None: ...

    def advance(self, obj: str, n: int) -> None:
        self.left -= 1
        if self.left < 0:
            raise Killed


def _mutate(org: Org, rng: random.Random) -> None:
    for _ in range(rng.randint(0, 12)):
        obj = rng.choice(["Task", "Task", "Lead", "Opportunity", "Event", "Account"])
        live = org.live_ids(obj)
        op = rng.random()
        if op < 0.4 or not live:
            values = task_values(rng) if obj == "Task" else {}
            if obj in ("Lead", "Opportunity", "Event"):
                values = {"OwnerId": "005000000000009AAA"}
            if obj in ("Account", "Opportunity"):
                values["Name"] = f"n{rng.randint(0, 99)}"
            org.insert(obj, values)
        elif op < 0.8:
            rid = rng.choice(live)
            field = {
                "Task": "Status",
                "Lead": "Status",
                "Opportunity": "StageName",
                "Event": "Subject",
                "Account": "Industry",
            }[obj]
            # Some writes are stamped a little in the past: late commits the overlap must catch.
            stamp = org.now_ms() - rng.choice([0, 0, 60_000])
            org.update(obj, rid, {field: f"v{rng.randint(0, 999)}"}, stamp=stamp)
        else:
            org.delete(obj, rng.choice(live))


FAULTS = ["none", "5xx", "expire", "limit", "query_timeout", "slow", "bulk_fail", "kill"]


def _arm(emu: Emulator, rng: random.Random, fault: str) -> tuple[str, object]:
    obj = rng.choice([o.name for o in schema.OBJECTS])
    if fault == "5xx":
        emu.fail(
            rng.choice(["count", "query", "query_more", "describe"]),
            rng.choice([500, 503]),
            obj=obj,
            times=rng.randint(1, 3),
        )
    elif fault == "expire":
        emu.expire(rng.choice(["count", "query", "bulk_poll", "bulk_results"]), obj=obj)
    elif fault == "limit":
        emu.limit_after(rng.randint(0, 30))
    elif fault == "query_timeout":
        emu.query_timeout_wider_than = timedelta(days=rng.choice([30, 120, 400]))
    elif fault == "slow":
        emu.delay("query_more", 0.5, obj="Task")
    elif fault == "bulk_fail":
        emu.failing_jobs = ["InvalidBatch : Failed to process query"]
    elif fault == "kill":
        return fault, KillAfter(rng.randint(0, 6))
    return fault, None


@pytest.mark.parametrize("seed_", [202, 303])
def test_random_changes_faults_and_kills_end_with_the_orgs_records(
    tmp_path: Path, monkeypatch, seed_: int
) -> None:
    rng = random.Random(seed_)
    org = Org()
    seed(org, rng, tasks=35, per_object=4)
    db = tmp_path / "kpibot.duckdb"
    settings = SalesforceSettings(bulk_threshold=15, overlap="5m")
    with Emulator(tmp_path / "emu", org, page_size=6) as emu:
        api = client(emu, monkeypatch, "password", timeout=0.3)
        # Every kind of fault once, in a seeded order, plus as many more at random.
        plan = rng.sample(FAULTS, len(FAULTS)) + [rng.choice(FAULTS) for _ in range(2)]
        for planned in plan:
            _mutate(org, rng)
            fault, observer = _arm(emu, rng, planned)
            before = (
                {o.name: cache_rows(db, o.name) for o in schema.OBJECTS} if db.exists() else None
            )
            meta_before = meta(db) if db.exists() else {}
            try:
                res = run(api, db, settings, observer=observer, bulk_page_size=7)
            except (Killed, SyncError):  # killed, or stopped before the cache was opened
                res = None
            if res is None or not res.ok:
                # A kill discards everything; a stop keeps what finished (whole objects, and the
                # committed windows of the one it stopped in): objects not reached are untouched.
                reached = {o.name for o in res.objects} if res else set()
                for o in schema.OBJECTS:
                    if o.name not in reached and before is not None:
                        assert cache_rows(db, o.name) == before[o.name], (fault, o.name)
                        if res is None:
                            assert meta(db).get(o.name) == meta_before.get(o.name)
            else:
                assert_matches_org(db, org)
            emu.clear_faults()
            emu.query_timeout_wider_than = None
            emu.failing_jobs = []
        final = run(api, db, settings, bulk_page_size=7)
        assert final.ok
        assert_matches_org(db, org)
