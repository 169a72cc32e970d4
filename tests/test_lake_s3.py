"""engine: spark with ``spark.data: s3a://…``: kpibot's own Parquet writer (pyarrow's
S3FileSystem) against a loopback S3 (moto's server on 127.0.0.1), and the Spark session's S3A
settings from app.yaml.

What is not tested here — Spark itself reading ``s3a://`` — needs the S3A connector
(hadoop-aws and the AWS SDK bundle), which neither pyspark nor any PyPI or Debian package
ships for pyspark's Hadoop; without it the session refuses to start with a clear message
(tested below). docs/deploy.md says what is and is not tested.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml
from pyarrow import fs

from bot.config import load as load_config
from cache import lake
from cache.connection import connect
from cache.lake import LakeTarget, LakeWriteFailed, read_pointer
from cache.snapshot import current_target
from metrics.errors import ConfigError
from metrics.spark import SparkReader
from tests.fixture_org import ORG, load_fixture_org, load_fixture_sources

BUCKET = "kpibot-lake"


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    """A loopback S3 endpoint with an empty bucket; test credentials in the environment (the
    standard chain both pyarrow and S3A read)."""
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-role lookups
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        admin = fs.S3FileSystem(
            endpoint_override=f"{host}:{port}", scheme="http", allow_bucket_creation=True
        )
        admin.create_dir(BUCKET)
        try:
            yield endpoint
        finally:
            server.stop()


def _target(endpoint: str, prefix: str, bucket: str = BUCKET) -> LakeTarget:
    return LakeTarget(f"s3a://{bucket}/{prefix}", endpoint, path_style=True, region="us-east-1")


def _store(endpoint: str) -> Any:
    return fs.S3FileSystem(endpoint_override=endpoint.removeprefix("http://"), scheme="http")


def _folders(endpoint: str, prefix: str) -> set[str]:
    infos = _store(endpoint).get_file_info(
        fs.FileSelector(f"{BUCKET}/{prefix}/snapshots", allow_not_found=True)
    )
    return {i.base_name for i in infos}


def test_publishes_to_s3_swap_the_pointer_and_keep_two(s3: str, tmp_path: Path) -> None:
    db, target = tmp_path / "kpibot.duckdb", _target(s3, "prod")
    names = []
    for _ in range(3):
        load_fixture_org(db, lake=target)
        names.append(current_target(db).stem)  # type: ignore[union-attr]
        assert read_pointer(target) == names[-1]
    assert _folders(s3, "prod") == {names[-1], names[-2]}
    # Every table's rows are in S3, counted by DuckDB on the snapshot itself.
    con = connect(current_target(db), read_only=True)  # type: ignore[arg-type]
    store = _store(s3)
    for t in lake.tables_of(con):
        (n,) = con.execute(f'SELECT count(*) FROM "{t}"').fetchone()  # type: ignore[misc]
        key = f"{BUCKET}/prod/snapshots/{names[-1]}/{t}/data.parquet"
        assert pq.read_table(key, filesystem=store).num_rows == n, t
    con.close()


def test_a_write_to_s3_failing_midway_publishes_nothing(
    s3: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, target = tmp_path / "kpibot.duckdb", _target(s3, "midway")
    load_fixture_org(db, lake=target)
    before_link, before = current_target(db), read_pointer(target)

    def fail_on_quota(con: Any, table: str, folder: Path) -> None:
        if table == "quota":
            raise OSError(errno.ENOSPC, "No space left on device")
        real(con, table, folder)

    real = lake._copy_table
    monkeypatch.setattr(lake, "_copy_table", fail_on_quota)
    with pytest.raises(LakeWriteFailed, match="No space left on device"):
        load_fixture_sources(db, lake=target)
    assert current_target(db) == before_link and read_pointer(target) == before
    assert _folders(s3, "midway") == {before}


def test_a_missing_bucket_is_one_clear_error_and_nothing_published(s3: str, tmp_path: Path) -> None:
    db = tmp_path / "kpibot.duckdb"
    load_fixture_org(db)
    before = current_target(db)
    with pytest.raises(LakeWriteFailed) as e:
        load_fixture_org(db, lake=_target(s3, "x", bucket="no-such-bucket"))
    assert str(e.value).startswith(
        "the Parquet copy for Spark could not be written to s3a://no-such-bucket/x: "
    )
    assert "no-such-bucket" in str(e.value).split(": ", 1)[1]
    assert current_target(db) == before


def test_the_spark_session_gets_s3a_settings_from_app_yaml_and_says_the_connector_is_missing(
    tmp_path: Path, spark_session: Any
) -> None:
    raw = yaml.safe_load((ORG / "app.yaml").read_text(encoding="utf-8"))
    raw.pop("sources", None)
    raw["engine"] = "spark"
    raw["spark"] = {
        "data": "s3a://kpibot-lake/prod",
        "s3": {"endpoint": "http://127.0.0.1:9000", "path_style": True, "region": "eu-west-1"},
    }
    (tmp_path / "app.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    cfg = load_config(tmp_path / "app.yaml", str(tmp_path / "kpibot.duckdb"))
    assert cfg.publish_lake == LakeTarget(
        "s3a://kpibot-lake/prod", "http://127.0.0.1:9000", path_style=True, region="eu-west-1"
    )
    reader = SparkReader(cfg.db_path, cfg.lake, cfg.spark.master, conf=cfg.spark.session_conf())
    # pyspark's Hadoop has no S3A connector: the start refuses with what to add.
    version = spark_session.sparkContext._jvm.org.apache.hadoop.util.VersionInfo.getVersion()
    with pytest.raises(ConfigError) as e:
        reader.start()
    assert e.value.problems == [
        "spark.data: the S3A connector is not on Spark's classpath: add "
        f"org.apache.hadoop:hadoop-aws:{version} via spark.jars.packages "
        "(spark.conf in app.yaml)"
    ]
    # The session it started (this process's one) carries the s3a settings.
    conf = spark_session.conf
    assert conf.get("spark.hadoop.fs.s3a.endpoint") == "http://127.0.0.1:9000"
    assert conf.get("spark.hadoop.fs.s3a.path.style.access") == "true"
    assert conf.get("spark.hadoop.fs.s3a.connection.ssl.enabled") == "false"
    assert conf.get("spark.hadoop.fs.s3a.endpoint.region") == "eu-west-1"
