"""The host's time zone never changes an answer: the suites holding hand-worked numbers run again
in a fresh interpreter per host zone (TZ set, so DuckDB and Python both see it): UTC, one with
daylight-saving changes inside the fixtures' data (America/Denver) and one far east with a
half-hour offset (Asia/Kolkata).

A subprocess is the only honest way: DuckDB reads the host zone when it starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The files whose expected numbers are worked out by hand and depend on instants.
HAND_WORKED = ["tests/test_metrics_fixture.py", "tests/test_metrics_dst.py", "tests/test_export.py"]


@pytest.mark.parametrize("zone", ["UTC", "America/Denver", "Asia/Kolkata"])
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
