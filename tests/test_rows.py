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
from cache.snapshot import SnapshotReader
from metrics import engine
from metrics.catalog import load_catalog
from metrics.query import Filter, Query
from metrics.scope import EVERYONE, RowPolicy, load_people, scope_of
from tests.cli_run import ask_json, run_kpibot
from tests.fixture_org import ORG, fixture_settings, load_fixture_org

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ORG / "app-hierarchy.yaml"
TODAY = "2024-06-27"
# The row filter as Show SQL prints it (pretty-printed: the subquery on its own lines).
SCOPE_SQL = "UNNEST($scope_owners)"


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


# -- the compiler: every record set is filtered ---------------------------------------------------


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
    assert "r.OwnerId IN (" in a.sql and SCOPE_SQL in a.sql
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


# -- where row-level access does not reach yet, nothing starts ------------------------------------


def test_slack_and_digests_refuse_to_start_with_a_restricted_policy(db: Path) -> None:
    serve = run_kpibot("serve", "--config", str(CONFIG), "--db", str(db), cwd=ROOT)
    assert serve.returncode == 2, serve.stderr
    assert "access.rows: hierarchy is applied by `kpibot ask --as` only so far" in serve.stderr
    assert "Traceback" not in serve.stderr


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
