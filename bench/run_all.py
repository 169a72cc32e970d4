"""Run every benchmark in bench/, one subprocess each, and print a summary.

    python -m bench.run_all [--quick] [--only ask,charts]

Each script runs as ``python -m bench.<name>`` in its own process, so one that fails (or runs
out of memory) does not stop the others, and each starts with a cold import like a real
process. ``--quick`` passes the smaller sizes each script supports and keeps
docs/benchmarks.md as it is (quick numbers are a smoke test, not a measurement).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import goals
from bench.report import QUICK_ENV, load_line, write_section

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Bench:
    module: str
    full: tuple[str, ...]  # arguments of a measuring run (writes its docs section)
    quick: tuple[str, ...]  # smaller sizes, docs left alone


# Order: cheap ones first; the 10M-Task ones share bench/out/ (the demo db is built once).
BENCHES: tuple[Bench, ...] = (
    Bench("bench_parse", (), ("--rounds", "3", "--no-write")),
    Bench("bench_charts", ("--write", "docs/benchmarks.md"), ("--runs", "3")),
    Bench("bench_slack", (), ("--n", "20", "--answers", "10", "--no-doc")),
    Bench("bench_state", (), ("--n", "30", "--no-doc")),
    Bench("bench_sync", (), ("--tasks", "50000", "--changes", "100", "--runs", "1")),
    Bench("bench_demo", ("--write-docs",), ("--scale", "1")),
    Bench("bench_load", ("--write-docs",), ("--scale", "1")),
    Bench("bench_ask", (), ("--quick",)),
    Bench("bench_cli", (), ("--quick",)),  # `kpibot ask` as a process, start-up included
    Bench("bench_fields", (), ("--quick",)),
    Bench("bench_dashboards", (), ("--quick",)),
    Bench("bench_boards", (), ("--quick",)),
    Bench("bench_rows", (), ("--quick",)),  # a manager's row-level scope (issue 17)
    Bench("bench_spark", (), ("--quick",)),  # Spark local[2] beside DuckDB (issue 16)
    # 1M → 10M → 50M takes hours: measured by its own command (docs/benchmarks.md says which);
    # here its section is only rewritten from the saved results
    Bench("bench_scale", ("--report-only",), ("--report-only", "--no-write")),
)


@dataclass(frozen=True)
class Outcome:
    module: str
    code: int
    seconds: float
    cpu_seconds: float  # of the child (and its children): the work, whatever the machine load


def run_one(b: Bench, quick: bool) -> Outcome:
    args = b.quick if quick else b.full
    cmd = [sys.executable, "-m", f"bench.{b.module}", *args]
    env = {**os.environ, QUICK_ENV: "1"} if quick else None
    print(f"\n=== {' '.join(cmd[1:])}", flush=True)
    before = os.times()
    t = time.perf_counter()
    code = subprocess.run(cmd, cwd=ROOT, check=False, env=env).returncode
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return Outcome(b.module, code, time.perf_counter() - t, cpu)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes; docs not rewritten")
    ap.add_argument("--only", default="", help="comma-separated names (e.g. ask,charts)")
    args = ap.parse_args()
    wanted = {f"bench_{n.strip().removeprefix('bench_')}" for n in args.only.split(",") if n}
    chosen = [b for b in BENCHES if not wanted or b.module in wanted]
    if wanted - {b.module for b in chosen}:
        print(f"unknown benchmark(s): {', '.join(sorted(wanted - {b.module for b in chosen}))}",
              file=sys.stderr)
        return 2
    print(f"=== start ({load_line()})", flush=True)
    outcomes = [run_one(b, args.quick) for b in chosen]
    if not args.quick:
        print("\n=== goals (bench/goals.py, written to docs/benchmarks.md)")
        body = goals.report()
        print(body)
        write_section(goals.TITLE, body, key="goals")
    print(f"\n=== summary ({load_line()})")
    for o in outcomes:
        state = "ok" if o.code == 0 else f"FAILED (exit {o.code})"
        print(f"{o.module:<18} {state:<18} {o.seconds:7.1f} s wall {o.cpu_seconds:7.1f} s CPU")
    return 0 if all(o.code == 0 for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
