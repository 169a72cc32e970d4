"""The command line, one process per answer: `kpibot ask` on the 10M-Task demo org as a user runs
it, start-up included, beside a bare interpreter's start.

    python -m bench.bench_cli [--scale 62] [--runs 10] [--quick] [--no-write]

Each command runs as ``python -m bot …`` in a fresh process (no warm cache, as from a shell or
a cron job); wall ms as p50 / p95, and the child's CPU ms (p50). Writes the section "Command
line (one process per answer)" of docs/benchmarks.md.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.demo_db import TODAY, bench_args, demo_db
from bench.report import load_line, p50, percentile, publish, table
from cache.snapshot import snapshot_dir

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "calls by rep last 31 days"
FIRST = "… the first on a new snapshot (one run)"


def commands(db: Path, out: Path) -> dict[str, list[str]]:
    """What is timed: a bare interpreter, then kpibot's commands (the question's answer as text,
    as JSON, with its chart)."""
    ask = ["-m", "bot", "ask", QUESTION, "--db", str(db), "--today", TODAY.isoformat()]
    return {
        "python -c pass (the interpreter alone)": ["-c", "pass"],
        "kpibot --help": ["-m", "bot", "--help"],
        f'kpibot ask "{QUESTION}"': ask,
        "… --json": [*ask, "--json"],
        "… --chart c.png": [*ask, "--chart", str(out / "c.png")],
    }


def run_once(args: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU ms of one run of ``python ARGS`` (CPU: the child's user + system time)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        check=False,
    )
    wall = (time.perf_counter() - t0) * 1e3
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1e3
    return wall, cpu


def measure(db: Path, runs: int) -> dict[str, tuple[list[float], list[float]]]:
    out: dict[str, tuple[list[float], list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cmds = commands(db, Path(tmp))
        for name, args in cmds.items():
            if name.startswith("kpibot ask"):
                # The first answer on a new snapshot: the dimension values are worked out and
                # kept beside it for the processes after (docs/cache.md). A run before it pays
                # the catalog's check, which new code makes once (not a new snapshot).
                run_once(args, Path(tmp))
                for kept in snapshot_dir(db).glob("*.values-*.json"):
                    kept.unlink()
                first = run_once(args, Path(tmp))
            run_once(args, Path(tmp))  # warm the OS's file cache, as a second run from a shell
            walls, cpus = out.setdefault(name, ([], []))
            for _ in range(runs):
                wall, cpu = run_once(args, Path(tmp))
                walls.append(wall)
                cpus.append(cpu)
            if name.startswith("kpibot ask"):
                out[FIRST] = ([first[0]], [first[1]])
    return out


def report(results: dict[str, tuple[list[float], list[float]]], scale: float, runs: int) -> str:
    rows = [
        [name, f"{p50(w):,.0f} / {percentile(w, 95):,.0f}", f"{p50(c):,.0f}"]
        for name, (w, c) in results.items()
    ]
    head = (
        f"Demo org at --scale {scale:g} (`bench/demo_db.py`, today {TODAY}), {runs} runs of "
        f"each command in a fresh process after one unmeasured run; wall ms as p50 / p95, and "
        f"the process's CPU ms (p50). A command imports only its own group of commands "
        f"(`bot/cli/main.py`): `ask` loads neither matplotlib (only with `--chart`) nor pandas, "
        f"simple-salesforce or the Slack SDK. The first answer on a new snapshot also works "
        f"out the values the question language matches (every rep, lead source, account …) "
        f"and keeps them beside the snapshot (docs/cache.md); before they were kept, every "
        f"answer paid that. {load_line()}."
    )
    return head + "\n\n" + table(["command", "ms", "CPU ms"], rows)


def main() -> None:
    scale, runs, write = bench_args(__doc__ or "", runs=10, quick_runs=2)
    results = measure(demo_db(scale), runs)
    publish("Command line (one process per answer)", report(results, scale, runs), write)


if __name__ == "__main__":
    main()
