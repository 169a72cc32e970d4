"""A cache published by an older kpibot, opened by this one: the derived tables it lacks are
added by publishing it again (its data and "data as of" unchanged), before any question reads
them. Real DuckDB snapshot files of the hand-made fixture org (today Thu 27 Jun 2024)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot import config as app_config
from bot.backend import RealBackend
from cache.connection import connect
from cache.derived import missing
from cache.snapshot import current_target
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
