"""Faults Salesforce throws at a sync: expired sessions, API limit, 5xx, timeouts, QUERY_TIMEOUT."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest

from salesforce.errors import AuthFailed, LimitExceeded, NetworkError, SalesforceRefused
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


@pytest.fixture
def emu(tmp_path: Path):
    org = Org()
    seed(org, random.Random(11), tasks=40)
    with Emulator(tmp_path / "emu", org, page_size=9) as e:
        yield e


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "kpibot.duckdb"


BULK = SalesforceSettings(bulk_threshold=25)


@pytest.mark.parametrize("kind", ["query", "query_more", "describe", "count"])
def test_expired_session_logs_in_again_and_continues(
    emu: Emulator, db: Path, monkeypatch, kind: str
) -> None:
    api = client(emu, monkeypatch, "password")
    emu.expire(kind, obj="Task")
    res = run(api, db)
    assert res.ok and emu.logins == 2
    assert_matches_org(db, emu.org)


@pytest.mark.parametrize("kind", ["bulk_create", "bulk_poll", "bulk_results"])
def test_expired_session_during_a_bulk_job_logs_in_again_and_reruns_it(
    emu: Emulator, db: Path, monkeypatch, kind: str
) -> None:
    api = client(emu, monkeypatch, "client")
    emu.expire(kind, obj="Task")
    res = run(api, db, BULK, bulk_page_size=10)
    assert res.ok and emu.logins == 2 and {o.name: o.api for o in res.objects}["Task"] == "bulk"
    assert_matches_org(db, emu.org)


def test_an_expired_access_token_cannot_be_renewed_and_says_so(
    emu: Emulator, db: Path, monkeypatch
) -> None:
    api = client(emu, monkeypatch, "token")
    emu.expire("query", obj="Lead")
    res = run(api, db)
    assert isinstance(res.error, AuthFailed) and "SF_ACCESS_TOKEN" in str(res.error)
    # User, Account, Contact were finished before it and are published; Lead onwards are not.
    assert [o.name for o in res.objects if o.complete] == ["User", "Account", "Contact"]
    assert set(meta(db)) == {"User", "Account", "Contact"}
    assert cache_rows(db, "Account") == emu.org.expected("Account")


def test_request_limit_stops_cleanly_keeping_finished_objects_then_resumes(
    emu: Emulator, db: Path, monkeypatch
) -> None:
    api = client(emu, monkeypatch)
    run(api, db)
    before = meta(db)
    rng = random.Random(3)
    for rid in emu.org.live_ids("Task")[:3]:
        emu.org.update("Task", rid, {"Status": "Deferred"})
    emu.org.update("Account", emu.org.live_ids("Account")[0], {"Industry": "Retail"})
    emu.org.insert("Event", {"OwnerId": "005x", "Type": "Meeting"})
    emu.org.insert("Task", task_values(rng))
    sleeps: list[float] = []
    api.sleep = sleeps.append
    emu.limit_after(14)  # Users, Accounts, Contacts, Leads (3 calls each) + 2 into Opportunity
    res = run(api, db)
    assert isinstance(res.error, LimitExceeded) and "TotalRequests Limit exceeded" in str(res.error)
    assert sleeps == []  # never retried: that would only burn more of the quota
    assert [o.name for o in res.objects if o.complete] == ["User", "Account", "Contact", "Lead"]
    after = meta(db)
    assert cache_rows(db, "Account") == emu.org.expected("Account")  # published
    for obj in ("Opportunity", "Task", "Event"):  # untouched, watermark and all
        assert after[obj] == before[obj]
    assert cache_rows(db, "Task") != emu.org.expected("Task")
    emu.clear_faults()
    assert run(api, db).ok
    assert_matches_org(db, emu.org)


def test_server_errors_are_retried_with_backoff(emu: Emulator, db: Path, monkeypatch) -> None:
    sleeps: list[float] = []
    api = client(emu, monkeypatch, sleep=sleeps.append)
    emu.fail("query_more", 503, obj="Task", times=2)
    emu.fail("count", 500, obj="Lead")
    emu.fail("describe", 502, obj="Event", code="BAD_GATEWAY")
    assert run(api, db).ok
    assert_matches_org(db, emu.org)
    assert sleeps == [1.0, 1.0, 2.0, 1.0]


def test_retries_are_bounded(emu: Emulator, db: Path, monkeypatch) -> None:
    sleeps: list[float] = []
    api = client(emu, monkeypatch, sleep=sleeps.append)
    emu.fail("query", 503, obj="Task", times=100)
    res = run(api, db)
    assert isinstance(res.error, SalesforceRefused) and "after 5 attempt(s)" in str(res.error)
    assert sleeps == [1.0, 2.0, 4.0, 8.0]
    assert "Task" not in meta(db) and "Lead" in meta(db)


def test_slow_responses_time_out_and_are_retried(emu: Emulator, db: Path, monkeypatch) -> None:
    api = client(emu, monkeypatch, timeout=0.3)
    emu.delay("query_more", 1.0, obj="Task")
    assert run(api, db).ok
    assert_matches_org(db, emu.org)
    assert emu.calls["query_more"] > 4


def test_a_server_that_never_answers_in_time_is_reported(
    emu: Emulator, db: Path, monkeypatch
) -> None:
    api = client(emu, monkeypatch, timeout=0.2, attempts=2)
    emu.delay("count", 0.6, obj="Lead", times=5)
    res = run(api, db)
    assert isinstance(res.error, NetworkError) and "ReadTimeout" not in str(res.error)[:0]
    assert "Could not reach Salesforce" in str(res.error)


def test_query_timeout_splits_into_smaller_windows(emu: Emulator, db: Path, monkeypatch) -> None:
    emu.query_timeout_wider_than = timedelta(days=90)
    res = run(client(emu, monkeypatch), db)
    assert res.ok
    assert_matches_org(db, emu.org)
    windows = [q for k, q in emu.queries if k == "query" and "FROM Task WHERE" in q]
    # The oldest Task was probed once, then the windows start there and each is < 90 days.
    assert any(q.endswith("ORDER BY SystemModstamp ASC LIMIT 1") for k, q in emu.queries)
    assert len(windows) > 2 and all("SystemModstamp < " in q for q in windows[:-1])
    assert windows[-1].count("SystemModstamp >= ") == 1 and "SystemModstamp < " not in windows[-1]


def test_query_timeout_in_a_bulk_job_splits_too(emu: Emulator, db: Path, monkeypatch) -> None:
    emu.query_timeout_wider_than = timedelta(days=200)
    res = run(client(emu, monkeypatch), db, SalesforceSettings(bulk_threshold=5))
    assert res.ok
    assert_matches_org(db, emu.org)
    assert sum(1 for k, q in emu.queries if k == "bulk" and "FROM Task" in q) >= 2


def test_a_failed_bulk_job_falls_back_to_rest(emu: Emulator, db: Path, monkeypatch) -> None:
    emu.failing_jobs = ["InvalidBatch : Failed to process query: FUNCTIONALITY_NOT_ENABLED"]
    warnings: list[str] = []

    class Obs:
        def begin(self, obj: str, total: int, api: str) -> None: ...
        def advance(self, obj: str, n: int) -> None: ...
        def warn(self, message: str) -> None:
            warnings.append(message)

    res = run(client(emu, monkeypatch), db, BULK, observer=Obs())
    assert res.ok and {o.name: o.api for o in res.objects}["Task"] == "rest"
    assert_matches_org(db, emu.org)
    assert any("FUNCTIONALITY_NOT_ENABLED" in w and "REST" in w for w in warnings)


def test_a_failed_bulk_results_page_reruns_the_job_without_doubling(
    emu: Emulator, db: Path, monkeypatch
) -> None:
    emu.fail("bulk_results", 503, obj="Task", after=2)
    res = run(client(emu, monkeypatch), db, BULK, bulk_page_size=8)
    assert res.ok and emu.calls["bulk_create"] == 2
    assert_matches_org(db, emu.org)
    assert {o.name: o.fetched for o in res.objects}["Task"] == len(emu.org.records["Task"])
