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
