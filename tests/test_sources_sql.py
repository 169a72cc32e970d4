"""A SQL source: a query against a real PostgreSQL 15 server the test starts and stops itself."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from cache.snapshot import current_target
from metrics.settings import OrgSettings
from sources.config import SourceConfig
from sources.importer import import_sources
from sources.read import SourceError
from tests.cli_run import run_kpibot
from tests.fixture_org import load_fixture_org
from tests.pg_server import PgServer


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh database on the test run's PostgreSQL 15 server (tests/conftest.py), with the
    CRM's quota table in it."""
    import psycopg

    url = pg_server.fresh_database()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(
            "CREATE TABLE crm_quota (owner_email text, starts date, target numeric(12,2));"
            "INSERT INTO crm_quota VALUES ('alice@example.com', '2024-04-01', 100000),"
            "('bob@example.com', '2024-04-01', 40000),"
            "('zhangwei@example.com', '2024-04-01', 160000),"
            "('alice@example.com', '2024-01-01', 80000);"
        )
    yield url


def _quota(
    url: str, query: str = "SELECT owner_email, starts, target FROM crm_quota"
) -> SourceConfig:
    return SourceConfig.model_validate(
        {
            "name": "crm",
            "table": "quota",
            "sql": {"url": url, "query": query},
            "columns": {"rep": "owner_email", "period_start": "starts", "amount": "target"},
        }
    )


def test_a_postgresql_query_is_imported_and_answers_quota_attainment(
    pg_url: str, tmp_path: Path
) -> None:
    db = load_fixture_org(tmp_path / "kpibot.duckdb")
    config = tmp_path / "app.yaml"
    # the URL comes from the environment, as a password would
    config.write_text(
        "timezone: Asia/Shanghai\nsources:\n"
        "  - name: crm\n    table: quota\n"
        "    sql: {url: '${QUOTA_DB}',\n"
        "          query: 'SELECT owner_email, starts, target FROM crm_quota'}\n"
        "    columns: {rep: owner_email, period_start: starts, amount: target}\n"
    )
    p = run_kpibot(
        "import",
        "crm",
        "--config",
        str(config),
        "--db",
        str(db),
        cwd=tmp_path,
        env={"QUOTA_DB": pg_url},
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "crm: 4 rows into quota"
    p = run_kpibot(
        "ask",
        "quota attainment by rep",
        "--json",
        "--today",
        "2024-06-27",
        "--config",
        str(config),
        "--db",
        str(db),
        cwd=tmp_path,
    )
    assert p.returncode == 0, p.stderr
    import json

    # revenue won Q2 ÷ quota: Bob 50000/40000, Alice 50000/100000, 张伟 80000/160000
    assert json.loads(p.stdout)["rows"] == [["Bob Smith", 1.25], ["Alice Wang", 0.5], ["张伟", 0.5]]
    con = duckdb.connect(str(current_target(db)), read_only=True)
    assert con.execute(
        "SELECT rep_id, period_start, period_end, amount FROM quota WHERE rep_id = 'U1' ORDER BY 2"
    ).fetchall() == [
        ("U1", date(2024, 1, 1), date(2024, 3, 31), Decimal("80000.00")),
        ("U1", date(2024, 4, 1), date(2024, 6, 30), Decimal("100000.00")),
    ]
    con.close()


def test_a_failing_query_changes_nothing(pg_url: str, tmp_path: Path) -> None:
    db = load_fixture_org(tmp_path / "kpibot.duckdb")
    published = current_target(db)
    settings = OrgSettings.model_validate({})
    with pytest.raises(SourceError, match="source crm: the query failed: .*no_such_table"):
        import_sources(db, [_quota(pg_url, "SELECT * FROM no_such_table")], settings, tmp_path)
    with pytest.raises(SourceError, match=r"source crm \(its query\): no column 'target'"):
        import_sources(
            db, [_quota(pg_url, "SELECT owner_email, starts FROM crm_quota")], settings, tmp_path
        )
    with pytest.raises(SourceError, match="source crm query row 1, column starts"):
        import_sources(
            db,
            [_quota(pg_url, "SELECT owner_email, 'soon' AS starts, target FROM crm_quota")],
            settings,
            tmp_path,
        )
    assert current_target(db) == published
