"""`kpibot load` speed: the demo org written as a Data Export (CSV), loaded back; rows/s.

.venv/bin/python -m bench.bench_load [--scale 62] [--write-docs]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.bench_demo import SCALE_10M, machine, peak_rss_mb, write_section
from salesforce.demo import DemoSpec, build_demo
from salesforce.demo_export import write_export
from salesforce.export import load_export


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=SCALE_10M)
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kpibot-bench-load-"))
    timings: dict[str, tuple[float, float]] = {}
    try:
        build_demo(tmp / "demo.duckdb", DemoSpec(date(2026, 11, 27), args.scale, "Asia/Shanghai"))
        files = write_export(tmp / "demo.duckdb", tmp / "export")
        csv_mb = sum(p.stat().st_size for p in files.values()) / 2**20
        started: dict[str, float] = {}

        def progress(name: str, step: str, done: int, total: int) -> None:
            if step == "reading":
                started[name] = time.monotonic()
            elif step == "done":
                timings[name] = (time.monotonic() - started[name], total / 2**20)

        t = time.monotonic()
        s = load_export(tmp / "export", tmp / "loaded.duckdb", progress=progress)
        total = time.monotonic() - t
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rows = sum(s.rows.values())
    lines = [
        "## Data Export load (`kpibot load`)",
        "",
        f"`python -m bench.bench_load --scale {args.scale:g}`: "
        "the demo org written as a Data Export "
        f"({csv_mb:,.0f} MB of CSV), then loaded into a fresh snapshot, on {machine()}. "
        "Time includes reading, checking every value, converting, the primary-key index and the "
        "final checkpoint.",
        "",
        "| file | rows | MB | seconds | rows/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for obj, n in s.rows.items():
        sec, mb = timings[f"{obj}.csv"]
        lines.append(f"| {obj}.csv | {n:,} | {mb:,.0f} | {sec:.2f} | {n / sec:,.0f} |")
    lines += [
        f"| **all** | {rows:,} | {csv_mb:,.0f} | {total:.1f} | {rows / total:,.0f} |",
        "",
        f"Peak memory of the process (build, export and load): {peak_rss_mb():,.0f} MB.",
    ]
    print("\n".join(lines))
    if args.write_docs:
        write_section("bench_load", "\n".join(lines))


if __name__ == "__main__":
    main()
