"""Questions answered on Apache Spark: the compiled tree rendered for Spark, run with bound
parameters over the Parquet copy of the current snapshot (cache.lake).

The DuckDB snapshot stays the source of truth and of metadata (data as of, source notes); Spark
reads its tables as Parquet — the copy the snapshot's publish wrote, found by the DuckDB
snapshot's name — registered as temporary views named like the DuckDB tables, re-registered only
when the cache moves to a new snapshot. Past ``query_timeout`` a question's Spark jobs are
cancelled (``_Job``) and the user told so, as on DuckDB.

``master`` is any Spark master (``local[2]``, ``spark://host:7077``, ``yarn``) or a Spark
Connect URL (``sc://host:15002``, how Databricks is reached). Spark's session time zone is UTC,
like DuckDB's (cache.connection): local dates and hours come only from the org zone.

Parameters are bound by Spark (``spark.sql(query, args={...})``, named ``:name`` markers,
pyspark ≥ 3.4), never written into the SQL.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cache.connection import connect
from cache.lake import LakeSnapshot, LakeTarget, has_snapshot, lake_snapshot, publish, tables_of
from cache.snapshot import SnapshotReader, current_target, writer_lock
from i18n import Msg
from metrics.dialects import render
from metrics.errors import ConfigError, InternalError, QueryTimeout

log = logging.getLogger("kpibot.spark")

Engine = Literal["duckdb", "spark"]  # the engines kpibot runs questions on (metrics.dialects)
S3A_CLASS = "org.apache.hadoop.fs.s3a.S3AFileSystem"


class S3Settings(BaseModel):
    """app.yaml ``spark.s3``: how Spark (s3a) and kpibot's Parquet writer reach an ``s3a://``
    ``spark.data``. Credentials are never written here: both take them from the standard
    chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, then the
    instance's or pod's role)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoint: str | None = None  # an S3-compatible store (https://minio.internal:9000); None: AWS
    path_style: bool = False  # bucket in the path (MinIO, Ceph and most non-AWS stores need it)
    region: str | None = None


class SparkSettings(BaseModel):
    """app.yaml ``spark:`` (used when ``engine: spark``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    master: str = "local[2]"  # local[N], spark://…, yarn, or Spark Connect sc://host:15002
    data: str = "data/lake"  # where snapshots are written as Parquet: a folder or s3a://…
    s3: S3Settings = Field(default_factory=S3Settings)
    conf: dict[str, str] = Field(default_factory=dict)  # more Spark settings (spark.executor…)

    @field_validator("data")
    @classmethod
    def _data(cls, v: str) -> str:
        if "://" in v and not v.startswith("s3a://"):
            raise ValueError(
                "kpibot writes each snapshot's Parquet copy to a folder or an s3a:// URI; "
                f"{v.split('://')[0]}:// is not one"
            )
        return v

    def session_conf(self) -> dict[str, str]:
        """The Spark settings kpibot derives (s3a for an ``s3a://`` data), then ``conf``'s,
        which win."""
        return {**s3a_conf(self.s3, self.data), **self.conf}


def s3a_conf(s3: S3Settings, data: str) -> dict[str, str]:
    """Hadoop's S3A settings for ``spark.s3`` (none unless ``data`` is ``s3a://``). The
    credentials provider is left to S3A's default chain (environment, then instance role)."""
    if not data.startswith("s3a://"):
        return {}
    out = {"spark.hadoop.fs.s3a.path.style.access": str(s3.path_style).lower()}
    if s3.endpoint:
        out["spark.hadoop.fs.s3a.endpoint"] = s3.endpoint
        secure = not s3.endpoint.startswith("http://")
        out["spark.hadoop.fs.s3a.connection.ssl.enabled"] = str(secure).lower()
    if s3.region:
        out["spark.hadoop.fs.s3a.endpoint.region"] = s3.region
    return out


def lake_target(spark: SparkSettings, data: str) -> LakeTarget:
    """Where the Parquet copy lives (``data``: ``spark.data`` with a folder resolved)."""
    s3 = spark.s3
    return LakeTarget(data, s3.endpoint, s3.path_style, s3.region)


_SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.ui.showConsoleProgress": "false",
}


