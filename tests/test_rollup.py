"""The Tasks-per-day and Leads-per-month rollups (catalog `task_day`, `lead_month`,
cache/derived.py): call and lead questions read them when they can answer them, and their
answers are exactly those of the Task table and the lead facts (a month rollup for the window's
whole months, the leads themselves for the days around them).

Two snapshots of the fixture org: one whose rollup is in the org's zone (Asia/Shanghai, as
`kpibot load` builds it), one whose rollup is in UTC, which the engine must not use. Every
question below is answered on both; the rows must be equal, and the SQL must read the rollup
exactly when the question needs only its columns and whole days. The fixture's hand-worked
numbers (tests/test_metrics_fixture.py) run on the first kind of snapshot too.
"""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date

import pytest

from cache.snapshot import SnapshotReader, open_writer
from metrics.catalog import Catalog
from metrics.catalog_load import load_catalog
from metrics.compiler import compile_query
from metrics.engine import run
from metrics.errors import Invalid, NoData
from metrics.fragments import check_catalog
from metrics.query import Comparison, Filter, Query, Ranking, WindowSpec
from metrics.scope import Scope
from tests.fixture_org import fixture_settings, load_fixture_org

TODAY = date(2024, 6, 27)
ROLLUP = "_kpibot_task_days"
MONTHS = "_kpibot_lead_months"
ALL = WindowSpec("all")
Q2 = WindowSpec("quarter", year=2024, number=2)
LAST_30 = WindowSpec("last", n=30, unit="day")
YTD = WindowSpec("this", unit="year")
# 31 Mar 2024 – 6 May 2024: the fixture's lead of 2024-03-31T17:00Z is 1 Apr 01:00 in the org's
# zone, so a month boundary in UTC is not one in the org's
AROUND_APRIL = WindowSpec("between", start=date(2024, 3, 31), end=date(2024, 5, 6))
BEFORE_MAY = WindowSpec("before", start=date(2024, 5, 1))
SINCE = WindowSpec("since", start=date(2024, 4, 15))
JUNE_3 = WindowSpec("between", start=date(2024, 6, 2), end=date(2024, 6, 4))  # no whole month


@pytest.fixture(scope="module")
def readers(tmp_path_factory: pytest.TempPathFactory) -> tuple[SnapshotReader, SnapshotReader]:
    base = tmp_path_factory.mktemp("rollup")
    zoned = load_fixture_org(base / "zoned" / "kpibot.duckdb")
    other = base / "utc" / "kpibot.duckdb"
    shutil.copytree(zoned.parent, other.parent, symlinks=True)
    with open_writer(other, source="test", tz="UTC"):  # the days rebuilt in UTC
        pass
    return SnapshotReader(zoned), SnapshotReader(other)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def Q(*metrics: str, **kw: object) -> Query:
    return Query(metrics=metrics, **kw)  # type: ignore[arg-type]


# (question, reads the rollup?)
CASES: list[tuple[Query, bool]] = [
    (Q("calls", window=ALL), True),
    (Q("calls", "connected calls", "connect rate", window=Q2), True),
    (Q("connect rate", groupings=("rep",), window=ALL), True),
    (Q("calls", groupings=("weekday",), window=ALL), True),
    (Q("outbound calls", groupings=("week",), window=Q2), True),
    (Q("calls", groupings=("month", "rep"), window=ALL), True),
    (Q("calls", groupings=("disposition",), window=ALL), True),
    (Q("calls", groupings=("call type",), window=LAST_30), True),
    (Q("connect rate", groupings=("rep",), window=Q2, comparison=Comparison("previous")),
     True),
    (Q("calls", window=ALL, filters=(Filter("disposition", "not_in", ("connected",)),)), True),
    (Q("calls", window=ALL, ranking=Ranking("top", 2), groupings=("rep",)), True),
    (Q("emails", groupings=("rep",), window=ALL), True),
    # an hour of day needs the time; a mean needs each call's duration; events are no tasks
    (Q("calls", groupings=("hour",), window=ALL), False),
    (Q("average call duration", groupings=("rep",), window=ALL), False),
    (Q("calls", "meetings booked", groupings=("rep",), window=ALL), True),
]


