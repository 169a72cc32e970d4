"""The demo org: determinism, realistic records, and each story of the source document checked
with plain SQL written here from kpis.md (no metrics/ code)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from cache import schema
from cache.snapshot import SnapshotReader
from salesforce.demo import build_demo
from salesforce.demo_ids import KEY_PREFIX
from salesforce.demo_org import DemoSpec

TODAY = date(2026, 11, 27)
TZ = "Asia/Shanghai"
INBOUND = "('web', 'website', 'inbound call', 'content')"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "kpibot.duckdb"
    build_demo(db, DemoSpec(TODAY, 1.0, TZ, 1))
    return db


@pytest.fixture()
def con(demo_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    reader = SnapshotReader(demo_db)
    yield reader.cursor()
    reader.close()


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> object:
    row = con.execute(sql, params or []).fetchone()
    assert row is not None
    return row[0]


def local(col: str) -> str:
    """The org-zone wall-clock time of a TIMESTAMPTZ column."""
    return f"timezone('{TZ}', {col})"


def table_hash(db: Path) -> dict[str, str]:
    reader = SnapshotReader(db)
    cur = reader.cursor()
    out = {}
    for obj in schema.OBJECTS:
        # The hash of SELECT * … ORDER BY Id, computed inside DuckDB to keep the test quick.
        (out[obj.name],) = cur.execute(
            "SELECT sha256(string_agg(CAST(t AS VARCHAR), chr(10) ORDER BY Id)) "
            f'FROM "{obj.name}" t'
        ).fetchone()  # type: ignore[misc]
    reader.close()
    return out


def test_same_arguments_same_data(demo_db: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.duckdb"
    build_demo(again, DemoSpec(TODAY, 1.0, TZ, 1))
    assert table_hash(again) == table_hash(demo_db)
    other = tmp_path / "other.duckdb"
    build_demo(other, DemoSpec(date(2026, 11, 20), 0.05, TZ, 1))
    assert table_hash(other)["Task"] != table_hash(demo_db)["Task"]


def test_volumes_and_refresh_marks(con: duckdb.DuckDBPyConnection) -> None:
    tasks = one(con, 'SELECT count(*) FROM "Task"')
    assert 100_000 <= tasks <= 200_000  # type: ignore[operator]
    rows = con.execute(
        "SELECT object, source, refreshed_at, row_count FROM _kpibot_objects"
    ).fetchall()
    # the Salesforce objects and the two sources the demo ships (spend, quotas)
    assert {r[0] for r in rows} == {o.name for o in schema.OBJECTS} | {"marketing_spend", "quota"}
    assert {r[1] for r in rows} == {"demo"}
    as_of = one(con, "SELECT data_as_of FROM _kpibot_snapshot")
    assert str(one(con, f"SELECT {local('?::TIMESTAMPTZ')}", [as_of])) == "2026-11-27 18:00:00"
    for obj, _, _, n in rows:
        assert n == one(con, f'SELECT count(*) FROM "{obj}"')
    # Nothing happens after "data as of".
    for obj in ("Task", "Event", "Lead", "Opportunity"):
        assert one(con, f'SELECT count(*) FROM "{obj}" WHERE CreatedDate > ?', [as_of]) == 0


def test_ids_look_like_salesforce(con: duckdb.DuckDBPyConnection) -> None:
    for obj in schema.OBJECTS:
        bad = one(
            con,
            f"""SELECT count(*) FROM "{obj.name}"
                WHERE length(Id) <> 18 OR NOT starts_with(Id, ?)
                OR NOT regexp_full_match(Id, '[0-9A-Za-z]+')""",
            [KEY_PREFIX[obj.name]],
        )
        assert bad == 0, obj.name
    assert one(con, "SELECT count(DISTINCT lower(Id)) = count(*) FROM Task")
    # References point to records of the right kind.
    assert (
        one(
            con,
            "SELECT count(*) FROM Task "
            "WHERE NOT (starts_with(WhoId, '00Q') OR starts_with(WhoId, '003'))",
        )
        == 0
    )
    assert one(con, 'SELECT count(*) FROM Task t ANTI JOIN "User" u ON u.Id = t.OwnerId') == 0
    assert (
        one(
            con,
            "SELECT count(*) FROM OpportunityHistory h "
            "ANTI JOIN Opportunity o ON o.Id = h.OpportunityId",
        )
        == 0
    )


def test_records_are_realistic(con: duckdb.DuckDBPyConnection) -> None:
    # Calls in working hours, Monday to Friday, in the org's time zone.
    hours = con.execute(
        f"SELECT min(hour({local('CreatedDate')})), max(hour({local('CreatedDate')})), "
        f"max(isodow({local('CreatedDate')})) FROM Task WHERE TaskSubtype = 'Call'"
    ).fetchone()
    assert hours == (9, 17, 5)  # 09:00–18:00, Monday to Friday
    assert {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT CallDisposition FROM Task WHERE CallDisposition IS NOT NULL"
        ).fetchall()
    } == {"Connected", "Left Voicemail", "No Answer", "Busy", "Wrong Number"}
    assert {r[0] for r in con.execute("SELECT DISTINCT CallType FROM Task").fetchall()} == {
        "Outbound",
        "Inbound",
        None,
    }
    assert {r[0] for r in con.execute("SELECT DISTINCT TaskSubtype FROM Task").fetchall()} == {
        "Call",
        "Email",
        "Task",
    }
    assert {r[0] for r in con.execute('SELECT DISTINCT "Type" FROM Event').fetchall()} == {
        "Meeting",
        "Demo",
        "Other",
    }
    # The reps' teams; the VP and the two managers above them are on none (Department NULL).
    departments = con.execute('SELECT DISTINCT Department FROM "User"').fetchall()
    assert {r[0] for r in departments} == {"Outbound", "Inbound", None}
    roles = con.execute(
        'SELECT r.Name, p.Name FROM "UserRole" AS r '
        'LEFT JOIN "UserRole" AS p ON p.Id = r.ParentRoleId'
    ).fetchall()
    assert sorted(roles, key=str) == sorted(
        [
            ("VP Sales", None),
            ("Inbound Manager", "VP Sales"),
            ("Outbound Manager", "VP Sales"),
            ("Inbound Team", "Inbound Manager"),
            ("Outbound Team", "Outbound Manager"),
        ],
        key=str,
    )
    names = {r[0] for r in con.execute('SELECT Name FROM "User"').fetchall()}
    assert "温家豪" in names and "Emily Chen" in names
    # A role is a team (the `team` dimension): the outbound team of five of the source document.
    team = con.execute(
        'SELECT u.Name FROM "User" AS u JOIN "UserRole" AS r ON r.Id = u.UserRoleId '
        "WHERE r.Name = 'Outbound Team'"
    ).fetchall()
    assert {r[0] for r in team} == {"Emily Chen", "李明", "James Walker", "张伟", "Sophia Martinez"}
    assert one(con, "SELECT count(*) FROM Account WHERE Industry IS NULL") == 0
    nulls = one(con, "SELECT count(*) FROM Opportunity WHERE Amount IS NULL")
    assert 0 < nulls < one(con, "SELECT count(*) / 20 FROM Opportunity")  # type: ignore[operator]
    # Lead sources are those of app.yaml's channels (plus one in no channel).
    sources = {r[0] for r in con.execute("SELECT DISTINCT LeadSource FROM Lead").fetchall()}
    assert sources == {
        "Web",
        "Website",
        "Inbound Call",
        "Content",
        "Cold Call",
        "Outbound",
        "Partner",
        "Partner Referral",
        "Trade Show",
    }


def test_converted_leads_and_moved_activities(con: duckdb.DuckDBPyConnection) -> None:
    assert one(
        con,
        """SELECT count(*) FROM Lead l JOIN Opportunity o ON o.Id = l.ConvertedOpportunityId
           JOIN Contact c ON c.Id = l.ConvertedContactId
           JOIN Account a ON a.Id = l.ConvertedAccountId
           WHERE l.IsConverted AND o.AccountId = a.Id AND c.AccountId = a.Id""",
    ) == one(con, "SELECT count(*) FROM Lead WHERE ConvertedOpportunityId IS NOT NULL")
    assert (
        one(con, "SELECT count(*) FROM Lead WHERE IsConverted AND ConvertedOpportunityId IS NULL")
        > 0
    )  # type: ignore[operator]
    # A converted lead's activities were moved to its contact.
    assert (
        one(con, "SELECT count(*) FROM Task t JOIN Lead l ON t.WhoId = l.Id WHERE l.IsConverted")
        == 0
    )
    assert one(con, "SELECT count(*) FROM Task t JOIN Lead l ON t.WhoId = l.ConvertedContactId") > 0  # type: ignore[operator]


def test_stage_history(con: duckdb.DuckDBPyConnection) -> None:
    stages = [
        "Prospecting",
        "Qualification",
        "Needs Analysis",
        "Proposal/Price Quote",
        "Negotiation/Review",
    ]
    # Every closed opportunity's history walks the stages in order, then closes.
    rows = con.execute(
        """SELECT o.IsWon, list(h.StageName ORDER BY h.CreatedDate, h.Id) FROM Opportunity o
           JOIN OpportunityHistory h ON h.OpportunityId = o.Id
           WHERE o.IsClosed GROUP BY o.Id, o.IsWon"""
    ).fetchall()
    assert rows
    for won, path in rows:
        assert path[-1] == ("Closed Won" if won else "Closed Lost")
        assert path[:-1] == stages[: len(path) - 1]
        if won:
            assert len(path) == 6
    assert (
        one(
            con,
            """SELECT count(*) FROM Opportunity o WHERE NOT IsClosed AND StageName <> (
             SELECT arg_max(StageName, CreatedDate) FROM OpportunityHistory
             WHERE OpportunityId = o.Id)""",
        )
        == 0
    )


# -- the stories -------------------------------------------------------------------------------

ACTIVITIES = "(SELECT WhoId, CreatedDate FROM Task UNION ALL SELECT WhoId, CreatedDate FROM Event)"
# A lead's activities are on the lead or, once converted, on its contact (kpis.md); two equi-join
# keys per lead keep the joins fast.
LEAD_WHO = """(SELECT Id, OwnerId, CreatedDate, Id AS who FROM Lead UNION ALL
   SELECT Id, OwnerId, CreatedDate, ConvertedContactId FROM Lead
   WHERE ConvertedContactId IS NOT NULL)"""
ATTEMPTS = f"""(SELECT l.Id, l.OwnerId, count(t.Id) AS n FROM {LEAD_WHO} l LEFT JOIN Task t
   ON t.WhoId = l.who AND t.TaskSubtype IN ('Call', 'Email')
   AND t.CreatedDate >= l.CreatedDate GROUP BY l.Id, l.OwnerId)"""


def test_wen_jiahao_responds_fastest_and_follows_up_most(con: duckdb.DuckDBPyConnection) -> None:
    response = con.execute(
        f"""WITH f AS (SELECT l.Id, l.OwnerId, min(a.CreatedDate) - l.CreatedDate AS wait
              FROM {LEAD_WHO} l JOIN {ACTIVITIES} a ON a.WhoId = l.who
              AND a.CreatedDate >= l.CreatedDate GROUP BY l.Id, l.OwnerId, l.CreatedDate)
            SELECT u.Name, avg(epoch(wait)) / 3600 FROM f JOIN "User" u ON u.Id = f.OwnerId
            GROUP BY u.Name ORDER BY 2"""
    ).fetchall()
    assert response[0][0] == "温家豪"
    assert response[0][1] < 0.6 * response[1][1]
    follow = con.execute(
        f"""SELECT u.Name, count(*) FILTER (WHERE n >= 2) / count(*) FILTER (WHERE n >= 1)
            FROM {ATTEMPTS} a JOIN "User" u ON u.Id = a.OwnerId GROUP BY u.Name ORDER BY 2 DESC"""
    ).fetchall()
    assert follow[0][0] == "温家豪"
    assert follow[0][1] > follow[1][1] + 0.05


def test_most_leads_inbound_partner_deals_biggest(con: duckdb.DuckDBPyConnection) -> None:
    channel = f"""CASE WHEN lower(trim(LeadSource)) IN {INBOUND} THEN 'inbound'
        WHEN lower(trim(LeadSource)) IN ('cold call', 'outbound') THEN 'outbound'
        WHEN lower(trim(LeadSource)) IN ('partner', 'partner referral') THEN 'partner'
        ELSE 'other' END"""
    leads = dict(con.execute(f"SELECT {channel}, count(*) FROM Lead GROUP BY 1").fetchall())
    assert leads["inbound"] > 0.5 * sum(leads.values())
    size = con.execute(
        f"SELECT {channel}, avg(Amount) FROM Opportunity WHERE IsWon AND Amount IS NOT NULL "
        "GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    assert size[0][0] == "partner"
    assert size[0][1] > 1.4 * size[1][1]


def test_connect_rate_highest_tuesday_wednesday(con: duckdb.DuckDBPyConnection) -> None:
    for since in ("DATE '2026-11-27' - 30", "DATE '2024-01-01'"):
        rates = con.execute(
            f"""SELECT isodow({local("CreatedDate")}) AS d,
                  count(*) FILTER (WHERE lower(trim(CallDisposition)) = 'connected') / count(*)
                FROM Task WHERE TaskSubtype = 'Call' AND CallType = 'Outbound'
                AND {local("CreatedDate")}::DATE BETWEEN {since} AND DATE '2026-11-27'
                GROUP BY d ORDER BY 2 DESC"""
        ).fetchall()
        assert {rates[0][0], rates[1][0]} == {2, 3}
        assert min(rates[0][1], rates[1][1]) > 1.3 * rates[2][1]


def test_follow_up_falls_off_after_third_attempt(con: duckdb.DuckDBPyConnection) -> None:
    by_k = dict(
        con.execute(
            f"""SELECT k, count(*) FILTER (WHERE n >= k + 1) / count(*) FILTER (WHERE n >= k)
                FROM {ATTEMPTS}, range(1, 6) r(k) GROUP BY k"""
        ).fetchall()
    )
    assert by_k[1] > 0.75 and by_k[2] > 0.65
    assert by_k[3] < 0.5 * by_k[2] and by_k[4] < 0.5 * by_k[2]


def test_inbound_funnel_near_18_and_15_percent_slightly_falling(
    con: duckdb.DuckDBPyConnection,
) -> None:
    def ratio(first: str, last: str) -> float:
        return float(
            one(  # type: ignore[arg-type]
                con,
                f"""SELECT count(ConvertedOpportunityId) / count(*) FROM Lead
                WHERE lower(trim(LeadSource)) IN {INBOUND}
                AND {local("CreatedDate")}::DATE BETWEEN DATE '{first}' AND DATE '{last}'""",
            )
        )

    last30, before = ratio("2026-10-29", "2026-11-27"), ratio("2026-09-29", "2026-10-28")
    assert 0.16 <= last30 <= 0.20
    assert last30 < before
    assert 0.17 <= ratio("2025-11-28", "2026-11-27") <= 0.20
    win = float(
        one(  # type: ignore[arg-type]
            con,
            f"""SELECT count(*) FILTER (WHERE IsWon) / count(*) FROM Opportunity
            WHERE IsClosed AND lower(trim(LeadSource)) IN {INBOUND}
            AND CloseDate BETWEEN DATE '2026-10-29' AND DATE '2026-11-27'""",
        )
    )
    assert 0.12 <= win <= 0.18


def test_three_of_top_five_deals_last_quarter_took_longer(con: duckdb.DuckDBPyConnection) -> None:
    # Last quarter of 2026-11-27 with calendar quarters: July to September 2026.
    cycles = [
        r[1]
        for r in con.execute(
            f"""SELECT Name, CloseDate - {local("CreatedDate")}::DATE FROM Opportunity
                WHERE IsWon AND Amount IS NOT NULL
                AND CloseDate BETWEEN DATE '2026-07-01' AND DATE '2026-09-30'
                ORDER BY Amount DESC, CloseDate DESC, Name, Id LIMIT 5"""
        ).fetchall()
    ]
    typical = one(
        con,
        f"""SELECT median(CloseDate - {local("CreatedDate")}::DATE) FROM Opportunity
            WHERE IsWon AND CloseDate BETWEEN DATE '2026-07-01' AND DATE '2026-09-30'""",
    )
    long = [c for c in cycles if c > 3 * typical]  # type: ignore[operator]
    assert len(long) == 3
    assert all(c < 2 * typical for c in cycles if c not in long)  # type: ignore[operator]


def test_outbound_calls_and_demos_down_last_31_days(con: duckdb.DuckDBPyConnection) -> None:
    def count(sql_from: str, first: str, last: str) -> int:
        return int(
            one(  # type: ignore[call-overload]
                con,
                f"SELECT count(*) FROM {sql_from} AND {local('CreatedDate')}::DATE "
                f"BETWEEN DATE '{first}' AND DATE '{last}'",
            )
        )

    calls = "Task WHERE TaskSubtype = 'Call' AND CallType = 'Outbound'"
    demos = "Event WHERE \"Type\" = 'Demo'"
    assert count(calls, "2026-10-28", "2026-11-27") < 0.92 * count(
        calls, "2026-09-27", "2026-10-27"
    )
    assert count(demos, "2026-10-28", "2026-11-27") < 0.9 * count(demos, "2026-09-27", "2026-10-27")


def test_outbound_team_of_five(con: duckdb.DuckDBPyConnection) -> None:
    assert one(con, "SELECT count(*) FROM \"User\" WHERE Department = 'Outbound'") == 5
    assert one(con, "SELECT count(*) FROM \"User\" WHERE Department = 'Inbound'") > 0  # type: ignore[operator]


def test_demo_written_as_export_loads_back_identically(demo_db: Path, tmp_path: Path) -> None:
    from salesforce.demo_export import write_export
    from salesforce.export import load_export

    write_export(demo_db, tmp_path / "export")
    loaded = tmp_path / "loaded.duckdb"
    summary = load_export(tmp_path / "export", loaded)
    assert summary.missing_objects == () and summary.ignored_columns == {}
    assert table_hash(loaded) == table_hash(demo_db)


def test_cli_demo_summary_and_usage_errors(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from bot.cli.main import build_app

    app = build_app()

    config = str(Path(__file__).parent.parent / "app.yaml")
    db = tmp_path / "k.duckdb"
    runner = CliRunner()
    args = ["demo", "--config", config, "--db", str(db)]
    res = runner.invoke(app, [*args, "--today", "2026-11-27", "--scale", "0.05"])
    assert res.exit_code == 0, res.output
    assert "Task" in res.stdout and "Lead" in res.stdout
    assert f"Cache: {db}" in res.stdout
    assert "data as of 27 Nov 2026 18:00 CST" in res.stdout
    bad = runner.invoke(app, [*args, "--scale", "0"])
    assert bad.exit_code == 2 and "--scale" in bad.stderr
    bad = runner.invoke(app, [*args, "--today", "27/11/2026"])
    assert bad.exit_code == 2 and "--today" in bad.stderr
    assert "Traceback" not in bad.output