def spark_session(master: str, conf: dict[str, str] | None = None) -> Any:
    """One Spark session for ``master`` (created once per process; Spark keeps it)."""
    from pyspark.sql import SparkSession  # imported only when the engine is Spark

    builder = SparkSession.builder.appName("kpibot")
    builder = builder.remote(master) if master.startswith("sc://") else builder.master(master)
    for k, v in {**_SESSION_CONF, **(conf or {})}.items():
        if master.startswith("sc://") and k.startswith("spark.ui"):
            continue  # a server's own settings; Spark Connect refuses to change them
        builder = builder.config(k, v)
    session = builder.getOrCreate()
    if not master.startswith("sc://"):
        session.sparkContext.setLogLevel("ERROR")
    return session


def _value(v: Any) -> Any:
    """A parameter value as Spark binds it (lists of text, dates, instants, numbers)."""
    if isinstance(v, tuple):
        return list(v)
    return v


def check_s3a(session: Any) -> None:
    """Raise ConfigError unless Spark can load the S3A connector (hadoop-aws is not part of
    pyspark). Checked on a local driver only: a Spark Connect server has its own classpath."""
    jvm = getattr(getattr(session, "sparkContext", None), "_jvm", None)
    if jvm is None:
        return
    if jvm.org.apache.spark.util.Utils.classIsLoadable(S3A_CLASS):
        return
    version = jvm.org.apache.hadoop.util.VersionInfo.getVersion()
    raise ConfigError(
        [
            "spark.data: the S3A connector is not on Spark's classpath: add "
            f"org.apache.hadoop:hadoop-aws:{version} via spark.jars.packages "
            "(spark.conf in app.yaml)"
        ]
    )


class _Job:
    """One question's Spark jobs, tagged so that they can be interrupted past ``timeout``.

    On a local driver the SparkContext's job tags are used (``addJobTag`` marks the jobs this
    thread starts; ``cancelJobsWithTag`` cancels them, running tasks interrupted): classic
    pyspark scopes the session's ``addTag`` to the thread that added it, so ``interruptTag``
    from the timer's thread matches nothing (pyspark 4.3, measured). Spark Connect has no
    SparkContext; there the session's tags are matched by the server. A cancel only reaches
    jobs already running, and a question may start its main job after planning or a broadcast,
    so once the time is up the timer cancels again every ``RETRY`` seconds until it returns.
    """

    RETRY = 0.25

    def __init__(self, session: Any, timeout: float):
        self.timeout = timeout
        self.tag = f"kpibot-{uuid.uuid4().hex}"
        self.fired = threading.Event()
        self._done = threading.Event()
        if getattr(session, "_jsparkSession", None) is not None:  # a local driver
            sc = session.sparkContext
            sc.setInterruptOnCancel(True)  # this thread's jobs: kill running tasks too
            self._add, self._cancel, self._remove = (
                sc.addJobTag,
                sc.cancelJobsWithTag,
                sc.removeJobTag,
            )
        else:  # Spark Connect
            self._add, self._cancel, self._remove = (
                session.addTag,
                session.interruptTag,
                session.removeTag,
            )
        self._timer = threading.Thread(target=self._watch, name="kpibot-spark-timeout", daemon=True)

    def _watch(self) -> None:
        if self._done.wait(self.timeout):
            return
        self.fired.set()
        while not self._done.is_set():
            self._cancel(self.tag)
            self._done.wait(self.RETRY)

    def __enter__(self) -> _Job:
        self._add(self.tag)
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._timer.join()
        self._remove(self.tag)


