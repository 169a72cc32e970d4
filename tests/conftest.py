"""Shared fixtures: the state database on both of its backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg_server import PgServer


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server per test process (each xdist worker starts its own: ~1-2 s)."""
    server = PgServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """``state_database:`` for app.yaml: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "state.sqlite")
    server: PgServer = request.getfixturevalue("pg_server")
    return server.fresh_database()


@pytest.fixture(scope="session")
def spark_session() -> Iterator[object]:
    """One local Spark session per test process (2 threads, 2 shuffle partitions, no UI, a
    small driver): the engine tests share it. pyspark must start; a failure fails the tests."""
    from metrics.spark import spark_session as start

    session = start(
        "local[2]",
        {
            "spark.driver.memory": "512m",
            "spark.sql.adaptive.enabled": "false",  # tiny data: planning would cost more
            "spark.default.parallelism": "2",
            "spark.sql.autoBroadcastJoinThreshold": "10485760",
        },
    )
    try:
        yield session
    finally:
        session.stop()  # type: ignore[attr-defined]
