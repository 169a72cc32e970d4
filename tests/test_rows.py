"""Row-level access (access.rows, docs/access.md) on the fixture org's role hierarchy.

    VP Sales (R1): Vera U7
    ├── Inbound Manager (R2): Ian U5  ── Inbound Rep (R4): Alice U1, Dana U4 (inactive)
    └── Outbound Manager (R3): Olga U6 ── Outbound Rep (R5): Bob U2, 张伟 U3

Hand-worked visibility under ``hierarchy`` (own records + every role strictly below):
Alice {U1}; Ian {U1, U4, U5}; Olga {U2, U3, U6}; Vera all seven. Peers in one role do not see
each other (Alice does not see Dana), as in Salesforce. The expected numbers are the fixture's
hand-worked ones (tests/test_metrics_fixture.py), cut down to the visible owners.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.backend import RealBackend, answer_csv
from bot.config import load as load_config
from cache import owner_keys
from cache.describe import describe_cache
from cache.snapshot import SnapshotReader, open_writer
from metrics import engine
from metrics.catalog_load import load_catalog
from metrics.query import Filter, Query
from metrics.scope import EVERYONE, RowPolicy, load_people, scope_of
from tests.cli_run import ask_json, run_kpibot
from tests.fixture_org import ORG, fixture_settings, load_fixture_org

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ORG / "app-hierarchy.yaml"
TODAY = "2024-06-27"
# The row filter as Show SQL prints it: a scope of at most two runs of owner keys (every
# hierarchy scope of the fixture) filters on the keys; any other on the owner ids.
SCOPE_SQL = "r._kpibot_owner_key BETWEEN $scope_from AND $scope_to"
OWNERS_SQL = "UNNEST($scope_owners)"  # pretty-printed: the subquery on its own lines


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_fixture_org(tmp_path_factory.mktemp("org") / "kpibot.duckdb")


@pytest.fixture(scope="module")
def people(db: Path) -> Any:
    return load_people(SnapshotReader(db).cursor())


def _owners(people: Any, email: str, policy: RowPolicy, admin: bool = False) -> Any:
    user = people.by_email(email)
    assert user is not None
    return scope_of(people, user, policy, admin=admin).owners


# -- the pure policy ------------------------------------------------------------------------------


def test_hierarchy_visibility_is_the_hand_worked_one(people: Any) -> None:
    p = RowPolicy(rows="hierarchy")
    assert _owners(people, "alice@example.com", p) == ("U1",)
    assert _owners(people, "ian@example.com", p) == ("U1", "U4", "U5")
    assert _owners(people, "olga@example.com", p) == ("U2", "U3", "U6")
    assert _owners(people, "vera@example.com", p) == tuple(f"U{i}" for i in range(1, 8))
    # E-mails match whatever their case.
    assert _owners(people, "  OLGA@Example.com", p) == ("U2", "U3", "U6")


def test_a_scope_is_worked_out_once_per_snapshots_people(db: Path, people: Any) -> None:
    # The bot asks for the asker's scope with every question; the people are one snapshot's.
    p = RowPolicy(rows="hierarchy")
    ian = people.by_email("ian@example.com")
    first = scope_of(people, ian, p)
    assert scope_of(people, ian, p) is first
    assert scope_of(people, ian, RowPolicy(rows="hierarchy", manager_reports=True)) is not first
    fresh = load_people(SnapshotReader(db).cursor())  # as the next snapshot's are read
    again = scope_of(fresh, fresh.by_email("ian@example.com"), p)
    assert again is not first and again == first
    # E-mails are looked up in an index built once: an active user before an inactive one
    # (U4 Dana is inactive), case and spaces ignored.
    assert people.by_email(" DANA@example.com ").id == "U4"
    assert people.by_email("nobody@example.com") is None


def test_all_roles_admins_and_the_default_see_everything(people: Any) -> None:
    assert _owners(people, "alice@example.com", RowPolicy()) is None  # rows: all
    vp_all = RowPolicy(rows="hierarchy", all_roles=("VP Sales",))
    assert _owners(people, "vera@example.com", vp_all) is None
    assert _owners(people, "ian@example.com", vp_all) == ("U1", "U4", "U5")
    by_id = RowPolicy(rows="hierarchy", all_roles=("R3",))
    assert _owners(people, "olga@example.com", by_id) is None
    assert _owners(people, "alice@example.com", RowPolicy(rows="hierarchy"), admin=True) is None


def test_manager_reports_add_the_managerid_chain(people: Any) -> None:
    # Without roles below her, Olga's ManagerId reports are Bob and 张伟 (U2, U3 → U6); Vera's
    # reports are Ian and Olga and, through them, all four reps.
    p = RowPolicy(rows="hierarchy", manager_reports=True)
    assert _owners(people, "olga@example.com", p) == ("U2", "U3", "U6")
    assert _owners(people, "vera@example.com", p) == tuple(f"U{i}" for i in range(1, 8))
    assert _owners(people, "bob@example.com", p) == ("U2",)


def test_team_policy_shows_the_teams_members(people: Any) -> None:
    p = RowPolicy(
        rows="team",
        teams=(
            ("west", ("alice@example.com", "BOB@example.com")),
            ("east", ("zhangwei@example.com",)),
        ),
    )
    assert _owners(people, "alice@example.com", p) == ("U1", "U2")
    assert _owners(people, "zhangwei@example.com", p) == ("U3",)
    assert _owners(people, "olga@example.com", p) == ("U6",)  # in no team: her own records


def test_scopes_are_runs_of_owner_keys(people: Any) -> None:
    # The role tree depth first, siblings by name, each role's users before the roles below,
    # 1024 apart (room for users added later): VP Sales Vera 1; Inbound Manager Ian 2; Inbound
    # Rep Alice 3, Dana 4; Outbound Manager Olga 5; Outbound Rep Bob 6, 张伟 7 (× 1024).
    order = {"U7": 1, "U5": 2, "U1": 3, "U4": 4, "U6": 5, "U2": 6, "U3": 7}
    assert dict(people.keys) == {u: k * 1024 for u, k in order.items()}

    def ranges(email: str, policy: RowPolicy) -> Any:
        got = scope_of(people, people.by_email(email), policy).ranges
        return got and tuple((a // 1024, b // 1024) for a, b in got)

    p = RowPolicy(rows="hierarchy")
    assert ranges("alice@example.com", p) == ((3, 3),)
    assert ranges("ian@example.com", p) == ((2, 4),)  # Ian 2, Alice 3, Dana 4
    assert ranges("olga@example.com", p) == ((5, 7),)
    assert ranges("vera@example.com", p) == ((1, 7),)
    two = RowPolicy(rows="team", teams=(("west", ("alice@example.com", "bob@example.com")),))
    assert ranges("alice@example.com", two) == ((3, 3), (6, 6))  # Alice 3, Bob 6
    three = RowPolicy(
        rows="team", teams=(("w", ("alice@example.com", "bob@example.com", "vera@example.com")),)
    )
    assert ranges("alice@example.com", three) is None  # 1, 3, 6: three runs, named by id


def test_keys_keep_their_order_and_move_only_whom_they_must() -> None:
    first = owner_keys.keys_for(["a", "b", "c"], {})
    assert first == {"a": 1024, "b": 2048, "c": 3072}
    # a new user between a and b takes the middle of the gap; nobody else moves
    hired = owner_keys.keys_for(["a", "n", "b", "c"], first)
    assert hired == {"a": 1024, "n": 1536, "b": 2048, "c": 3072}
    # c moves before b (a role change): only c gets a new key, between n and b
    moved = owner_keys.keys_for(["a", "n", "c", "b"], hired)
    assert moved == {"a": 1024, "n": 1536, "c": 1792, "b": 2048}
    # a run is keys with no other user's key between them, not consecutive numbers
    assert owner_keys.ranges(["n", "c"], moved) == ((1536, 1792),)
    assert owner_keys.ranges(["a", "b"], moved) == ((1024, 1024), (2048, 2048))
    # a gap with no room left: everyone is spread out again, in order
    full = owner_keys.keys_for(["a", "x", "b"], {"a": 1, "b": 2})
    assert full == {"a": 1024, "x": 2048, "b": 3072}


def test_the_owner_key_is_no_field(db: Path) -> None:
    tables = describe_cache(SnapshotReader(db).cursor())
    task = next(t for t in tables if t.name == "Task")
    assert "OwnerId" in {f.name for f in task.fields}  # the records' own fields are listed
    assert all(f.name != "_kpibot_owner_key" for t in tables for f in t.fields)


def test_a_scope_of_more_runs_filters_on_the_owner_ids(db: Path, people: Any) -> None:
    policy = RowPolicy(
        rows="team", teams=(("w", ("alice@example.com", "bob@example.com", "vera@example.com")),)
    )
    scope = scope_of(people, people.by_email("alice@example.com"), policy)
    a = engine.run(
        Query(metrics=("calls",)),
        catalog=load_catalog(None),
        settings=fixture_settings(),
        reader=SnapshotReader(db),
        today=date(2024, 6, 27),
        scope=scope,
    )
    # this quarter: Alice T01 T03 T00, Bob 3 (test_a_filter_on_someone_out_of_scope…), Vera 0
    assert a.rows == ((6,),)
    assert OWNERS_SQL in a.sql and "_kpibot_owner_key" not in a.sql


def test_a_user_moved_to_another_role_is_numbered_anew_by_the_next_sync(tmp_path: Path) -> None:
    moved = load_fixture_org(tmp_path / "kpibot.duckdb")
    with open_writer(moved, source="salesforce:test") as w:  # a sync bringing Alice's move
        w.con.execute("UPDATE \"User\" SET UserRoleId = 'R5' WHERE Id = 'U1'")
        rewritten = owner_keys.apply(w.con)
        hers = sum(
            w.con.execute(f"SELECT count(*) FROM \"{t}\" WHERE OwnerId = 'U1'").fetchone()[0]
            for t in rewritten
        )
    assert 0 < sum(rewritten.values()) == hers  # only Alice's records are rewritten
    with open_writer(moved, source="salesforce:test") as w:  # a sync with no role change
        assert set(owner_keys.apply(w.con).values()) == {0}
    reader = SnapshotReader(moved)
    people = load_people(reader.cursor())
    # Alice's old key 3072 no longer fits the order (Vera, Ian, Dana, Olga, Alice, Bob, 张伟):
    # she alone is renumbered, halfway between Olga 5120 and Bob 6144; the others keep theirs
    assert dict(people.keys) == {
        "U7": 1024,
        "U5": 2048,
        "U4": 4096,
        "U6": 5120,
        "U1": 5632,
        "U2": 6144,
        "U3": 7168,
    }
    p = RowPolicy(rows="hierarchy")
    olga = scope_of(people, people.by_email("olga@example.com"), p)
    assert olga.owners == ("U1", "U2", "U3", "U6") and olga.ranges == ((5120, 7168),)
    ian = scope_of(people, people.by_email("ian@example.com"), p)
    assert ian.owners == ("U4", "U5") and ian.ranges == ((2048, 4096),)  # 3072 is nobody's now
    tasks = (
        reader.cursor()
        .execute("SELECT DISTINCT _kpibot_owner_key FROM \"Task\" WHERE OwnerId = 'U1'")
        .fetchall()
    )
    assert tasks == [(5632,)]  # Alice's records carry her new key
    by_rep = engine.run(
        Query(metrics=("calls",), groupings=("rep",)),
        catalog=load_catalog(None),
        settings=fixture_settings(),
        reader=reader,
        today=date(2024, 6, 27),
        scope=olga,
    )
    # this quarter: Alice T01 T03 T00, Bob 3, 张伟 1 — Alice's now in Olga's team
    assert sorted(by_rep.rows) == [("Alice Wang", 3), ("Bob Smith", 3), ("张伟", 1)]


# -- the compiler: every record set is filtered ---------------------------------------------------


def test_one_run_of_keys_is_one_range_and_two_runs_are_both(db: Path, people: Any) -> None:
    # One run (Alice under hierarchy: key 3) is a single BETWEEN, which DuckDB applies in the
    # scan; two runs (team west: Alice 3, Bob 6) are an OR of both. Either way the same counts
    # as by hand: this quarter Alice made 3 calls, Bob 3, 张伟 1 (outside both scopes).
    west = RowPolicy(rows="team", teams=(("west", ("alice@example.com", "bob@example.com")),))
    cases = [
        (RowPolicy(rows="hierarchy"), [("Alice Wang", 3)], False),
        (west, [("Alice Wang", 3), ("Bob Smith", 3)], True),
    ]
    for policy, rows, both in cases:
        scope = scope_of(people, people.by_email("alice@example.com"), policy)
        a = engine.run(
            Query(metrics=("calls",), groupings=("rep",)),
            catalog=load_catalog(None),
            settings=fixture_settings(),
            reader=SnapshotReader(db),
            today=date(2024, 6, 27),
            scope=scope,
        )
        assert sorted(a.rows) == rows
        assert SCOPE_SQL in a.sql and ("$scope_from2" in a.sql) is both
        assert ("visible ones two runs" in a.sql) is both


def test_a_filter_on_someone_out_of_scope_finds_nothing(db: Path, people: Any) -> None:
    alice = scope_of(people, people.by_email("alice@example.com"), RowPolicy(rows="hierarchy"))
    reader = SnapshotReader(db)
    q = Query(metrics=("calls",), filters=(Filter("rep", "in", ("bob smith",)),))
    a = engine.run(
        q,
        catalog=load_catalog(None),
        settings=fixture_settings(),
        reader=reader,
        today=date(2024, 6, 27),
        scope=alice,
    )
    assert a.rows == ((0,),)  # Bob made 3 calls this quarter; Alice may not see them
    assert SCOPE_SQL in a.sql and "role-hierarchy order" in a.sql  # Show SQL says what it is
    unscoped = engine.run(
        q,
        catalog=load_catalog(None),
        settings=fixture_settings(),
        reader=reader,
        today=date(2024, 6, 27),
    )
    assert unscoped.rows == ((3,),) and "scope_owners" not in unscoped.sql


# -- kpibot ask --as ------------------------------------------------------------------------------

QUESTIONS = [
    "revenue won by rep",
    "top deals",
    "deals won vs previous period",
    "calls by rep vs previous period",
    "top 1 rep by revenue won",
    "leads by rep",
    "calls for bob smth",
]


def _ask(db: Path, email: str, questions: list[str]) -> tuple[int, list[dict[str, Any]], str]:
    proc = ask_json(db, questions, config=CONFIG, today=TODAY, extra=("--as", email))
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    return proc.returncode, lines, proc.stderr


def _rows(got: dict[str, Any]) -> list[list[Any]]:
    assert "error" not in got, got
    return [[pytest.approx(v) if isinstance(v, float) else v for v in r] for r in got["rows"]]


def test_a_rep_sees_only_their_own_numbers_and_names(db: Path) -> None:
    rc, got, err = _ask(db, "alice@example.com", QUESTIONS)
    assert rc == 0, err
    by_q = dict(zip(QUESTIONS, got, strict=True))
    # Alice: O1 won 15 May, 50000 (O7 closed in Q1)
    assert by_q["revenue won by rep"]["rows"] == _rows({"rows": [["Alice Wang", 50000.0]]})
    assert by_q["top deals"]["rows"] == [
        ["Acme expansion", "Acme", "Alice Wang", 50000.0, "2024-05-15", 34]
    ]
    # Won this quarter to date: O1; in 1 Jan – 28 Mar: O7 → (1 − 1) / 1 = 0
    assert by_q["deals won vs previous period"]["rows"] == [[1, 1, 0.0]]
    # T01 T03 T00 this quarter, T11 T12 in Q1 → (3 − 2) / 2
    assert by_q["calls by rep vs previous period"]["rows"] == [["Alice Wang", 3, 2, 0.5]]
    assert by_q["top 1 rep by revenue won"]["rows"] == [["Alice Wang", 50000.0]]
    assert by_q["leads by rep"]["rows"] == [["Alice Wang", 2]]  # L1, L2
    # Bob is data Alice may not see: not even offered as "did you mean".
    assert "error" in by_q["calls for bob smth"]
    text = json.dumps(got, ensure_ascii=False)
    for hidden in ("Bob", "张伟", "Dana", "Initech", "Globex renewal"):
        assert hidden not in text, hidden
    for answer in got[:-1]:
        assert SCOPE_SQL in answer["sql"]  # Show SQL shows the filter
        assert "U1" not in answer["sql"]  # the ids are bound, never written into the SQL
        assert answer["notes"][-1] == "Shown for you only."


def test_a_manager_sees_their_team(db: Path) -> None:
    rc, got, err = _ask(db, "olga@example.com", QUESTIONS[:4])
    assert rc == 0, err
    revenue, top, won, calls = got
    assert _rows(revenue) == [["张伟", 80000.0], ["Bob Smith", 50000.0]]
    # O5 80000, O11 50000; O2 has no amount
    assert [r[0] for r in top["rows"]] == ["Acme platform", "Initech suite"]
    # O2, O5, O11 this quarter; none of theirs won in Q1: no growth
    assert won["rows"] == [[3, 0, None]]
    assert calls["rows"] == [["Bob Smith", 3, 0, None], ["张伟", 1, 0, None]]
    assert revenue["notes"][-1] == "Shown for your team: 3 people."


def test_a_vp_sees_all(db: Path) -> None:
    rc, got, err = _ask(db, "vera@example.com", QUESTIONS[:3])
    assert rc == 0, err
    revenue, top, won = got
    assert _rows(revenue) == [["张伟", 80000.0], ["Alice Wang", 50000.0], ["Bob Smith", 50000.0]]
    assert [r[0] for r in top["rows"]] == ["Acme platform", "Initech suite", "Acme expansion"]
    assert won["rows"] == [[4, 1, 3.0]]


def test_an_unknown_email_is_refused_in_one_sentence(db: Path) -> None:
    rc, got, err = _ask(db, "mallory@example.com", QUESTIONS[:1])
    assert rc == 1 and got == []
    assert err.count(".") <= 2 and err.strip().endswith(").")  # one sentence, then nothing
    assert "mallory@example.com is not an active Salesforce user" in err
    assert "Traceback" not in err
    # Dana is in the data but inactive: refused the same way.
    rc, _, err = _ask(db, "dana@example.com", QUESTIONS[:1])
    assert rc == 1 and "not an active Salesforce user" in err


# -- follow-ups keep the answer's scope -----------------------------------------------------------


def test_previous_period_and_csv_keep_the_scope(db: Path, people: Any) -> None:
    cfg = load_config(str(CONFIG), str(db))
    backend = RealBackend(cfg)
    alice = scope_of(people, people.by_email("alice@example.com"), RowPolicy(rows="hierarchy"))
    reply = backend.ask("calls by rep", today=date(2024, 6, 27), with_chart=False, scope=alice)
    assert reply.answer is not None
    csv = answer_csv(reply.answer).decode("utf-8-sig")
    assert "Alice Wang" in csv and "Bob" not in csv and "张伟" not in csv
    prev = backend.previous_period(reply.answer, today=date(2024, 6, 27))
    assert prev is not None and prev.answer is not None
    assert prev.answer.rows == (("Alice Wang", 2),)  # T11, T12 in Q1: only hers
    assert prev.answer.scope == alice
    everyone = backend.ask("calls by rep", today=date(2024, 6, 27), with_chart=False)
    assert everyone.answer is not None and everyone.answer.scope == EVERYONE


def test_typeahead_and_follow_ups_offer_only_visible_names(db: Path) -> None:
    args = ("complete", "calls for b", "--json", "--config", str(CONFIG), "--db", str(db))
    everyone = json.loads(run_kpibot(*args, cwd=ROOT).stdout)["completions"]
    assert "calls for Bob Smith" in everyone
    alice = run_kpibot(*args, "--as", "alice@example.com", cwd=ROOT)
    assert alice.returncode == 0, alice.stderr
    assert not [c for c in json.loads(alice.stdout)["completions"] if "Bob" in c]
    follow = run_kpibot(
        "ask", "by rep", "--after", "revenue won", "--json", "--today", TODAY,
        "--config", str(CONFIG), "--db", str(db), "--as", "alice@example.com", cwd=ROOT,
    )  # fmt: skip
    assert follow.returncode == 0, follow.stderr
    assert json.loads(follow.stdout)["rows"] == [["Alice Wang", 50000.0]]


def test_a_user_moved_to_another_role_sees_the_new_scope_after_the_next_load(
    tmp_path: Path,
) -> None:
    db = load_fixture_org(tmp_path / "kpibot.duckdb")
    _, got, _ = _ask(db, "alice@example.com", ["revenue won by rep"])
    assert got[0]["rows"] == [["Alice Wang", 50000.0]]
    # Alice becomes Outbound Manager (R3): the next snapshot has her above Bob and 张伟.
    org = tmp_path / "org"
    shutil.copytree(ORG, org)
    users = (org / "User.csv").read_text(encoding="utf-8")
    (org / "User.csv").write_text(
        users.replace("alice@example.com,Inbound,true,R4", "alice@example.com,Inbound,true,R3"),
        encoding="utf-8",
    )
    load_fixture_org(db, org)
    _, got, _ = _ask(db, "alice@example.com", ["revenue won by rep"])
    # Her own O1 50000, 张伟's O5 80000, Bob's O11 50000
    assert _rows(got[0]) == [["张伟", 80000.0], ["Alice Wang", 50000.0], ["Bob Smith", 50000.0]]


def test_field_search_records_without_an_owner(db: Path) -> None:
    """docs/access.md, "Records without an owner": OpportunityHistory follows its opportunity's
    owner (Salesforce's "controlled by parent"); a User is seen by whoever sees their records;
    UserRole has neither and is refused under a restricted scope."""
    questions = ["opportunity history records all time", "users by department all time"]
    rc, ian, err = _ask(db, "ian@example.com", [*questions, "user roles all time"])
    assert rc == 0, err
    # OpportunityHistory.csv: Ian sees O1 (H01–H04) and O4 (H05, H06) → 6.
    assert ian[0]["rows"] == [[6]]
    # Ian sees Alice, Dana and himself, all Department Inbound.
    assert ian[1]["rows"] == [["Inbound", 3]]
    assert ian[2]["error"]["message"] == (
        "user roles counts records that have no owner, so under row-level access only people "
        "who see every record can ask about it."
    )
    rc, olga, err = _ask(db, "olga@example.com", questions)
    assert rc == 0, err
    # Olga: O6 (H09, H10) and O3 (H12, H13) → 4; O8's H07, H08 follow a deleted opportunity,
    # which the cache does not keep, so no restricted reader counts them.
    assert olga[0]["rows"] == [[4]]
    assert olga[1]["rows"] == [["Outbound", 3]]  # Bob, 张伟, Olga


def test_a_user_dashboard_is_drawn_from_the_viewers_records(db: Path, tmp_path: Path) -> None:
    from bot.boards.service import to_dashboard
    from bot.boards.store import StoredBoard, StoredPanel
    from tests.test_boards_real import Recording

    cfg = load_config(CONFIG, str(db)).model_copy(
        update={"state_database": str(tmp_path / "state.sqlite")}
    )
    backend = Recording(cfg)
    alice = scope_of(
        backend.people(), backend.people().by_email("alice@example.com"), cfg.access.row_policy()
    )
    panels = ("revenue won by rep", "top deals", "calls by rep")
    board = StoredBoard(1, "channel:CSALES", "Team", "UVERA", "", tuple(
        StoredPanel(i + 1, q) for i, q in enumerate(panels)
    ))  # fmt: skip
    reply = backend.board(to_dashboard(board), "", today=date(2024, 6, 27), scope=alice)
    assert reply.error is None and reply.chart_png
    assert [a.scope.owners for a in backend.answers] == [("U1",)] * 3
    names = {str(v) for a in backend.answers for row in a.rows for v in row}
    # Revenue won: O1 50,000; top deals: O1; calls this quarter: T00, T01, T03 — all Alice's.
    assert "Alice Wang" in names and not names & {"Bob Smith", "张伟", "Dana Lee"}


def test_a_channel_scope_is_a_role_subtree_or_a_team_and_answers_take_the_narrower(
    people: Any,
) -> None:
    from i18n import Language, say
    from metrics.scope import group_scope, narrower

    EN, ZH = Language.EN, Language.ZH

    h = RowPolicy(rows="hierarchy")
    inbound = group_scope(people, h, "inbound manager")  # by name, any case: R2 and R4 below
    assert inbound is not None and inbound.owners == ("U1", "U4", "U5")
    assert say(EN, inbound.label) == "the Inbound Manager team: 3 people"
    assert say(ZH, inbound.label) == "Inbound Manager 团队（3 人）"
    outbound = group_scope(people, h, "R3")  # by id
    assert outbound is not None and outbound.owners == ("U2", "U3", "U6")
    assert group_scope(people, h, "all") == EVERYONE
    assert group_scope(people, h, "Nobody's Role") is None
    teams = RowPolicy(rows="team", teams=(("East", ("alice@example.com", "bob@example.com")),))
    east = group_scope(people, teams, "East")
    assert east is not None and east.owners == ("U1", "U2")
    assert group_scope(people, teams, "West") is None

    def mine(email: str) -> Any:
        return scope_of(people, people.by_email(email), h)

    # Alice in the inbound channel: hers (narrower); Vera there: the channel's; Olga there:
    # nobody in common; anyone in an `all` channel: their own.
    assert say(EN, narrower(people, mine("alice@example.com"), inbound).label) == "you only"
    assert narrower(people, mine("vera@example.com"), inbound) == inbound
    assert narrower(people, mine("olga@example.com"), inbound).owners == ()
    assert narrower(people, mine("olga@example.com"), EVERYONE).owners == ("U2", "U3", "U6")
    # Ian {U1, U4, U5} in team East {U1, U2}: only what both allow, said as such.
    both = narrower(people, mine("ian@example.com"), east)
    assert both.owners == ("U1",)
    assert say(EN, both.label) == "what both you and this channel may see: 1 person"
    assert say(ZH, both.label) == "你和本频道都能看到的人（1 人）"


def test_serve_checks_row_access_at_start(
    db: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.identity import check_row_access
    from metrics.errors import ConfigError

    cfg = load_config(CONFIG, str(db))
    access = cfg.access.model_copy(
        update={"channels": {"#inbound": "Inbound Manager", "#typo": "Inbond Manager"}}
    )
    cfg = cfg.model_copy(update={"access": access, "state_database": str(tmp_path / "s.db")})
    with caplog.at_level("WARNING"):
        assert check_row_access(cfg, RealBackend(cfg)) is not None
    warned = [r.getMessage() for r in caplog.records if "access.channels" in r.getMessage()]
    assert warned == [
        'access.channels: #typo has the scope "Inbond Manager", which names no role or team in '
        "the data; nobody is answered there until it does"
    ]
    with pytest.raises(ConfigError, match="needs the real engine"):
        check_row_access(cfg, object())  # a plug-in backend that cannot read the org's users


def test_scope_lines_and_the_no_owner_refusal_in_chinese(db: Path) -> None:
    """A Chinese question under row-level access: whose numbers, and why a record set without
    an owner is refused, said in Chinese (docs/languages.md)."""
    rc, got, err = _ask(db, "olga@example.com", ["赢单金额 按销售", "user roles 全部时间"])
    assert rc == 0, err
    revenue, roles = got
    assert revenue["language"] == "zh"
    assert revenue["notes"][-1] == "显示范围：你的团队（3 人）。"  # Olga, Bob and 张伟
    assert roles["error"]["message"] == (
        "user roles 统计的是没有负责人的记录，在行级权限下只有能看全部记录的人才能查询。"
    )
    rc, got, err = _ask(db, "alice@example.com", ["赢单金额 按销售"])
    assert got[0]["notes"][-1] == "显示范围：仅你本人。"