class SparkReader:
    """The Spark side of one cache: a session and the current snapshot's views.

    The Parquet copy of a snapshot is found by the name of the DuckDB snapshot the reader is
    on (its metadata, data as of and filter values, come from that same file), so Spark and
    DuckDB never answer from two different snapshots. The snapshot writer publishes it
    (cache.snapshot.open_writer); a snapshot without one — published before ``engine: spark``
    was set — is exported by the first question that needs it.
    """

    engine = "spark"

    def __init__(
        self,
        db_path: Path,
        lake: LakeTarget | str,
        master: str = "local[2]",
        *,
        session: Any = None,
        conf: dict[str, str] | None = None,
    ):
        self.duck = SnapshotReader(db_path)  # metadata: data as of, source notes
        self.db_path = Path(db_path)
        self.lake = lake if isinstance(lake, LakeTarget) else LakeTarget(lake)
        self.master = master
        self._session = session
        self._conf = conf
        self._lock = threading.Lock()
        self._views: tuple[Path, LakeSnapshot] | None = None

    def start(self) -> Any:
        """The Spark session, started on first use; ConfigError when ``spark.data`` is
        ``s3a://`` and Spark lacks the S3A connector."""
        if self._session is None:
            session = spark_session(self.master, self._conf)
            if self.lake.data.startswith("s3a://"):
                check_s3a(session)
            self._session = session
        return self._session

    @property
    def session(self) -> Any:
        return self.start()

    def refresh(self) -> LakeSnapshot:
        """(Re)register the current snapshot's tables as views when the cache moved on."""
        cur = self.duck.cursor()  # moves the DuckDB side to the current snapshot
        target = self.duck.target
        assert target is not None
        with self._lock:
            if self._views is None or self._views[0] != target:
                lake = lake_snapshot(self.lake, target.stem, tables_of(cur))
                if not has_snapshot(self.lake, target.stem):
                    self._export(target)
                for t in lake.tables:
                    self.session.read.parquet(lake.table_path(t)).createOrReplaceTempView(t)
                self._views = (target, lake)
            return self._views[1]

    def _export(self, target: Path) -> None:
        """Write the Parquet copy of a snapshot published without one (``engine: spark`` set
        after it was), under the cache's writer lock so that no publish interleaves."""
        with writer_lock(self.db_path):
            if has_snapshot(self.lake, target.stem):
                return  # another process exported it meanwhile
            if current_target(self.db_path) != target:
                return  # a newer snapshot (with its copy) was published; this one stays readable
            log.warning("snapshot %s has no Parquet copy yet: writing it now", target.stem)
            con = connect(target, read_only=True)
            try:
                with tempfile.TemporaryDirectory(prefix="kpibot-lake-") as staging:
                    publish(con, target.stem, self.lake, Path(staging))
            finally:
                con.close()

    def execute(
        self, tree: Any, params: dict[str, Any], timeout: float | None = None
    ) -> list[tuple[Any, ...]]:
        """Run a compiled tree on Spark with ``params`` bound; rows as tuples. Past ``timeout``
        seconds its jobs are interrupted and QueryTimeout raised (as on DuckDB)."""
        self.refresh()
        sql = render(tree, "spark")
        args = {k: _value(v) for k, v in params.items()}
        if timeout is None:
            return self._collect(sql, args, None)
        with _Job(self.session, timeout) as job:
            return self._collect(sql, args, job)

    def _collect(self, sql: str, args: dict[str, Any], job: _Job | None) -> list[tuple[Any, ...]]:
        try:
            rows = self.session.sql(sql, args=args).collect()
        except Exception as e:  # noqa: BLE001 — Py4J / Spark Connect errors share no base class
            if job is not None and job.fired.is_set():
                seconds = f"{job.timeout:g}"
                raise QueryTimeout(Msg.of("window.error.timeout", seconds=seconds)) from None
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise InternalError(f"the Spark query failed: {first}") from e
        return [tuple(r) for r in rows]

    def cursor(self) -> Any:
        """A DuckDB cursor on the same snapshot, for metadata and filter values."""
        return self.duck.cursor()

    @property
    def target(self) -> Path | None:
        return self.duck.target

    def data_as_of(self) -> Any:
        return self.duck.data_as_of()

    def close(self) -> None:
        self.duck.close()


def open_reader(
    engine: Engine,
    db_path: Path,
    spark: SparkSettings | None = None,
    lake: LakeTarget | None = None,
) -> SnapshotReader | SparkReader:
    """The reader questions run on: the DuckDB snapshot, or Spark over its Parquet copy in
    ``lake`` (default ``spark.data`` as written)."""
    if engine == "duckdb":
        return SnapshotReader(db_path)
    s = spark or SparkSettings()
    return SparkReader(db_path, lake or lake_target(s, s.data), s.master, conf=s.session_conf())
