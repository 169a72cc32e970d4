"""Build the demo org at the --scale that gives about 10 million Tasks; print time and peak memory.

    .venv/bin/python -m bench.bench_demo [--scale 62] [--write-docs]

Writes the "Demo org build" section of docs/benchmarks.md with --write-docs.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import tempfile
from datetime import date
from pathlib import Path

import duckdb

from bench.report import save_results
from salesforce.demo import build_demo, tasks_per_scale
from salesforce.demo_org import DemoSpec

DOCS = Path(__file__).parent.parent / "docs" / "benchmarks.md"
SCALE_10M = round(10_000_000 / tasks_per_scale())


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def machine() -> str:
    py = platform.python_version()
    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {py}, DuckDB {duckdb.__version__}"


def write_section(name: str, body: str) -> None:
    """Replace (or add) the section between this benchmark's markers in docs/benchmarks.md."""
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text, encoding="utf-8")


def publish(name: str, lines: list[str], write_docs: bool) -> None:
    print("\n".join(lines))
    if write_docs:
        write_section(name, "\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=SCALE_10M)
    ap.add_argument("--today", default="2026-11-27")
    ap.add_argument("--keep", help="build here and keep it (default: a temporary folder)")
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args()
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kpibot-bench-"))
    db = tmp / "kpibot.duckdb"
    try:
        s = build_demo(db, DemoSpec(date.fromisoformat(args.today), args.scale, "Asia/Shanghai"))
        size = sum(p.stat().st_size for p in (tmp / "kpibot.duckdb.d").glob("*.duckdb"))
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    rows = sum(s.rows.values())
    peak = peak_rss_mb()
    save_results(
        "demo",
        args.scale,
        {"seconds": s.seconds, "peak_mb": peak, "cache_mb": size / 2**20, "tasks": s.rows["Task"],
         "rows": rows},
    )
    lines = [
        "## Demo org build (`kpibot demo --scale N`)",
        "",
        f"`python -m bench.bench_demo --scale {args.scale:g}` on {machine()}.",
        "",
        "| scale | Tasks | all rows | build time | rows/s | peak memory (RSS) | cache file |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {args.scale:g} | {s.rows['Task']:,} | {rows:,} | {s.seconds:.1f} s "
        f"| {rows / s.seconds:,.0f} "
        f"| {peak:,.0f} MB | {size / 2**20:,.0f} MB |",
        "",
        f"--scale {SCALE_10M} gives about 10 million Tasks (one unit of scale is about "
        f"{tasks_per_scale():,} Tasks). Rows are generated a month (dials) or 200k leads "
        "(attempts) at a time and appended as Arrow chunks, so memory stays bounded.",
    ]
    publish("bench_demo", lines, args.write_docs)


if __name__ == "__main__":
    main()
