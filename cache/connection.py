"""The one way kpibot opens DuckDB: every connection's session time zone is UTC.

DuckDB's ``TimeZone`` defaults to the host's. It decides how ``TIMESTAMPTZ − TIMESTAMPTZ`` reads
(a calendar interval in that zone: under America/Denver the 25 hours from 2024-11-02 18:00Z to
2024-11-03 19:00Z come out as "1 day", 24 h), how a string without an offset is cast to
``TIMESTAMPTZ`` and which zone a fetched ``TIMESTAMPTZ`` carries. Pinning it to UTC makes the host
irrelevant; local dates and hours come only from an explicit ``timezone($tz, …)`` to the org
zone, and durations from ``epoch()`` of instants (docs/kpis-and-catalog.md, "Time zones").

>>> connect().execute("SELECT current_setting('TimeZone')").fetchone()
('UTC',)
"""

from __future__ import annotations

from pathlib import Path

import duckdb

SESSION_TIME_ZONE = "UTC"


def connect(path: str | Path = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection whose session and cursors all use UTC, whatever the host's zone."""
    con = duckdb.connect(str(path), read_only=read_only)
    # GLOBAL: cursors taken from this connection (one per question) inherit it.
    con.execute(f"SET GLOBAL TimeZone = '{SESSION_TIME_ZONE}'")
    return con
