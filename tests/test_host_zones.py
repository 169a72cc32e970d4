"""The host's time zone never changes an answer: the suites holding hand-worked numbers run again
in a fresh interpreter per host zone (TZ set, so DuckDB and Python both see it): UTC, one with
daylight-saving changes inside the fixtures' data (America/Denver) and one far east with a
half-hour offset (Asia/Kolkata).

A subprocess is the only honest way: DuckDB reads the host zone when it starts. The zone the
suite itself runs in is not run again (the suite has just run those files in it: on a UTC host
such as CI, UTC would be a second identical run); the other two always are.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
# The files whose expected numbers are worked out by hand and depend on instants.
HAND_WORKED = ["tests/test_metrics_fixture.py", "tests/test_metrics_dst.py", "tests/test_export.py"]


ZONES = ("UTC", "America/Denver", "Asia/Kolkata")


def _host_zone() -> str:
    """The zone DuckDB reads from the host, as the rest of the suite runs in it."""
    con = duckdb.connect()
    try:
        return str(con.execute("SELECT current_setting('TimeZone')").fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


def _same_zone(a: str, b: str) -> bool:
    """The same clock every 6 hours of 2023–2025, the fixtures' years ("Etc/UTC" is "UTC")."""
    za, zb = ZoneInfo(a), ZoneInfo(b)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    instants = (start + timedelta(hours=6 * i) for i in range(4 * 365 * 3))
    return all(t.astimezone(za).utcoffset() == t.astimezone(zb).utcoffset() for t in instants)


@pytest.mark.parametrize("zone", [z for z in ZONES if not _same_zone(z, _host_zone())])
def test_hand_worked_numbers_hold_in_every_host_zone(zone: str, tmp_path: Path) -> None:
    env = {**os.environ, "TZ": zone}
    env.pop("PYTEST_XDIST_WORKER", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-x",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "--basetemp",
            str(tmp_path),
            *HAND_WORKED,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"under TZ={zone}:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}"
