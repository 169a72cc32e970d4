"""The `team` dimension (a record's team is its owner's Salesforce role) on the fixture org.

    VP Sales (R1): Vera U7
    ├── Inbound Manager (R2): Ian U5  ── Inbound Rep (R4): Alice U1, Dana U4 (inactive)
    └── Outbound Manager (R3): Olga U6 ── Outbound Rep (R5): Bob U2, 张伟 U3

The managers and the VP own no records, so two teams have numbers: "Inbound Rep" (Alice; Dana
owns nothing) and "Outbound Rep" (Bob, 张伟). Expected numbers are worked out by hand from the
records listed in tests/test_metrics_fixture.py (today Thu 27 Jun 2024, this quarter = Q2).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cache.snapshot import SnapshotReader
from metrics.catalog import Catalog
from metrics.catalog_load import load_catalog
from metrics.engine import run
from metrics.query import Comparison, Filter, Query, WindowSpec
from metrics.scope import RowPolicy, load_people, scope_of
from metrics.values import load_values
from tests.fixture_org import fixture_settings, load_fixture_org

TODAY = date(2024, 6, 27)
OUT, IN = "Outbound Rep", "Inbound Rep"


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> SnapshotReader:
    r = SnapshotReader(load_fixture_org(tmp_path_factory.mktemp("org") / "kpibot.duckdb"))
    yield r  # type: ignore[misc]
    r.close()


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _run(reader: SnapshotReader, catalog: Catalog, query: Query, **kw: Any) -> Any:
    return run(
        query, catalog=catalog, settings=fixture_settings(), reader=reader, today=TODAY, **kw
    )


CASES: list[tuple[str, Query, list[tuple[Any, ...]]]] = [
    (
        "win rate by team",
        Query(metrics=("win rate",), groupings=("team",)),
        # Outbound: O2 won (Bob), O11 won (Bob), O5 won (张伟); O6, O3 open → 3 / 3 = 1.0
        # Inbound: O1 won, O4 lost (Alice) → 1 / 2 = 0.5
        [(OUT, 1.0), (IN, 0.5)],
    ),
    (
        "calls by team",
        Query(metrics=("calls",), groupings=("team",)),
        # Outbound: Bob T04 (inbound), T06, T07 + 张伟 T08 = 4; Inbound: Alice T00, T01, T03 = 3
        [(OUT, 4), (IN, 3)],
    ),
    (
        "revenue won by team",
        Query(metrics=("revenue won",), groupings=("team",)),
        # Outbound: O5 80,000 + O11 50,000 (+ O2 without an amount) = 130,000; Inbound: O1 50,000
        [(OUT, 130000.0), (IN, 50000.0)],
    ),
    (
        "leads by team",
        Query(metrics=("leads",), groupings=("team",)),
        # Outbound: Bob L3, L5 + 张伟 L4 = 3; Inbound: Alice L1, L2 = 2
        [(OUT, 3), (IN, 2)],
    ),
    (
        "calls by rep for team Outbound Rep",
        Query(metrics=("calls",), groupings=("rep",), filters=(Filter("team", "in", (OUT,)),)),
        # Bob T04, T06, T07 = 3; 张伟 T08 = 1; Alice's calls are another team's
        [("Bob Smith", 3), ("张伟", 1)],
    ),
    (
        "deals won for team Inbound Rep",
        Query(metrics=("deals won",), filters=(Filter("team", "in", (IN,)),)),
        # Alice O1 (O4 lost, O7 is Q1)
        [(1,)],
    ),
    (
        "deals won by team, all time, not Inbound Rep",
        Query(
            metrics=("deals won",),
            groupings=("team",),
            window=WindowSpec("all"),
            filters=(Filter("team", "not_in", (IN,)),),
        ),
        # Outbound: O2, O5, O11 + O10 (Bob, 2023) = 4
        [(OUT, 4)],
    ),
]


@pytest.mark.parametrize(("name", "query", "rows"), CASES, ids=[c[0] for c in CASES])
def test_team_numbers_are_the_hand_worked_ones(
    name: str, query: Query, rows: list[tuple[Any, ...]], reader: SnapshotReader, catalog: Catalog
) -> None:
    answer = _run(reader, catalog, query)
    got = [tuple(r[: len(rows[0])]) for r in answer.rows]
    assert got == [tuple(pytest.approx(v) if isinstance(v, float) else v for v in r) for r in rows]


def test_team_comparison_uses_the_same_teams(reader: SnapshotReader, catalog: Catalog) -> None:
    q = Query(metrics=("deals won",), groupings=("team",), comparison=Comparison("last_year"))
    answer = _run(reader, catalog, q)
    names = [c.name for c in answer.columns]
    previous = names.index("deals won (previous)")
    # Q2 2023: O10 Bob won 20 May 2023 (O9 Alice lost) → Outbound 1, Inbound 0
    by_team = {r[0]: (r[1], r[previous]) for r in answer.rows}
    assert by_team == {OUT: (3, 1), IN: (1, 0)}


def test_team_values_are_the_roles_that_own_records(
    reader: SnapshotReader, catalog: Catalog
) -> None:
    values = load_values(reader.cursor(), catalog, fixture_settings().channels)
    # Roles of record owners only: the managers' and the VP's roles own nothing.
    assert values["team"] == (IN, OUT)


def test_a_manager_sees_only_their_own_team(reader: SnapshotReader, catalog: Catalog) -> None:
    people = load_people(reader.cursor())
    ian = scope_of(people, people.by_email("ian@example.com"), RowPolicy(rows="hierarchy"))
    q = Query(metrics=("win rate",), groupings=("team",))
    # Ian sees Ian, Alice, Dana: only the Inbound Rep team's O1 won, O4 lost → 0.5
    assert [tuple(r[:2]) for r in _run(reader, catalog, q, scope=ian).rows] == [(IN, 0.5)]
    values = load_values(reader.cursor(), catalog, fixture_settings().channels, scope=ian)
    assert values["team"] == (IN,)


def test_a_team_without_roles_groups_as_no_team(tmp_path: Path, catalog: Catalog) -> None:
    """An export without UserRole.csv: every record is on no team (one null group), not an error."""
    db = load_fixture_org(tmp_path / "kpibot.duckdb")
    import duckdb

    con = duckdb.connect(str(db))
    con.execute('DELETE FROM "UserRole"')
    con.close()
    reader = SnapshotReader(db)
    try:
        answer = _run(reader, catalog, Query(metrics=("calls",), groupings=("team",)))
        # all seven Q2 calls (3 + 4 above) in one group without a team
        assert [r[:2] for r in answer.rows] == [(None, 7)]
    finally:
        reader.close()


# -- asking: English and Chinese ------------------------------------------------------------------

PHRASES = [
    ("win rate by team", Query(metrics=("win rate",), groupings=("team",))),
    ("calls by team", Query(metrics=("calls",), groupings=("team",))),
    ("按团队统计赢单率", Query(metrics=("win rate",), groupings=("team",))),
    ("各团队的电话数", Query(metrics=("calls",), groupings=("team",))),
    (
        "calls team is outbound rep",
        Query(metrics=("calls",), filters=(Filter("team", "in", (OUT,)),)),
    ),
    ("calls for team outbound", Query(metrics=("calls",), filters=(Filter("team", "in", (OUT,)),))),
    ("电话数 团队为Inbound Rep", Query(metrics=("calls",), filters=(Filter("team", "in", (IN,)),))),
    (
        "outbound calls dashboard for team outbound rep",
        Query(dashboard="outbound calls", filters=(Filter("team", "in", (OUT,)),)),
    ),
]


@pytest.mark.parametrize(("text", "expected"), PHRASES, ids=[p[0] for p in PHRASES])
def test_team_questions_parse(
    text: str, expected: Query, reader: SnapshotReader, catalog: Catalog
) -> None:
    import grammar

    values = load_values(reader.cursor(), catalog, fixture_settings().channels)
    q = grammar.parse(text, catalog, values).query
    assert (q.metrics, q.groupings, q.filters, q.dashboard) == (
        expected.metrics,
        expected.groupings,
        expected.filters,
        expected.dashboard,
    )


# -- a dashboard for one rep: that rep against the team's median -------------------------------


def test_one_rep_against_the_team_median(reader: SnapshotReader, catalog: Catalog) -> None:
    from charts.median import against_team_median

    def ask(q: Query) -> Any:
        return _run(reader, catalog, q)

    q = Query(
        metrics=("outbound calls", "connect rate", "deals won", "demos booked"),
        groupings=("rep",),
        comparison=Comparison("previous"),
        filters=(Filter("rep", "in", ("Bob Smith",)),),
    )
    a = ask(q)
    out = against_team_median(a, a.query, ask, "Bob Smith")
    names = [c.name for c in out.columns]
    pick = ("rep", "outbound calls", "connect rate", "deals won", "demos booked")
    got = [tuple(r[names.index(n)] for n in pick) for r in out.rows]
    # Bob (Outbound Rep, with 张伟), Q2: outbound calls T06, T07 = 2 (T04 is inbound);
    #   connected T06 → 1/2 = 0.5; deals won O2, O11 = 2; demos booked E2 (15 May) = 1.
    # 张伟: T08 = 1, connected → 1/1 = 1.0; O5 = 1; demos 0.
    # Median of two = their mean: calls 1.5, connect rate 0.75, deals won 1.5, demos 0.5.
    assert got == [
        ("Bob Smith", 2, 0.5, 2, 1),
        ("Outbound Rep median", 1.5, 0.75, 1.5, 0.5),
    ]
    assert out.reference_rows == (1,)


def test_outbound_dashboard_for_one_rep_shows_the_team_median(
    reader: SnapshotReader, catalog: Catalog
) -> None:
    from charts import figure_for_dashboard
    from tests.layout_facts import drawn_texts

    def ask(q: Query) -> Any:
        return _run(reader, catalog, q)

    def per_rep(rep: str) -> list[str]:
        asked = Query(
            dashboard="outbound calls",
            window=WindowSpec("this", unit="quarter"),
            filters=(Filter("rep", "in", (rep,)),),
        )
        return [t.text for t in drawn_texts(figure_for_dashboard("outbound calls", asked, ask))]

    # Bob and 张伟 (Outbound Rep), Q2 (the numbers of the test above; no outbound calls in Q1,
    # so no growth): the median of two is their mean, 1.5 calls and deals is not rounded.
    drawn = per_rep("Bob Smith")
    at = drawn.index("Outbound Rep median")
    assert drawn[at - 6 : at + 6] == [
        "Bob Smith", "2", "—", "50.0% †", "2", "1",
        "Outbound Rep median", "1.5", "—", "75.0% †", "1.5", "0.5",
    ]  # fmt: skip
    # Alice is the only Inbound Rep with records: a median of one is herself, so her per-rep
    # panel stays her cards (no table header, no second row).
    drawn = per_rep("Alice Wang")
    assert "Inbound Rep median" not in drawn and "Rep" not in drawn
