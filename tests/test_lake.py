"""engine: spark — the Parquet copy is written by the snapshot publish itself (cache/lake.py via
cache.snapshot.open_writer), all or nothing with the DuckDB snapshot; a Spark question past
``query_timeout`` is interrupted like a DuckDB one.

Questions run on the shared local[2] session (tests/conftest.py). The fixture org's numbers
are worked out by hand in tests/test_metrics_fixture.py: on 27 Jun 2024 "leads" (this
quarter) is L1..L5 = 5.
"""

from __future__ import annotations

import errno
import os
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import sqlglot
import yaml

from cache import lake
from cache.connection import connect
from cache.lake import POINTER, LakeTarget, LakeWriteFailed, read_pointer
from cache.snapshot import current_target
from metrics.catalog_load import load_catalog
from metrics.engine import run
from metrics.errors import QueryTimeout
from metrics.query import Query
from metrics.spark import SparkReader
from tests.cli_run import run_kpibot
from tests.fixture_org import fixture_settings, load_fixture_org, load_fixture_sources

TODAY = date(2024, 6, 27)
CATALOG = load_catalog()


def _leads(reader: Any) -> Any:
    return run(
        Query(metrics=("leads",)),
        catalog=CATALOG,
        settings=fixture_settings(),
        reader=reader,
        today=TODAY,
        timeout=300,  # a shared 2-core machine; the time limit itself is tested below
    ).rows


def _folders(data: Path) -> set[str]:
    return {p.name for p in (data / "snapshots").iterdir()}


def _duck_counts(db: Path) -> dict[str, int]:
    con = connect(current_target(db), read_only=True)  # type: ignore[arg-type]
    try:
        return {
            t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in lake.tables_of(con)
        }  # type: ignore[index]
    finally:
        con.close()


def test_a_publish_writes_the_parquet_copy_and_points_at_it(tmp_path: Path) -> None:
    db, data = tmp_path / "kpibot.duckdb", tmp_path / "lake"
    load_fixture_org(db, lake=LakeTarget(str(data)))
    name = current_target(db).stem  # type: ignore[union-attr]
    # Before any reader exists: CURRENT names the published snapshot, every table is there.
    assert (data / POINTER).read_text().strip() == name
    counts = _duck_counts(db)
    assert {p.name for p in (data / "snapshots" / name).iterdir()} == set(counts)
    for t, n in counts.items():
        assert pq.read_table(data / "snapshots" / name / t / "data.parquet").num_rows == n
    assert counts["Lead"] == 6  # L1..L7 in tests/fixtures/org/Lead.csv less the deleted L6


