"""`kpibot load` speed: the demo org written as a Data Export (CSV), loaded back; rows/s.

    .venv/bin/python -m bench.bench_load [--scale 62] [--write-docs]

The demo org is the shared one of bench/demo_db.py; its export is written once to
bench/out/export-<scale>/ (git-ignored) and reused.

The load runs in a child process of its own, so its peak memory is measured apart from the
build and the export.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.bench_demo import SCALE_10M, machine, publish
from bench.demo_db import TODAY, TZ, demo_db
from bench.report import save_results
from salesforce.demo_export import write_export

LOAD = r"""
import json, sys, time
from pathlib import Path
from salesforce.export import load_export
started, timings = {}, {}
def progress(name, step, done, total):
    if step == "reading" and name not in started:
        started[name] = time.monotonic()
    elif step == "done":
        timings[name] = [time.monotonic() - started[name], total / 2**20]
t = time.monotonic()
s = load_export(Path(sys.argv[1]), Path(sys.argv[2]), progress=progress, tz=sys.argv[3])
# This process's own high-water mark (VmHWM: the memory map exec made). getrusage's ru_maxrss
# would keep the parent's RSS at fork (17 GB once, after the parent wrote the 50M export).
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print(json.dumps({"rows": s.rows, "timings": timings, "total": time.monotonic() - t, "peak": peak}))
"""


def export_of(scale: float) -> tuple[Path, float]:
    """The shared demo org (bench/demo_db.py) written as a Data Export under bench/out/, once;
    its folder and MB of CSV."""
    db = demo_db(scale, TODAY)
    out = db.parent.parent / f"export-{scale:g}"
    marker = out / "written.ok"
    if not marker.exists():
        write_export(db, out)
        marker.write_text(f"scale={scale:g} today={TODAY}\n", encoding="utf-8")
    return out, sum(p.stat().st_size for p in out.glob("*.csv")) / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=SCALE_10M)
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args()
    export, csv_mb = export_of(args.scale)
    tmp = Path(tempfile.mkdtemp(prefix="kpibot-bench-load-", dir=export.parent))
    try:
        done = subprocess.run(
            [sys.executable, "-c", LOAD, str(export), str(tmp / "loaded.duckdb"), TZ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:  # say why (the 50M load once failed with nothing said)
            sys.exit(f"the load failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
        size_mb = sum(p.stat().st_size for p in tmp.glob("loaded.duckdb.d/*.duckdb")) / 2**20
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    # The child's own high-water mark, read by the child (see LOAD): RUSAGE_CHILDREN's would
    # count this process's memory the child had between fork and exec.
    peak = result["peak"]
    cpu = usage.ru_utime + usage.ru_stime
    rows = sum(result["rows"].values())
    total = result["total"]
    lines = [
        "## Data Export load (`kpibot load`)",
        "",
        f"`python -m bench.bench_load --scale {args.scale:g}`: "
        f"the demo org written as a Data Export ({csv_mb:,.0f} MB of CSV), then loaded into a "
        f"fresh snapshot, on {machine()}. Time includes reading, checking every value, "
        "converting, the check that Ids are unique and the final checkpoint.",
        "",
        "| file | rows | MB | seconds | rows/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for obj, n in result["rows"].items():
        sec, mb = result["timings"][f"{obj}.csv"]
        lines.append(f"| {obj}.csv | {n:,} | {mb:,.0f} | {sec:.2f} | {n / sec:,.0f} |")
    lines += [
        f"| **all** | {rows:,} | {csv_mb:,.0f} | {total:.1f} | {rows / total:,.0f} |",
        "",
        f"Peak memory of the load process: {peak:,.0f} MB; its CPU time {cpu:.0f} s "
        "(each file is read twice, streaming: once to check every value, once to insert). "
        "Load average after the run: {:.1f} / {:.1f} / {:.1f} on {} cores.".format(
            *os.getloadavg(), os.cpu_count()
        ),
    ]
    save_results(
        "load",
        args.scale,
        {"seconds": total, "peak_mb": peak, "cpu_s": cpu, "csv_mb": csv_mb, "cache_mb": size_mb,
         "rows": rows},
    )
    if args.scale == SCALE_10M:  # other scales go to bench_scale's table, not this section
        publish("bench_load", lines, args.write_docs)
    else:
        print("\n".join(lines))


if __name__ == "__main__":
    main()
