"""What reaches the terminal when something goes wrong: one sentence and exit 1, never a trace.

Run as a user runs it (`python -m bot …` in a subprocess), on real DuckDB files.
"""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.cli_run import ROOT, run_kpibot
from tests.fixture_org import load_fixture_org

CONFIG = ROOT / "tests" / "fixtures" / "org" / "app.yaml"


def kpibot(*args: str, cwd: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    return run_kpibot(*args, cwd=cwd, env={"TMPDIR": str(tmp)})


def one_sentence(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


@pytest.fixture(scope="module")
def org_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_fixture_org(tmp_path_factory.mktemp("org") / "kpibot.duckdb")


def test_a_window_past_the_supported_dates_is_invalid(org_db: Path, tmp_path: Path) -> None:
    # Before: a ValueError traceback ("year -97975 is out of range"); --json said kind internal.
    common = ["--today", "2024-06-27", "--config", str(CONFIG), "--db", str(org_db)]
    res = kpibot("ask", "calls last 99999 years", *common, cwd=tmp_path, tmp=tmp_path)
    assert res.returncode == 1
    line = one_sentence(res.stderr)
    assert "dates I can answer for, 1 Jan 1900 to 31 Dec 2099" in line
    res = kpibot("ask", "calls last 99999 years", "--json", *common, cwd=tmp_path, tmp=tmp_path)
    assert res.returncode == 1
    assert json.loads(res.stdout)["error"]["kind"] == "invalid"


@pytest.fixture
def broken_cache(tmp_path: Path) -> Path:
    """A DuckDB file with none of the cache's tables: every query fails inside the engine."""
    db = tmp_path / "broken.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE unrelated (x INTEGER)")
    con.close()
    return db


def test_an_internal_error_is_one_sentence_and_the_trace_goes_to_a_private_log(
    broken_cache: Path, tmp_path: Path
) -> None:
    cfg = tmp_path / "app.yaml"
    cfg.write_text("state_database: state/kpibot-state.sqlite\n", encoding="utf-8")
    args = ["ask", "calls last week", "--config", str(cfg), "--db", str(broken_cache)]
    res = kpibot(*args, cwd=tmp_path, tmp=tmp_path)
    assert res.returncode == 1
    log = tmp_path / "state" / "kpibot-errors.log"
    assert one_sentence(res.stderr) == (
        "Sorry, something went wrong on our side answering that question; "
        f"the details are in {log}."
    )
    trace = log.read_text(encoding="utf-8")
    assert "ask 'calls last week'" in trace and "Traceback" in trace
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    res = kpibot(*args, "--json", cwd=tmp_path, tmp=tmp_path)
    assert res.returncode == 1 and json.loads(res.stdout)["error"]["kind"] == "internal"


def test_any_command_stopped_by_a_bug_says_one_sentence(broken_cache: Path, tmp_path: Path) -> None:
    # `dashboard` has no handler of its own: the command line's last line of defence answers.
    args = ["dashboard", "kpi", "--out", str(tmp_path / "d.png"), "--db", str(broken_cache)]
    res = kpibot(*args, cwd=tmp_path, tmp=tmp_path)
    assert res.returncode == 1
    line = one_sentence(res.stderr)
    assert line.startswith("Sorry, kpibot hit an internal error (")
    assert line.endswith(f"and stopped; the details are in {tmp_path / 'kpibot-errors.log'}.")
    assert "Traceback" in (tmp_path / "kpibot-errors.log").read_text(encoding="utf-8")