LEAD_CASES: list[tuple[Query, bool]] = [
    (Q("leads", window=ALL), True),
    (Q("leads", "converted leads", "lead-to-opportunity ratio", window=YTD), True),
    (Q("lead-to-opportunity ratio", groupings=("channel",), window=YTD), True),
    (Q("lead-to-opportunity ratio", groupings=("rep",), window=AROUND_APRIL), True),
    (Q("leads", groupings=("month",), window=ALL), True),
    (Q("leads", groupings=("quarter", "lead source"), window=ALL), True),
    (Q("lead-to-opportunity ratio", groupings=("status",), window=BEFORE_MAY), True),
    (Q("leads", window=SINCE, comparison=Comparison("previous")), True),
    (Q("leads", window=Q2, filters=(Filter("lead source", "in", ("web",)),)), True),
    (Q("leads", groupings=("rep",), window=JUNE_3), True),
    # a week or a day is not in a month's row; a won opportunity is not a lead column; a
    # mean needs each lead's response time
    (Q("leads", groupings=("week",), window=ALL), False),
    (Q("leads", groupings=("weekday",), window=ALL), False),
    (Q("lead conversion rate", window=ALL), False),
    (Q("lead response time", groupings=("rep",), window=ALL), False),
]


@pytest.mark.parametrize(
    ("query", "rolled"), LEAD_CASES, ids=[str(i) for i in range(len(LEAD_CASES))]
)
def test_lead_month_rollup_answers_equal_the_lead_facts(
    query: Query, rolled: bool, readers: tuple[SnapshotReader, SnapshotReader], catalog: Catalog
) -> None:
    zoned, utc = readers
    a, b = _answer(query, zoned, catalog), _answer(query, utc, catalog)
    assert a is not None and b is not None  # each question has data in the fixture
    assert MONTHS not in b.sql  # months in another zone than the org's: never read
    assert (MONTHS in a.sql) == rolled
    assert a.rows == b.rows and a.rows
    assert a.samples == b.samples and a.unsettled == b.unsettled


def _answer(q: Query, reader: SnapshotReader, catalog: Catalog, scope: Scope | None = None):
    kw = {"scope": scope} if scope is not None else {}
    try:
        return run(q, catalog=catalog, settings=fixture_settings(), reader=reader, today=TODAY,
                   **kw)
    except NoData:
        return None