def test_a_parquet_write_failing_midway_publishes_nothing(
    tmp_path: Path, spark_session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, data = tmp_path / "kpibot.duckdb", tmp_path / "lake"
    target = LakeTarget(str(data))
    load_fixture_org(db, lake=target)
    before_link, before_pointer = current_target(db), read_pointer(target)
    reader = SparkReader(db, target, session=spark_session)
    assert _leads(reader) == ((5,),)

    real, written = lake._copy_table, []

    def disk_full_on_the_third(con: Any, table: str, folder: Path) -> None:
        if len(written) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(con, table, folder)
        written.append(table)

    monkeypatch.setattr(lake, "_copy_table", disk_full_on_the_third)
    with pytest.raises(LakeWriteFailed) as e:
        load_fixture_sources(db, lake=target)  # the import would add marketing spend, quotas
    assert str(e.value) == (
        f"the Parquet copy for Spark could not be written to {data}: "
        "[Errno 28] No space left on device"
    )
    assert len(written) == 2  # it did fail midway
    # Nothing published: the cache's link, CURRENT, the folders are as they were...
    assert current_target(db) == before_link and read_pointer(target) == before_pointer
    assert _folders(data) == {before_pointer}
    assert not any(p.name.startswith("pending-") for p in db.with_name(db.name + ".d").iterdir())
    # ... and the old snapshot is still answered, on Spark, without the import's tables.
    assert _leads(reader) == ((5,),)
    tables = reader.refresh().tables  # the views Spark reads
    assert "Lead" in tables and "MarketingSpend" not in tables

    monkeypatch.undo()  # the disk has room again: the next publish goes through
    load_fixture_sources(db, lake=target)
    assert read_pointer(target) == current_target(db).stem != before_pointer  # type: ignore[union-attr]
    assert _leads(reader) == ((5,),)
    reader.close()


def test_old_snapshot_folders_are_cleaned_keeping_two(tmp_path: Path) -> None:
    db, data = tmp_path / "kpibot.duckdb", tmp_path / "lake"
    target = LakeTarget(str(data))
    names = []
    for _ in range(3):
        load_fixture_org(db, lake=target)
        names.append(current_target(db).stem)  # type: ignore[union-attr]
    (data / "snapshots" / ".pending-killed").mkdir()  # what a killed writer leaves
    (data / "snapshots" / "stray").mkdir()
    load_fixture_org(db, lake=target)
    names.append(current_target(db).stem)  # type: ignore[union-attr]
    assert _folders(data) == {names[-1], names[-2]}  # the current one and the one before
    assert read_pointer(target) == names[-1]


def _write_app_yaml(folder: Path, data: str) -> Path:
    cfg = yaml.safe_load((Path(__file__).parent / "fixtures/org/app.yaml").read_text())
    cfg.pop("sources", None)
    cfg.update(engine="spark", database=str(folder / "kpibot.duckdb"), spark={"data": data})
    path = folder / "app.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_kpibot_demo_publishes_parquet_and_reports_a_failed_write_once(tmp_path: Path) -> None:
    config = _write_app_yaml(tmp_path, str(tmp_path / "lake"))
    env = {"KPIBOT_CONFIG": str(config)}
    done = run_kpibot("demo", "--scale", "0.01", "--today", "2024-06-27", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    db = tmp_path / "kpibot.duckdb"
    first = current_target(db)
    assert (tmp_path / "lake" / POINTER).read_text().strip() == first.stem  # type: ignore[union-attr]

    (tmp_path / "blocker").write_text("a file where the lake's folder would go")
    config = _write_app_yaml(tmp_path, str(tmp_path / "blocker" / "lake"))
    done = run_kpibot("demo", "--scale", "0.01", "--today", "2024-06-27", cwd=tmp_path, env=env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr.count("could not be written") == 1, done.stderr
    assert "Nothing was published; the cache is unchanged." in done.stderr
    assert current_target(db) == first


# 4·10^10 pairs, none failing (no overflow): minutes on local[2] unless interrupted, and then
# the question returns rows and the test fails.
SLOW = (
    "SELECT count(*) AS n FROM range(0, 200000) AS a CROSS JOIN range(0, 200000) AS b "
    "WHERE (a.id + b.id) % 7 = 3"
)


def test_query_timeout_interrupts_a_spark_question(tmp_path: Path, spark_session: Any) -> None:
    db = tmp_path / "kpibot.duckdb"
    load_fixture_org(db, lake=LakeTarget(str(tmp_path / "lake")))
    reader = SparkReader(db, str(tmp_path / "lake"), session=spark_session)
    reader.refresh()
    with pytest.raises(QueryTimeout) as e:
        reader.execute(sqlglot.parse_one(SLOW, dialect="spark"), {}, timeout=1.0)
    assert e.value.message == (
        "That question took longer than 1 seconds, so I stopped it. "
        "Try a shorter window or fewer groupings."
    )
    # The session is free again: the next question answers (with the job tag gone).
    assert _leads(reader) == ((5,),)
    assert not spark_session.sparkContext.getJobTags()  # type: ignore[attr-defined]
    reader.close()


def test_a_snapshot_published_before_engine_spark_is_exported_by_the_first_question(
    tmp_path: Path, spark_session: Any
) -> None:
    db, data = tmp_path / "kpibot.duckdb", tmp_path / "lake"
    load_fixture_org(db)  # engine: duckdb then: no Parquet
    assert not data.exists()
    reader = SparkReader(db, str(data), session=spark_session)
    assert _leads(reader) == ((5,),)
    assert read_pointer(LakeTarget(str(data))) == current_target(db).stem  # type: ignore[union-attr]
    reader.close()


def test_a_publish_leaves_no_staging_folder(tmp_path: Path) -> None:
    """The lake's staging folder is the pending snapshot's scratch: gone after a publish."""
    db = tmp_path / "kpibot.duckdb"
    load_fixture_org(db, lake=LakeTarget(str(tmp_path / "lake")))
    assert sorted(os.listdir(db.with_name(db.name + ".d"))) == [current_target(db).name]  # type: ignore[union-attr]


def test_a_lake_kpibot_cannot_write_is_a_configuration_error(tmp_path: Path) -> None:
    from bot.config import load as load_config
    from metrics.errors import ConfigError

    (tmp_path / "app.yaml").write_text("engine: spark\nspark: {data: 'gs://lake/kpibot'}\n")
    with pytest.raises(ConfigError) as e:
        load_config(tmp_path / "app.yaml", None)
    assert e.value.problems == [
        "spark.data: kpibot writes each snapshot's Parquet copy to a folder or an s3a:// URI; "
        "gs:// is not one"
    ]
