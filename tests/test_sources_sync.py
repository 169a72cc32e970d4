"""Imported sources survive every Salesforce sync, incremental and full (the cache's ownership
registry: a sync writes the Salesforce tables only)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cache import schema
from cache.snapshot import current_target
from metrics.settings import OrgSettings
from sources.config import SourceConfig
from sources.importer import import_sources
from tests.sf_emulator import Emulator, Org
from tests.sf_emulator.harness import client, run, seed


def _source_state(db: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    con = duckdb.connect(str(current_target(db)), read_only=True)
    try:
        rows = con.execute("SELECT * FROM marketing_spend ORDER BY ALL").fetchall()
        meta = con.execute(
            f"SELECT object, source, refreshed_at, row_count FROM {schema.META_OBJECTS} "
            "WHERE object = 'marketing_spend'"
        ).fetchall()
        return rows, meta
    finally:
        con.close()


def test_a_sync_keeps_imported_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    org = Org()
    seed(org, random.Random(7), tasks=20)
    db = tmp_path / "kpibot.duckdb"
    (tmp_path / "spend.csv").write_text("Month,Channel,Spend\n2024-04,Inbound,100\n")
    spend = SourceConfig.model_validate(
        {
            "name": "spend",
            "table": "marketing_spend",
            "file": "spend.csv",
            "columns": {"date": "Month", "channel": "Channel", "amount": "Spend"},
        }
    )
    with Emulator(tmp_path / "emu", org, page_size=7) as emu:
        api = client(emu, monkeypatch)
        run(api, db)
        import_sources(db, [spend], OrgSettings.model_validate({}), tmp_path)
        before = _source_state(db)
        assert len(before[0]) == 1 and before[1][0][1] == "source:spend"
        org.insert("Task", {"Subject": "later call", "OwnerId": org.live_ids("User")[0]})
        run(api, db)  # incremental
        assert _source_state(db) == before
        run(api, db, full=True)
        assert _source_state(db) == before
