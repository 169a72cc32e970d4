"""`kpibot demo`: build a deterministic demo org into a fresh cache snapshot.

Same arguments, same data: every random draw comes from one ``numpy.random.Generator`` seeded
from (today, scale, time zone, fiscal start), and records are generated and numbered in a fixed
order. Rows are generated in chunks and appended as Arrow tables, so memory stays bounded at any
``--scale`` (docs/demo.md, docs/benchmarks.md).

>>> build_demo(Path("data/kpibot.duckdb"), DemoSpec(date(2026, 11, 27)))  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cache import schema
from cache.lake import LakeTarget
from cache.snapshot import open_writer
from salesforce.demo_activity import add_dials_and_inbound_calls
from salesforce.demo_org import DemoOrg, DemoSpec, Progress
from salesforce.demo_pipeline import Pipeline
from salesforce.demo_sources import add_demo_sources

# The sources the demo ships beside its Salesforce data (salesforce/demo_sources.py).
_DEMO_SOURCE_TABLES = tuple(schema.TABLE_BY_NAME[t] for t in ("marketing_spend", "quota"))


@dataclass(frozen=True)
class DemoSummary:
    db_path: Path
    rows: Mapping[str, int]
    data_as_of: datetime
    seconds: float


def tasks_per_scale() -> int:
    """About how many Task rows one unit of --scale makes (docs/demo.md: 10M Tasks)."""
    return 160_000


def build_demo(
    db_path: Path,
    spec: DemoSpec,
    progress: Progress | None = None,
    *,
    lake: LakeTarget | None = None,
) -> DemoSummary:
    """Build the demo org and publish it as the cache's new snapshot (and as Parquet under
    ``lake`` with ``engine: spark``)."""
    if spec.scale <= 0:
        raise ValueError("scale must be positive")
    started = time.monotonic()
    with open_writer(Path(db_path), source="demo", fresh=True, tz=spec.timezone, lake=lake) as w:
        org = DemoOrg(w.con, spec, progress)
        org.add_users()
        org.add_target_accounts()
        Pipeline(org).build()
        add_dials_and_inbound_calls(org)
        add_demo_sources(w.con, spec.fiscal_year_start_month - 1)
        for obj in (*schema.owned_by(schema.SALESFORCE), *_DEMO_SOURCE_TABLES):
            w.mark_refreshed(obj.name, source="demo", refreshed_at=spec.as_of)
        rows = {
            obj.name: int(w.con.execute(f'SELECT count(*) FROM "{obj.name}"').fetchone()[0])  # type: ignore[index]
            for obj in schema.owned_by(schema.SALESFORCE)
        }
    return DemoSummary(Path(db_path), rows, spec.as_of, time.monotonic() - started)


def default_today(tz: str) -> date:
    return datetime.now(ZoneInfo(tz)).date()
