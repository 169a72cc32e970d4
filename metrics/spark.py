"""Questions answered on Apache Spark: the compiled tree rendered for Spark, run with bound
parameters over the Parquet copy of the current snapshot (cache.lake).

The DuckDB snapshot stays the source of truth and of metadata (data as of, source notes); Spark
reads its tables as Parquet, registered as temporary views named like the DuckDB tables. The
views are re-registered only when ``CURRENT`` names a new snapshot.

``master`` is any Spark master (``local[2]``, ``spark://host:7077``, ``yarn``) or a Spark
Connect URL (``sc://host:15002``, how Databricks is reached). Spark's session time zone is UTC,
like DuckDB's (cache.connection): local dates and hours come only from the org zone.

Parameters are bound by Spark (``spark.sql(query, args={...})``, named ``:name`` markers,
pyspark ≥ 3.4), never written into the SQL.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cache.lake import LakeSnapshot, export_current
from cache.snapshot import SnapshotReader
from metrics.dialects import render
from metrics.errors import InternalError

Engine = Literal["duckdb", "spark"]  # the engines kpibot runs questions on (metrics.dialects)


class SparkSettings(BaseModel):
    """app.yaml ``spark:`` (used when ``engine: spark``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    master: str = "local[2]"  # local[N], spark://…, yarn, or Spark Connect sc://host:15002
    data: str = "data/lake"  # where snapshots are written as Parquet: a folder or s3a://…
    conf: dict[str, str] = Field(default_factory=dict)  # more Spark settings (spark.executor…)


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


class SparkReader:
    """The Spark side of one cache: a session and the current snapshot's views."""

    engine = "spark"

    def __init__(
        self,
        db_path: Path,
        data: str,
        master: str = "local[2]",
        *,
        session: Any = None,
        conf: dict[str, str] | None = None,
    ):
        self.duck = SnapshotReader(db_path)  # metadata: data as of, source notes
        self.db_path = Path(db_path)
        self.data = data
        self.master = master
        self._session = session
        self._conf = conf
        self._lock = threading.Lock()
        self._views: LakeSnapshot | None = None

    @property
    def session(self) -> Any:
        if self._session is None:
            self._session = spark_session(self.master, self._conf)
        return self._session

    def refresh(self) -> LakeSnapshot:
        """Export the current snapshot if it is new, and (re)register its tables as views."""
        lake = export_current(self.db_path, self.data)
        with self._lock:
            if self._views != lake:
                for t in lake.tables:
                    self.session.read.parquet(lake.table_path(t)).createOrReplaceTempView(t)
                self._views = lake
        return lake

    def execute(self, tree: Any, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Run a compiled tree on Spark with ``params`` bound; rows as tuples."""
        self.refresh()
        sql = render(tree, "spark")
        try:
            rows = self.session.sql(sql, args={k: _value(v) for k, v in params.items()}).collect()
        except Exception as e:  # noqa: BLE001 — Py4J / Spark Connect errors share no base class
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
    engine: Engine, db_path: Path, spark: SparkSettings | None = None, data: str | None = None
) -> SnapshotReader | SparkReader:
    """The reader questions run on: the DuckDB snapshot, or Spark over its Parquet copy under
    ``data`` (default ``spark.data`` as written)."""
    if engine == "duckdb":
        return SnapshotReader(db_path)
    s = spark or SparkSettings()
    return SparkReader(db_path, data or s.data, s.master, conf=dict(s.conf))
