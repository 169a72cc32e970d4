"""The state database: SQLite file vs PostgreSQL server, for one bot or several replicas.

Two measurements, each on both backends (PostgreSQL 15 started locally as the tests do, on
127.0.0.1 — a real deployment adds the network round trip to its server, typically 0.2–1 ms in
one data centre, per statement):

* the stores alone, per call: one event de-duplication (an INSERT … ON CONFLICT), one audit
  row (INSERT … RETURNING, then UPDATE), one digest send claim (a write transaction). SQLite
  runs with ``synchronous=NORMAL`` as the bot runs it; PostgreSQL with fsync and synchronous
  commit on, its defaults;
* what Slack feels: the acknowledgement latency of signed Slack events sent to `kpibot serve`
  (gunicorn + bolt, the fixed test backend), whose de-duplication writes the state database
  before the acknowledgement.

Run: ``.venv/bin/python -m bench.bench_state [--n 300]``; writes its section of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.report import p50, percentile, publish, table
from bot.audit import AuditLog
from bot.digests.state import StateStore, send_key
from bot.slack.dedupe import SeenEvents
from bot.state_db import open_state_db
from tests import slack_harness as H
from tests.pg_server import PgServer

T0 = datetime(2024, 6, 28, 1, tzinfo=UTC)


def timed(fn: Callable[[int], object], n: int) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


def bench_stores(location: str, n: int) -> dict[str, list[float]]:
    db = open_state_db(location)
    seen, audit, store = SeenEvents(db), AuditLog(db), StateStore(db)
    run = uuid.uuid4().hex[:8]

    def audited(i: int) -> None:
        entry = audit.start(user="U1", channel="C1", source="mention", question="calls")
        audit.finish(entry, outcome="answered", rows=1)

    def claimed(i: int) -> None:
        key = send_key(f"digest:{run}", T0 + timedelta(hours=i))
        store.claim(key, "digest:b", T0, "C1", owner="b", now=T0, lease=timedelta(minutes=10))

    out = {
        "dedupe one event": timed(lambda i: seen.first_time(f"Ev{run}{i}"), n),
        "audit one question (2 statements)": timed(audited, n),
        "claim one digest send (transaction)": timed(claimed, n),
    }
    db.close()
    return out


def bench_acks(location: str, workdir: Path, n: int) -> list[float]:
    with H.workspace() as slack, H.running_bot(slack, workdir, state_database=location) as bot:
        drv = H.driver(bot)
        drv.mention(H.ALICE, H.SALES, "calls this week")  # warm up
        slack.wait_for("files.completeUploadExternal")
        out = []
        for _ in range(n):
            out.append(drv.mention(H.ALICE, H.SALES, "calls this week").seconds * 1000)
            time.sleep(0.02)  # a busy workspace, not a flood
        slack.settle(quiet=0.5, timeout=120)
    return out


def fmt(ms: list[float]) -> list[str]:
    return [f"{p50(ms):.2f}", f"{percentile(ms, 95):.2f}", f"{percentile(ms, 99):.2f}"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300, help="calls per measurement")
    ap.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    args = ap.parse_args()
    pg = PgServer(durable=True).start()  # fsync on, as in production
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            places = {
                "SQLite (WAL file)": str(Path(tmp) / "state.sqlite"),
                "PostgreSQL 15 (loopback)": pg.fresh_database(),
            }
            for backend, location in places.items():
                for what, ms in bench_stores(location, args.n).items():
                    rows.append([what, backend, *fmt(ms)])
            for backend, location in places.items():
                workdir = Path(tmp) / backend.split()[0]
                workdir.mkdir()
                acks = bench_acks(location, workdir, max(50, args.n // 3))
                rows.append(["Slack event acknowledged by `serve`", backend, *fmt(acks)])
    finally:
        pg.stop()
    body = table(["operation", "state database", "p50 ms", "p95 ms", "p99 ms"], rows)
    body += (
        "\n\nThe machine was shared with other heavy jobs while this ran (2 cores, several"
        " developers' test suites): absolute numbers are pessimistic, the ratio between the"
        " two backends is the point. PostgreSQL ran on the same machine, so these numbers"
        " have no network hop; add one round trip per statement for a remote server."
    )
    publish("State database: SQLite vs PostgreSQL (bench_state)", body, not args.no_doc)


if __name__ == "__main__":
    main()
