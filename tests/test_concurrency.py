"""`kpibot load` in one process while another keeps asking: the reader never fails, never waits
on the writer, and always sees one complete dataset — never a mix, never an empty cache."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from salesforce.export import load_export

READER = r"""
import json, sys, time
from pathlib import Path
from cache.snapshot import SnapshotReader
db, stop = Path(sys.argv[1]), Path(sys.argv[2])
reader = SnapshotReader(db)
seen, reads, worst = {}, 0, 0.0
while not stop.exists():
    t = time.monotonic()
    try:
        row = reader.cursor().execute(
            "SELECT (SELECT count(*) FROM Lead), (SELECT count(*) FROM Task), "
            "(SELECT count(*) FROM Task t SEMI JOIN Lead l ON l.Id = t.WhoId), "
            "(SELECT source FROM _kpibot_snapshot)"
        ).fetchone()
    except Exception as e:  # any failure is a test failure
        print(json.dumps({"error": repr(e)}))
        sys.exit(1)
    worst = max(worst, time.monotonic() - t)
    key = f"{row[0]}/{row[1]}/{row[2]}/{Path(row[3]).name}"
    seen[key] = seen.get(key, 0) + 1
    reads += 1
print(json.dumps({"seen": seen, "reads": reads, "worst": worst}))
"""


def export(folder: Path, leads: int, tasks: int) -> Path:
    """An export whose every Task belongs to one of its Leads, so a mix would show."""
    folder.mkdir(parents=True)
    with open(folder / "Lead.csv", "w", encoding="utf-8") as fh:
        fh.write("Id,Name,OwnerId,IsConverted,CreatedDate\n")
        for i in range(leads):
            fh.write(
                f"00Q{folder.name}{i:012d},线索 {i},005000000000001AAA,false,"
                "2024-05-01T01:00:00.000Z\n"
            )
    with open(folder / "Task.csv", "w", encoding="utf-8") as fh:
        fh.write("Id,WhoId,OwnerId,TaskSubtype,CallType,CreatedDate\n")
        for i in range(tasks):
            fh.write(
                f"00T{folder.name}{i:012d},00Q{folder.name}{i % leads:012d},005000000000001AAA,"
                f"Call,Outbound,2024-05-02T01:00:00.000+0000\n"
            )
    return folder


def test_load_while_another_process_queries(tmp_path: Path) -> None:
    small = export(tmp_path / "AAA", 10, 30)
    big = export(tmp_path / "BBB", 20_000, 80_000)
    expected = {"10/30/30/AAA", "20000/80000/80000/BBB"}
    db = tmp_path / "data" / "kpibot.duckdb"
    load_export(small, db)
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(db), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    try:
        time.sleep(0.5)
        for folder in (big, small, big, small):
            done = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "from bot.cli.main import main; main()",
                    "load",
                    str(folder),
                    "--db",
                    str(db),
                ],
                capture_output=True,
                text=True,
                cwd=Path(__file__).parent.parent,
            )
            assert done.returncode == 0, done.stderr
            time.sleep(0.2)
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=60)
    assert reader.returncode == 0, out
    result = json.loads(out.strip().splitlines()[-1])
    print(result)
    assert set(result["seen"]) == expected  # both datasets, whole; nothing else, ever
    assert result["reads"] > 20
    assert result["worst"] < 5.0  # readers never wait for the writer (generous on a busy CI box)
