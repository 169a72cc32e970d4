"""Durations and local dates across daylight-saving changes, worked out by hand.

The org (tests/fixtures/org-dst/) is in America/New_York: EDT (UTC−4) until 2024-11-03 06:00Z,
then EST (UTC−5); EST until 2024-03-10 07:00Z, then EDT. America/Denver, a host zone the suite
also runs under (tests/test_host_zones.py), changes at 2024-11-03 08:00Z and 2024-03-10 09:00Z.

  D1 Ana  created 2024-11-02 18:00Z (Sat 2 Nov 14:00 EDT) · call T1 2024-11-03 19:00Z → 25 h
          (crosses the fall-back of New York and of Denver: a calendar interval reads 24 h)
  D2 Ana  created 2024-11-04 04:30Z (Sun 3 Nov 23:30 EST; with EDT's offset it would be 4 Nov)
          · email T2 2024-11-04 06:30Z → 2 h
  D3 Ben  created 2024-11-10 14:00Z (Sun 10 Nov 09:00 EST) · call T3 16:30Z → 2.5 h
  D4 Ben  created 2024-03-09 17:00Z (Sat 9 Mar 12:00 EST) · call T4 2024-03-10 17:00Z → 24 h
          (crosses spring-forward of both zones: a calendar interval reads 25 h)
  D5 Ben  created 2024-11-01 03:30Z = Thu 31 Oct 23:30 EDT: an October lead, never contacted
  O1 Ana  won 1000, created 2024-11-01 12:00Z (1 Nov local), closed 6 Nov → cycle 5 d.
          Stage visits: Prospecting 1 Nov 12:00Z → 4 Nov 12:00Z = 72 h = 3.0 d (across
          fall-back; a calendar interval reads 2 d 23 h), Qualification 4 → 6 Nov = 2.0 d.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from typing import Any

import duckdb
import pytest

from cache.snapshot import SnapshotReader
from metrics.catalog import Catalog
from metrics.catalog_load import load_catalog
from metrics.engine import run
from metrics.query import Query, WindowSpec
from tests.fixture_org import ORG_DST, fixture_settings, load_fixture_org

TODAY = date(2024, 12, 15)
NOV = WindowSpec("month", year=2024, number=11)
OCT = WindowSpec("month", year=2024, number=10)
MAR = WindowSpec("month", year=2024, number=3)
SETTINGS = fixture_settings(org=ORG_DST)

# (id, query, expected rows)
CASES: list[tuple[str, Query, list[tuple[Any, ...]]]] = [
    # November local: D1, D2, D3 (D5 is 31 Oct local). (25 + 2 + 2.5) / 3 = 9.8333 h
    (
        "leads and response time, November",
        Query(metrics=("leads", "lead response time", "uncontacted leads"), window=NOV),
        [(3, 29.5 / 3, 0)],
    ),
    # Ana: (25 + 2) / 2 = 13.5 h; Ben: 2.5 h (lower is better: fastest first)
    (
        "response time by rep",
        Query(metrics=("lead response time",), groupings=("rep",), window=NOV),
        [("Ben Cole", 2.5), ("Ana Ruiz", 13.5)],
    ),
    # Local days: D1 2 Nov, D2 3 Nov (23:30 EST), D3 10 Nov; every other day of November is a
    # row with 0 (count series are zero-filled over the window).
    (
        "leads by day",
        Query(metrics=("leads",), groupings=("day",), window=NOV),
        [(date(2024, 11, d), 1 if d in (2, 3, 10) else 0) for d in range(1, 31)],
    ),
    # Local hours: D3 09, D1 14, D2 23
    (
        "leads by hour",
        Query(metrics=("leads",), groupings=("hour",), window=NOV),
        [(9, 1), (14, 1), (23, 1)],
    ),
    # D5 is October's, uncontacted: no response time
    (
        "October",
        Query(metrics=("leads", "uncontacted leads", "lead response time"), window=OCT),
        [(1, 1, None)],
    ),
    # D4: exactly 24 h across spring-forward
    (
        "response time across spring-forward",
        Query(metrics=("lead response time",), window=MAR),
        [(24.0,)],
    ),
    # Visits ended in November: Prospecting 3.0 d, Qualification 2.0 d → 2.5 d
    ("time in stage", Query(metrics=("time in stage",), window=NOV), [(2.5,)]),
    (
        "time in stage by stage",
        Query(metrics=("time in stage",), groupings=("stage",), window=NOV),
        [("Prospecting", 3.0), ("Qualification", 2.0)],
    ),
    # 6 Nov − 1 Nov = 5 days
    ("sales cycle", Query(metrics=("sales cycle length",), window=NOV), [(5.0,)]),
    # T1 and T3 in November; T1 connected of 2 outbound = 50%
    ("calls", Query(metrics=("calls", "connect rate"), window=NOV), [(2, 0.5)]),
]


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnapshotReader]:
    db = load_fixture_org(tmp_path_factory.mktemp("dst") / "kpibot.duckdb", ORG_DST)
    r = SnapshotReader(db)
    yield r
    r.close()


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _same(actual: list[tuple[Any, ...]], expected: list[tuple[Any, ...]]) -> None:
    assert len(actual) == len(expected), actual
    for a, e in zip(actual, expected, strict=True):
        assert len(a) == len(e), a
        for x, y in zip(a, e, strict=True):
            if isinstance(y, float):
                assert x == pytest.approx(y), (a, e)
            else:
                assert x == y, (a, e)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_dst_numbers(
    case: tuple[str, Query, list[tuple[Any, ...]]], reader: SnapshotReader, catalog: Catalog
) -> None:
    _, query, expected = case
    a = run(query, catalog=catalog, settings=SETTINGS, reader=reader, today=TODAY)
    _same(list(a.rows), expected)


@pytest.mark.parametrize("session_zone", ["America/New_York", "America/Denver", "Asia/Kolkata"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_catalog_sql_ignores_the_session_zone(
    case: tuple[str, Query, list[tuple[Any, ...]]],
    session_zone: str,
    reader: SnapshotReader,
    catalog: Catalog,
) -> None:
    """Even on a cursor someone else set to another zone, durations are instants apart and
    local dates are the org zone's: the catalog's SQL never leans on the session zone."""
    _, query, expected = case
    reader.cursor()  # opens the snapshot, so that its file is known
    con = duckdb.connect(str(reader.target), read_only=True)
    con.execute(f"SET TimeZone = '{session_zone}'")
    try:
        a = run(query, catalog=catalog, settings=SETTINGS, reader=con, today=TODAY)
    finally:
        con.close()
    _same(list(a.rows), expected)


def test_every_connection_is_utc_whatever_the_host(reader: SnapshotReader) -> None:
    """The host zone this run has (TZ, set by tests/test_host_zones.py) is what a bare DuckDB
    connection would take; kpibot's readers use UTC all the same."""
    host = os.environ.get("TZ")
    if host:
        bare = duckdb.connect().execute("SELECT current_setting('TimeZone')").fetchone()
        assert bare == (host,)
    assert reader.cursor().execute("SELECT current_setting('TimeZone')").fetchone() == ("UTC",)