@pytest.mark.parametrize(("query", "rolled"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_rollup_answers_equal_the_task_table(
    query: Query, rolled: bool, readers: tuple[SnapshotReader, SnapshotReader], catalog: Catalog
) -> None:
    zoned, utc = readers
    a, b = _answer(query, zoned, catalog), _answer(query, utc, catalog)
    assert (a is None) == (b is None)
    if a is None or b is None:
        return
    assert ROLLUP not in b.sql  # days in another zone than the org's: never read
    assert (ROLLUP in a.sql) == rolled
    assert a.rows == b.rows
    assert a.rows  # each question has data in the fixture (else it checks nothing)


def test_a_scoped_question_reads_the_rollup_with_the_owner_filter(
    readers: tuple[SnapshotReader, SnapshotReader], catalog: Catalog
) -> None:
    zoned, utc = readers
    owners = zoned.cursor().execute('SELECT min(OwnerId) FROM "Task"').fetchone()[0]
    scope = Scope(owners=(owners,), label="one rep")
    q = Q("calls", groupings=("rep",), window=ALL)
    a, b = _answer(q, zoned, catalog, scope), _answer(q, utc, catalog, scope)
    assert a is not None and b is not None
    assert ROLLUP in a.sql and a.rows == b.rows and len(a.rows) == 1


def test_a_managers_scoped_rollup_gives_the_hand_worked_numbers(
    readers: tuple[SnapshotReader, SnapshotReader], catalog: Catalog
) -> None:
    # Olga (Outbound Manager) sees U2 Bob, U3 张伟 and herself (tests/test_rows.py). Their calls,
    # not deleted, with the org zone's (+8) weekday:
    #   T04 U2 Inbound  Connected       2024-04-10T06:00Z → Wed 14:00
    #   T06 U2 Outbound Connected       2024-05-07T17:30Z → Wed 01:30 (Tue in UTC)
    #   T07 U2 Outbound Left Voicemail  2024-05-06T17:30Z → Tue 01:30 (Mon in UTC)
    #   T08 U3 Outbound Connected       2024-06-20T02:00Z → Thu 10:00   (T09 is deleted)
    # Connected calls are outbound ones: Tue 1 call 0 connected, Wed 2 and 1 (T06), Thu 1 and 1.
    # Alice's five calls (U1) are outside her scope.
    zoned, utc = readers
    olga = Scope(owners=("U2", "U3", "U6"), label="Olga's team")
    q = Q("calls", "connected calls", groupings=("weekday",), window=ALL)
    rolled, unrolled = _answer(q, zoned, catalog, olga), _answer(q, utc, catalog, olga)
    assert rolled is not None and unrolled is not None
    assert ROLLUP in rolled.sql and "$scope_owners" in rolled.sql
    assert ROLLUP not in unrolled.sql and "$scope_owners" in unrolled.sql
    assert rolled.rows == (("Tue", 1, 0), ("Wed", 2, 1), ("Thu", 1, 1))
    assert unrolled.rows == rolled.rows
    # The same team as its run of owner keys (Olga 5120, Bob 6144, 张伟 7168: tests/test_rows.py):
    # the same numbers, filtered on the keys the rollup keeps.
    keyed = dataclasses.replace(olga, ranges=((5120, 7168),))
    rolled, unrolled = _answer(q, zoned, catalog, keyed), _answer(q, utc, catalog, keyed)
    assert rolled is not None and unrolled is not None
    assert ROLLUP in rolled.sql and "_kpibot_owner_key BETWEEN $scope_from" in rolled.sql
    assert ROLLUP not in unrolled.sql and "$scope_owners" not in unrolled.sql
    assert rolled.rows == unrolled.rows == (("Tue", 1, 0), ("Wed", 2, 1), ("Thu", 1, 1))


def _with_record_set(catalog: Catalog, name: str, **changes: object) -> Catalog:
    records = tuple(
        dataclasses.replace(r, **changes) if r.name == name else r for r in catalog.records
    )
    return dataclasses.replace(catalog, records=records)


def test_a_scoped_question_reads_a_rollup_only_when_it_keeps_the_scope(catalog: Catalog) -> None:
    q = Q("calls", groupings=("weekday",), window=ALL)
    rolls = frozenset({"task_day"})

    def reads_rollup(cat: Catalog, scoped: bool) -> bool:
        return ROLLUP in compile_query(q, cat, scoped=scoped, rollups=rolls).sql

    assert reads_rollup(catalog, scoped=False) and reads_rollup(catalog, scoped=True)
    # A rollup that dropped the owner cannot be filtered on it: unfiltered askers still read
    # it, restricted ones the records.
    day = catalog.record_set("task_day")
    no_owner = dataclasses.replace(
        day.rollup, columns=tuple(c for c in day.rollup.columns if c != "OwnerId")
    )
    dropped = _with_record_set(catalog, "task_day", rollup=no_owner)
    assert reads_rollup(dropped, scoped=False) and not reads_rollup(dropped, scoped=True)
    # So with owner keys: a rollup that dropped them is not read for a scope of key runs.
    no_key = dataclasses.replace(
        day.rollup, columns=tuple(c for c in day.rollup.columns if c != "_kpibot_owner_key")
    )
    keyless = _with_record_set(catalog, "task_day", rollup=no_key)
    assert ROLLUP in compile_query(q, catalog, scoped=True, ranged=2, rollups=rolls).sql
    assert ROLLUP not in compile_query(q, keyless, scoped=True, ranged=2, rollups=rolls).sql
    # A rollup whose scope predicate is not its record set's keeps other records.
    other = _with_record_set(catalog, "task_day", scope="r.CreatedById IN (SELECT 1)")
    assert not reads_rollup(other, scoped=True)
    # Records without an owner are refused to a restricted asker, not answered by the rollup.
    ownerless = _with_record_set(catalog, "task", scope=None)
    assert reads_rollup(ownerless, scoped=False)
    with pytest.raises(Invalid):
        compile_query(q, ownerless, scoped=True, rollups=rolls)


def test_a_scope_predicate_that_does_not_parse_is_a_catalog_problem(catalog: Catalog) -> None:
    bad = dataclasses.replace(catalog.record_set("task"), scope="r.OwnerId IN (SELECT")
    problems: list[str] = []
    check_catalog([], [], [bad], problems)
    assert len(problems) == 1 and problems[0].startswith("records.task.scope")
