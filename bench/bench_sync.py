"""Sync throughput against the loopback emulator: a 1M-Task first load, then 1,000-change
increments.

    .venv/bin/python -m bench.bench_sync [--tasks 1000000] [--changes 1000] [--runs 3]

`kpibot sync` runs as a subprocess (as in production), the emulator in this process over TLS.
Wall times include the subprocess's start-up, measured separately as `kpibot --help`.
Writes the "Salesforce sync" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.report import p50, percentile, table, write_section
from tests.sf_emulator import Emulator, Org

ROOT = Path(__file__).resolve().parent.parent
KPIBOT = [sys.executable, "-c", "from bot.cli.main import main; main()"]


def fill(org: Org, n: int) -> None:
    """n Tasks built straight into the org's tuples (org.insert is too slow for a million)."""
    spec = org.specs["Task"]
    rng = random.Random(1)
    owners = [f"005{i:012d}AAA" for i in range(50)]
    start = org.now_ms() - 400 * 86_400_000
    step = max(1, 400 * 86_400_000 // n)
    values = {"Subject": "Call", "TaskSubtype": "Call", "Status": "Completed", "IsDeleted": False}
    dispositions = ["Connected", "No Answer", "Left Voicemail", None]
    rows = org.records["Task"]
    for i in range(n):
        stamp = start + i * step
        rid = org.new_id("Task")
        rec = dict.fromkeys(spec.fields)
        rec.update(
            values,
            Id=rid,
            CreatedDate=stamp,
            SystemModstamp=stamp,
            OwnerId=owners[i % 50],
            CallType="Outbound" if i % 3 else "Inbound",
            CallDisposition=dispositions[i % 4],
            CallDurationInSeconds=rng.randint(0, 900),
            ActivityDate=date(2024, 1 + i % 12, 1).isoformat(),
        )
        rows[rid] = tuple(rec[f] for f in spec.fields)


def timed(env: dict[str, str], *args: str) -> float:
    t = time.perf_counter()
    out = subprocess.run([*KPIBOT, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"kpibot {' '.join(args)} failed:\n{out.stderr}")
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=1_000_000)
    ap.add_argument("--changes", type=int, default=1_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kpibot-bench-") as tmp:
        tmpd = Path(tmp)
        org = Org()
        fill(org, args.tasks)
        with Emulator(tmpd / "emu", org, page_size=2000, bulk_polls=2) as emu:
            cfg = tmpd / "app.yaml"
            cfg.write_text("salesforce:\n  bulk_threshold: 10000\n", encoding="utf-8")
            keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
            env = {
                **keep,
                **emu.env("token"),
                "KPIBOT_CONFIG": str(cfg),
                "KPIBOT_DB": str(tmpd / "kpibot.duckdb"),
                "PYTHONPATH": str(ROOT),
            }
            startup = timed(env, "--help")
            full = timed(env, "sync")
            incr = []
            rng = random.Random(2)
            ids = list(org.records["Task"])
            for _ in range(args.runs):
                for rid in rng.sample(ids, args.changes):
                    org.update("Task", rid, {"Status": rng.choice(["Deferred", "Completed"])})
                incr.append(timed(env, "sync"))
    rows = [
        [
            "first load (Bulk API 2.0)",
            f"{args.tasks:,}",
            f"{full:.1f}",
            f"{args.tasks / full:,.0f}",
            f"{args.tasks / max(full - startup, 1e-9):,.0f}",
        ],
        [
            f"incremental, {args.changes:,} changes (p50 of {args.runs})",
            f"{args.changes:,}",
            f"{p50(incr):.2f} (p95 {percentile(incr, 95):.2f})",
            f"{args.changes / p50(incr):,.0f}",
            f"{args.changes / max(p50(incr) - startup, 1e-9):,.0f}",
        ],
    ]
    body = table(["run", "Tasks", "wall s", "records/s", "records/s (minus start-up)"], rows)
    body += (
        f"\n\n`kpibot sync` as a subprocess against the loopback emulator over TLS "
        "(emulator in the "
        f"benchmark's process, same 2 cores). Start-up of `kpibot --help`: {startup:.2f} s. An "
        "incremental run also re-reads the 5-minute overlap and counts, describes and queries all "
        "8 objects (about 3 REST calls each). Run: `.venv/bin/python -m bench.bench_sync`."
    )
    print(body)
    write_section("Salesforce sync", body)


if __name__ == "__main__":
    main()
