"""A killed `kpibot sync` loses nothing; readers in another process never see half a sync."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cache import schema
from cache.snapshot import PENDING_PREFIX, snapshot_dir
from tests.sf_emulator import Emulator, Org
from tests.sf_emulator.harness import assert_matches_org, cache_rows, client, run, seed, task_values

ROOT = Path(__file__).resolve().parent.parent
KPIBOT = [sys.executable, "-c", "from bot.cli.main import main; main()"]


@pytest.fixture
def emu(tmp_path: Path):
    org = Org()
    seed(org, random.Random(5), tasks=60)
    with Emulator(tmp_path / "emu", org, page_size=7) as e:
        yield e


def _env(emu: Emulator, tmp_path: Path, db: Path) -> dict[str, str]:
    cfg = tmp_path / "app.yaml"
    cfg.write_text("salesforce:\n  bulk_threshold: 100000\n  overlap: 5m\n", encoding="utf-8")
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {
        **keep,
        **emu.env("token"),
        "KPIBOT_CONFIG": str(cfg),
        "KPIBOT_DB": str(db),
        "PYTHONPATH": str(ROOT),
    }


def _sync(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KPIBOT, "sync"], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def _change(org: Org, rng: random.Random) -> None:
    live = org.live_ids("Task")
    for rid in rng.sample(live, 8):
        org.update(
            "Task",
            rid,
            {
                "Status": rng.choice(["Deferred", "Waiting"]),
                "CallDurationInSeconds": rng.randint(1, 99),
            },
        )
    for rid in rng.sample(org.live_ids("Task"), 4):
        org.delete("Task", rid)
    for i in range(5):
        org.insert("Task", task_values(rng, i=i))
    org.update("Opportunity", org.live_ids("Opportunity")[0], {"StageName": "Lost", "IsWon": False})


def test_sigkill_mid_sync_then_resume_equals_an_uninterrupted_run(
    emu: Emulator, tmp_path: Path, monkeypatch
) -> None:
    db = tmp_path / "kpibot.duckdb"
    env = _env(emu, tmp_path, db)
    first = _sync(env)
    assert first.returncode == 0, first.stderr
    assert "Task" in first.stdout and "Traceback" not in first.stderr
    assert "━" not in first.stderr  # not a terminal: no progress bar drawn into logs
    published = {o.name: cache_rows(db, o.name) for o in schema.OBJECTS}

    _change(emu.org, random.Random(9))
    # The second page of Tasks never comes back: the process is mid-object, mid-pagination,
    # with Users … OpportunityHistory already merged in its pending snapshot.
    fault = emu.block("query_more", obj="Task", after=1)
    proc = subprocess.Popen(
        [*KPIBOT, "sync"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        assert fault.reached.wait(60), "the sync never reached the Task pages"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    # Readers still see exactly what the first sync published; the kill left a pending file.
    assert {o.name: cache_rows(db, o.name) for o in schema.OBJECTS} == published
    assert list(snapshot_dir(db).glob(f"{PENDING_PREFIX}*"))

    emu.clear_faults()
    resumed = _sync(env)
    assert resumed.returncode == 0, resumed.stderr
    assert not list(snapshot_dir(db).glob(f"{PENDING_PREFIX}*"))

    # One uninterrupted run from scratch, and the org itself, agree with the resumed cache.
    fresh = tmp_path / "fresh" / "kpibot.duckdb"
    assert run(client(emu, monkeypatch), fresh).ok
    for obj in schema.OBJECTS:
        assert cache_rows(db, obj.name) == cache_rows(fresh, obj.name), obj.name
    assert_matches_org(db, emu.org)


def test_cli_reports_a_stopped_sync_without_a_traceback(emu: Emulator, tmp_path: Path) -> None:
    db = tmp_path / "kpibot.duckdb"
    env = _env(emu, tmp_path, db)
    emu.limit_after(9)
    out = _sync(env)
    assert out.returncode == 3
    assert (
        "API request limit reached" in out.stderr
        and "Published: User, Account, Contact" in out.stderr
    )
    assert "Traceback" not in out.stderr
    bad = _sync({**env, "SF_ACCESS_TOKEN": ""})
    assert (
        bad.returncode == 1
        and "SF_ACCESS_TOKEN not set" in bad.stderr
        and "Traceback" not in bad.stderr
    )


READER = r"""
import sys, time, hashlib
from pathlib import Path
from cache import schema
from cache.snapshot import SnapshotReader, CacheMissing
db, stop = Path(sys.argv[1]), Path(sys.argv[2])
reader = SnapshotReader(db)
# the Task fields, as cache_rows reads them (not kpibot's own owner-key column)
names = ", ".join(f'"{f}"' for f in schema.BY_NAME["Task"].field_names)
while not stop.exists():
    cur = reader.cursor()
    rows = cur.execute(f'SELECT {names} FROM "Task" ORDER BY "Id"').fetchall()
    meta = dict(cur.execute("SELECT object, row_count FROM _kpibot_objects").fetchall())
    counts = {o: cur.execute(f'SELECT count(*) FROM "{o}"').fetchone()[0] for o in meta}
    ok = all(meta[o] == counts[o] for o in meta)
    print(hashlib.sha1(repr(rows).encode()).hexdigest(), ok, flush=True)
    time.sleep(0.01)
"""


def test_a_reader_process_only_ever_sees_complete_snapshots(
    emu: Emulator, tmp_path: Path, monkeypatch
) -> None:
    import hashlib

    db = tmp_path / "kpibot.duckdb"
    api = client(emu, monkeypatch)
    assert run(api, db).ok
    old = hashlib.sha1(repr(cache_rows(db, "Task")).encode()).hexdigest()
    _change(emu.org, random.Random(4))
    stop = tmp_path / "stop"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(db), str(stop)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    t = threading.Thread(target=lambda: lines.extend(reader.stdout or []), daemon=True)
    t.start()
    while not lines and reader.poll() is None:
        time.sleep(0.05)
    emu.delay("query_more", 0.15, times=10**6)  # a slow sync, so the reader runs all through it
    seen_during = len(lines)
    assert run(api, db).ok
    seen_during = len(lines) - seen_during
    time.sleep(0.3)
    stop.touch()
    reader.wait(30)
    t.join(10)
    assert reader.returncode == 0, reader.stderr.read() if reader.stderr else ""
    new = hashlib.sha1(repr(cache_rows(db, "Task")).encode()).hexdigest()
    states = [line.split() for line in lines]
    assert {h for h, _ in states} <= {old, new} and states[-1][0] == new
    assert all(ok == "True" for _, ok in states)  # row counts always agree with the tables
    assert seen_during >= 5  # it kept answering while the sync ran: never blocked
