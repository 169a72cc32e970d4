"""The 10M-Task demo org the question and dashboard benchmarks share, built once under bench/out/.

The database (git-ignored) is reused while its marker names the same --scale and --today;
building it takes about two minutes on two cores. ``$KPIBOT_BENCH_DATA`` puts the demo orgs on
another disk (the 100M-Task one needs about 7 GB; the benchmarks of bench_scale 45 GB).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from datetime import date
from pathlib import Path

from bench.report import QUICK_ENV, save_results
from cache.snapshot import add_missing_derived, current_target
from salesforce.demo import build_demo
from salesforce.demo_org import DemoSpec

OUT = Path(os.environ.get("KPIBOT_BENCH_DATA") or Path(__file__).resolve().parent / "out")
TODAY = date(2026, 11, 27)
SCALE_10M = 62.0
TZ = "Asia/Shanghai"


def demo_db(scale: float = SCALE_10M, today: date = TODAY, *, upgrade: bool = True) -> Path:
    """Path of the demo cache at this scale and today, building it first if needed; with
    ``upgrade``, brought up to this kpibot's tables and keys."""
    db = OUT / f"demo-{scale:g}" / "kpibot.duckdb"
    marker = db.parent / "built.ok"
    want = f"scale={scale:g} today={today.isoformat()} tz={TZ}\n"
    if marker.exists() and marker.read_text(encoding="utf-8") == want:
        if upgrade:
            _add_missing_derived(db)
        return db
    marker.unlink(missing_ok=True)
    db.parent.mkdir(parents=True, exist_ok=True)
    stats = build_demo(db, DemoSpec(today, scale, TZ))
    print(f"built {db} ({stats.rows.get('Task', 0):,} Tasks) in {stats.seconds:.0f} s", flush=True)
    target = current_target(db)
    save_results(
        "demo",
        scale,
        {
            "seconds": stats.seconds,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "cache_mb": target.stat().st_size / 2**20 if target else 0.0,
            "tasks": stats.rows.get("Task", 0),
            "rows": sum(stats.rows.values()),
        },
    )
    marker.write_text(want, encoding="utf-8")
    return db


def _add_missing_derived(db: Path) -> None:
    """A demo org built by an older kpibot lacks newer derived tables or owner keys: it gets
    them as an installed cache does, by the upgrade step a backend runs when it opens one
    (published again, data unchanged), so a rebuild of minutes is not needed."""
    t0 = time.perf_counter()
    if add_missing_derived(db, tz=TZ):
        print(f"published {db} again with what it lacked in {time.perf_counter() - t0:.1f} s")


def bench_args(doc: str, runs: int, quick_runs: int) -> tuple[float, int, bool]:
    """(scale, runs, write docs?) from the command line of a benchmark on the demo org."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--scale", type=float, default=SCALE_10M)
    ap.add_argument("--runs", type=int, default=runs)
    quick = f"--scale 1 --runs {quick_runs}, docs untouched"
    ap.add_argument("--quick", action="store_true", help=quick)
    ap.add_argument("--no-write", action="store_true", help="do not write docs/benchmarks.md")
    a = ap.parse_args()
    if a.quick:
        os.environ[QUICK_ENV] = "1"
        return 1.0, quick_runs, False
    return a.scale, a.runs, not a.no_write


if __name__ == "__main__":
    cli = argparse.ArgumentParser(description="Build (or find) the demo org of a benchmark.")
    cli.add_argument("--scale", type=float, default=SCALE_10M)
    print(demo_db(cli.parse_args().scale))
