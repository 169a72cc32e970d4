"""`kpibot serve` re-imports a source on its own schedule (refresh_every), as a child process."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from bot.cli.sources import start_import_loops
from bot.config import load
from cache.snapshot import current_target
from tests.fixture_org import load_fixture_org


def test_a_source_is_reimported_every_refresh_every(tmp_path: Path) -> None:
    db = load_fixture_org(tmp_path / "kpibot.duckdb")
    (tmp_path / "spend.csv").write_text("Month,Channel,Spend\n2024-04,Inbound,100\n")
    config = tmp_path / "app.yaml"
    config.write_text(
        "sources:\n"
        "  - {name: spend, table: marketing_spend, file: spend.csv, refresh_every: 1s,\n"
        "     columns: {date: Month, channel: Channel, amount: Spend}}\n"
        "  - {name: never, table: quota, file: q.csv,\n"
        "     columns: {rep: r, period_start: p, amount: a}}\n"
    )
    cfg = load(config, str(db))
    loops = start_import_loops(cfg, str(config))
    assert len(loops) == 1  # the source without refresh_every is imported by hand only

    def spend() -> int:
        con = duckdb.connect(str(current_target(db)), read_only=True)
        try:
            row = con.execute("SELECT coalesce(sum(amount), 0) FROM marketing_spend").fetchone()
            return int(row[0]) if row else 0
        finally:
            con.close()

    try:
        deadline = time.monotonic() + 60
        while spend() != 100 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert spend() == 100
        (tmp_path / "spend.csv").write_text("Month,Channel,Spend\n2024-04,Inbound,250\n")
        while spend() != 250 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert spend() == 250  # the changed file was brought in by the schedule
    finally:
        for loop in loops:
            loop.stop()
            loop.join(timeout=30)
