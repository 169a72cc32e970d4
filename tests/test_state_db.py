"""The state database on both backends: numbered migrations applied once however many processes
open it at once, the stores' SQL on each, and a PostgreSQL URL in app.yaml."""

from __future__ import annotations

import gc
import threading
import warnings
from pathlib import Path

import psycopg
import pytest

from bot.audit import AuditLog
from bot.config import AppConfig
from bot.slack.dedupe import SeenEvents
from bot.state_connection import where
from bot.state_db import open_state_db
from bot.state_schema import MIGRATIONS, Migration, migrate
from metrics.errors import ConfigError, InternalError
from tests.pg_server import PgServer, free_port


def test_many_openers_at_once_migrate_once(state_database: str) -> None:
    opened = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def open_one() -> None:
        barrier.wait()
        try:
            opened.append(open_state_db(state_database))
        except BaseException as e:  # noqa: BLE001 - the assertion below shows it
            errors.append(e)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = opened[0].query("SELECT version FROM schema_version ORDER BY version")
    assert [r["version"] for r in rows] == [m.version for m in MIGRATIONS]
    assert migrate(opened[0]) == []  # nothing left to do
    for db in opened:
        db.close()


def test_a_new_migration_is_applied_once_and_recorded(state_database: str) -> None:
    db = open_state_db(state_database)
    extra = Migration(99, "test table", "CREATE TABLE t99 (id {serial_pk}, x TEXT NOT NULL)")
    assert migrate(db, (*MIGRATIONS, extra)) == [99]
    assert migrate(db, (*MIGRATIONS, extra)) == []
    ids = [db.one("INSERT INTO t99 (x) VALUES (?) RETURNING id", (x,)) for x in "ab"]
    assert [r and r["id"] for r in ids] == [1, 2]  # the dialect's auto-numbered id
    db.close()


def test_a_failed_transaction_leaves_nothing(state_database: str) -> None:
    db = open_state_db(state_database)
    with pytest.raises(RuntimeError), db.tx() as tx:
        tx.execute("INSERT INTO seen_events (event_id, seen_at) VALUES (?, ?)", ("Ev1", 1.5))
        raise RuntimeError("boom")
    assert db.query("SELECT * FROM seen_events") == []
    assert SeenEvents(db).first_time("Ev1") is True
    db.close()


def test_audit_and_seen_events_across_two_connections(state_database: str) -> None:
    a, b = open_state_db(state_database), open_state_db(state_database)
    assert [SeenEvents(a).first_time("Ev1"), SeenEvents(b).first_time("Ev1")] == [True, False]
    log_a, log_b = AuditLog(a), AuditLog(b)
    e1 = log_a.start(user="U1", channel="C1", source="dm", question="calls")
    e2 = log_b.start(user="U2", channel="C1", source="mention", question="leads")
    assert e2.id == e1.id + 1  # one numbering for all replicas
    log_b.finish(e1, outcome="answered", rows=3)
    rows = log_a.rows()
    assert [(r["question"], r["outcome"], r["row_count"]) for r in rows] == [
        ("calls", "answered", 3),
        ("leads", None, None),
    ]
    # seen_at is epoch seconds with sub-second precision on both (not PostgreSQL's 4-byte REAL)
    seen = a.one("SELECT seen_at FROM seen_events")
    assert seen is not None and seen["seen_at"] > 1.7e9 and seen["seen_at"] % 1 != 0
    a.close()
    b.close()


def test_a_postgresql_url_is_kept_as_written(tmp_path: Path) -> None:
    url = "postgresql://kpibot:s3cret@db.internal:5432/kpibot"
    cfg = AppConfig.model_validate({"state_database": url, "base_dir": tmp_path})
    assert cfg.state_location == url
    assert cfg.local_dir == tmp_path / "data"  # the cache's folder: the error log stays local
    file_cfg = AppConfig.model_validate({"state_database": "s/x.sqlite", "base_dir": tmp_path})
    assert file_cfg.state_location == str(tmp_path / "s" / "x.sqlite")
    assert where(url) == "postgresql://kpibot@db.internal:5432/kpibot"  # no password


def test_an_unreachable_server_is_one_sentence_without_the_password() -> None:
    dead = free_port()  # nothing listens there
    with pytest.raises(ConfigError) as e:
        open_state_db(f"postgresql://kpibot:s3cret@127.0.0.1:{dead}/kpibot")
    message = str(e.value)
    assert f"state_database: cannot connect to postgresql://kpibot@127.0.0.1:{dead}/kpibot (" in (
        message
    )
    assert "s3cret" not in message and "Traceback" not in message


def test_a_dropped_postgresql_connection_is_reopened(pg_server: PgServer) -> None:
    url = pg_server.fresh_database()
    db = open_state_db(url)
    pid = db.one("SELECT pg_backend_pid() AS pid")
    assert pid is not None
    killer = open_state_db(url)
    killer.query("SELECT pg_terminate_backend(?)", (pid["pid"],))  # as a server restart does
    killer.close()
    with pytest.raises(psycopg.OperationalError):
        SeenEvents(db).first_time("Ev1")  # the statement in flight fails …
    assert SeenEvents(db).first_time("Ev1") is True  # … the next one reconnects
    db.close()


def test_a_closed_connection_stays_closed(state_database: str) -> None:
    """Reconnecting (above) is for a connection that broke: one closed on purpose and reopened
    by a late statement would be a connection nobody closes."""
    db = open_state_db(state_database)
    db.close()
    assert db.closed
    with pytest.raises(InternalError, match="state database connection to .* is closed"):
        SeenEvents(db).first_time("Ev1")


def test_a_connection_dropped_open_says_so(state_database: str) -> None:
    """As an open file does, on both engines (sqlite3 says nothing before Python 3.13): a
    ResourceWarning, which python -X dev shows and every test fails on (tests/conftest.py)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        closed = open_state_db(state_database)
        closed.close()
        dropped = open_state_db(state_database)
        location = dropped.location
        del closed, dropped
        gc.collect()  # psycopg's own connection, in reference cycles, warns too
    said = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert [m for m in said if m.startswith("state database")] == [
        f"state database connection to {location} was never closed"
    ]


def test_a_literal_percent_beside_parameters(state_database: str) -> None:
    db = open_state_db(state_database)
    log = AuditLog(db)
    for q in ("kpi_home", "calls 100%", "leads"):
        log.start(user="U1", channel="C1", source="dm", question=q)
    rows = db.query(
        "SELECT question FROM audit_log WHERE user_id = ? AND question LIKE '%l%' ORDER BY id",
        ("U1",),
    )
    assert [r["question"] for r in rows] == ["calls 100%", "leads"]
    db.close()


def test_conversations_and_suggestions_on_both_backends(state_database: str) -> None:
    from bot.slack.conversations import Conversations

    a, b = open_state_db(state_database), open_state_db(state_database)
    Conversations(a).remember("C1", "1.1", "calls this week")
    Conversations(b).remember("C1", "1.1", "calls by rep this week")  # another replica
    assert Conversations(a).last("C1", "1.1") == "calls by rep this week"
    assert Conversations(a).last("C1", None) is None
    log = AuditLog(a)
    for q in ("leads", "calls", "leads", "kpi_home"):
        log.finish(log.start(user="U1", channel="C1", source="dm", question=q), outcome="answered")
    assert log.popular_questions() == ["leads", "calls"]  # kpi_… button ids are not questions
    assert log.recent_questions("U1") == ["calls", "leads"]
    a.close()
    b.close()
