"""A cache published by an older kpibot, opened by this one: the derived tables and owner keys
it lacks are added by publishing it again (its data and "data as of" unchanged), before any
question reads them; while that cannot be done, answers stay right without the keys. Real
DuckDB snapshot files of the hand-made fixture org (today Thu 27 Jun 2024)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot import config as app_config
from bot.backend import RealBackend
from bot.config import load as load_config
from cache import owner_keys
from cache.connection import connect
from cache.derived import missing
from cache.snapshot import SnapshotReader, current_target, open_writer
from metrics.scope import RowPolicy, load_people, scope_of
from tests.fixture_org import load_fixture_org

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2024, 6, 27)


def test_a_cache_from_an_older_kpibot_gets_the_derived_tables_it_lacks(tmp_path: Path) -> None:
    db = load_fixture_org(tmp_path / "kpibot.duckdb")
    older = current_target(db)
    assert older is not None
    con = connect(older)  # as an older kpibot published it: without the activity accounts
    con.execute('DROP TABLE "_kpibot_activity_accounts"')
    con.execute("CHECKPOINT")
    con.close()
    cfg = app_config.load(ROOT / "tests" / "fixtures" / "org" / "app.yaml", str(db))

    backend = RealBackend(cfg)

    upgraded = current_target(db)
    assert upgraded is not None and upgraded != older
    con = connect(upgraded, read_only=True)
    assert missing(con) == []
    con.close()
    # Calls this quarter: T00, T01, T03, T04, T06, T07, T08 (tests/test_metrics_fixture.py) = 7.
    reply = backend.ask("calls this quarter", today=TODAY, with_chart=False)
    assert reply.error is None and reply.answer is not None
    assert reply.answer.rows == ((7,),)
    # T08 is logged on no account in the fixture org: every call has none.
    by_account = backend.ask("calls by account this quarter", today=TODAY, with_chart=False)
    assert by_account.answer is not None and dict(by_account.answer.rows) == {None: 7}
    # A cache that has them is left as it is.
    RealBackend(cfg)
    assert current_target(db) == upgraded


# -- the owner keys of row-level access (cache/owner_keys.py) -------------------------------------

HIERARCHY = ROOT / "tests" / "fixtures" / "org" / "app-hierarchy.yaml"
# Scoped questions on every kind of keyed relation, with the fixture's hand-worked answers cut
# down to the asker's owners (tests/test_rows.py: Alice {U1}; Ian {U1, U4, U5}; Olga {U2, U3, U6}).
SCOPED = [
    # Opportunity: O5 80000 (张伟), O11 50000 (Bob); O2 has no amount
    ("olga@example.com", "revenue won by rep", [("张伟", 80000.0), ("Bob Smith", 50000.0)]),
    # Task and Event (the activity union): Bob T04 T06 T07 T10 T13 E2 E5 = 7; 张伟 T08 E3 = 2
    ("olga@example.com", "activities by rep", [("Bob Smith", 7), ("张伟", 2)]),
    # Tasks per day (rollup): this quarter T04 T06 T07 (Bob), T08 (张伟); none in Q1
    (
        "olga@example.com",
        "calls by rep vs previous period",
        [("Bob Smith", 3, 0, None), ("张伟", 1, 0, None)],
    ),
    # Stage visits joined to Opportunity: Alice O1 10, 24.5 and O4 42 → 25.5 (张伟's O3 hidden)
    ("ian@example.com", "time in stage by rep", [("Alice Wang", 25.5)]),
    # Leads per month (rollup) and lead facts: L1, L2
    ("alice@example.com", "leads by rep", [("Alice Wang", 2)]),
]
KEY_FILTER = "r._kpibot_owner_key BETWEEN $scope_from AND $scope_to"


def _as_published_before_owner_keys(db: Path) -> Path:
    """The current snapshot as a kpibot without owner keys published it: no numbering, no key
    column on any table."""
    older = current_target(db)
    assert older is not None
    con = connect(older)
    con.execute(f'DROP TABLE "{owner_keys.KEYS}"')
    for table in owner_keys.KEYED:
        con.execute(f'ALTER TABLE "{table}" DROP COLUMN "{owner_keys.COLUMN}"')
    con.execute("CHECKPOINT")
    assert not owner_keys.present(con)
    con.close()
    return older


def _ask_scoped(backend: RealBackend, db: Path) -> list[tuple[list[tuple[object, ...]], str]]:
    people = load_people(SnapshotReader(db).cursor())
    out = []
    for email, question, _ in SCOPED:
        user = people.by_email(email)
        assert user is not None
        scope = scope_of(people, user, RowPolicy(rows="hierarchy"))
        reply = backend.ask(question, today=TODAY, with_chart=False, scope=scope)
        assert reply.error is None and reply.answer is not None, (question, reply.error)
        rows = [
            tuple(pytest.approx(v) if isinstance(v, float) else v for v in r)
            for r in reply.answer.rows
        ]
        out.append((rows, reply.answer.sql))
    return out


def test_a_cache_without_owner_keys_gets_them_when_opened(tmp_path: Path) -> None:
    db = load_fixture_org(tmp_path / "kpibot.duckdb")
    older = _as_published_before_owner_keys(db)

    backend = RealBackend(load_config(str(HIERARCHY), str(db)))

    upgraded = current_target(db)
    assert upgraded is not None and upgraded != older
    con = connect(upgraded, read_only=True)
    assert owner_keys.present(con)
    # VP Sales (Vera U7), then Inbound Manager (Ian U5), Inbound Rep (Alice U1, Dana U4),
    # Outbound Manager (Olga U6), Outbound Rep (Bob U2, 张伟 U3): depth first, siblings by name
    assert con.execute(f'SELECT Id FROM "{owner_keys.KEYS}" ORDER BY key').fetchall() == [
        (u,) for u in ("U7", "U5", "U1", "U4", "U6", "U2", "U3")
    ]
    con.close()
    for (_, question, expected), (rows, sql) in zip(SCOPED, _ask_scoped(backend, db), strict=True):
        assert rows == expected, question
        assert KEY_FILTER in sql, question  # the filter on runs of keys


def test_a_cache_without_owner_keys_that_cannot_be_upgraded_filters_on_the_owners(
    tmp_path: Path,
) -> None:
    db = load_fixture_org(tmp_path / "kpibot.duckdb")
    older = _as_published_before_owner_keys(db)
    with open_writer(db, source="another process"):  # holds the writer's lock: upgrade skipped
        backend = RealBackend(load_config(str(HIERARCHY), str(db)))
        assert current_target(db) == older
        answers = _ask_scoped(backend, db)
        # Unscoped questions on every keyed relation run too (T00 T01 T03 T04 T06 T07 T08 = 7
        # calls; 15 activities; stage visits' Prospecting (10 + 42 + 0) / 3, Qualification 24.5)
        calls = backend.ask("calls this quarter", today=TODAY, with_chart=False)
        assert calls.answer is not None and calls.answer.rows == ((7,),)
        stages = backend.ask("time in stage by stage", today=TODAY, with_chart=False)
        assert stages.answer is not None
        assert [(s, pytest.approx(v)) for s, v in stages.answer.rows] == [
            ("Prospecting", 52 / 3),
            ("Qualification", 24.5),
        ]
    for (_, question, expected), (rows, sql) in zip(SCOPED, answers, strict=True):
        assert rows == expected, question
        assert "_kpibot_owner_key BETWEEN" not in sql and "unnest($scope_owners)" in sql.lower()
