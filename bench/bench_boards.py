"""User dashboards (pinned questions, automatic layout) on the 10M-Task demo org.

    python -m bench.bench_boards [--scale 62] [--runs 6] [--quick] [--no-write] [--db PATH]
                                 [--state SQLITE-FILE-OR-POSTGRESQL-URL]

Boards of 1, 4, 7 and 12 mixed panels (cards, by-rep bars and tables, weekday columns, trends,
top deals; one panel pinned with a picked chart kind), made through the board service into a
state database (a SQLite file; `--state postgresql://…` for a server) and each drawn as `/kpi
dashboard "NAME"` draws it: the board found by name in the state store, every pinned question
parsed again, its query run on the cache, the layout chosen, the page drawn, PNG encoded.
Target (issue #15): a board of up to 12 panels ≤ 1.5 s. Writes the section "User dashboards
(10M Tasks)" of docs/benchmarks.md.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_dashboards import TimedBackend, timed
from bench.demo_db import TODAY, TZ, bench_args, demo_db
from bench.report import percentile, publish, save_results, table
from bot.boards.service import Boards, Viewer
from bot.boards.store import BoardStore
from bot.config import AppConfig
from bot.state_connection import is_server_url
from bot.state_db import open_state_db

MIXED = (
    "win rate this quarter vs previous period",
    "connect rate by rep last 31 days",
    "connect rate by weekday last 31 days",
    "top 5 deals this quarter",
    "average deal size this quarter",
    "deals won by month this year",
    "lead conversion rate by lead source this quarter",
    "outbound calls last 7 days",
    "activities by week last 90 days",
    "meetings booked this month",
    "revenue won by rep this quarter",
    "time in stage by stage this quarter",
)
SIZES = (1, 4, 7, 12)


PICKED = {"revenue won by rep this quarter": "table"}  # pinned with the modal's chart picker
VIEWER = Viewer("UBENCH", "CBENCH")


def make_boards(state: str) -> Boards:
    """The benchmark's boards, made afresh in the state database as Slack makes them."""
    boards = Boards(BoardStore(open_state_db(state)))
    for old in boards.visible(VIEWER):
        if old.name.startswith("Bench "):
            boards.store.delete(old.id)
    for n in SIZES:
        boards.new(f"Bench {n}", VIEWER)
        for q in MIXED[:n]:
            boards.pin(f"Bench {n}", q, VIEWER, chart=PICKED.get(q, "auto"))
    return boards


def _option(name: str) -> str | None:
    if name not in sys.argv:
        return None
    i = sys.argv.index(name)
    value = sys.argv[i + 1]
    del sys.argv[i : i + 2]
    return value


def main() -> None:
    db_arg = _option("--db")  # an existing demo cache (read only), instead of building one
    state = _option("--state")
    scale, runs, write = bench_args(__doc__ or "", 6, 2)
    db = Path(db_arg) if db_arg else demo_db(scale, TODAY)
    backend = TimedBackend(AppConfig(timezone=TZ, db_override=str(db)))
    tmp = tempfile.TemporaryDirectory()
    boards = make_boards(state or str(Path(tmp.name) / "state.sqlite"))
    started = time.perf_counter()
    rows = []
    kept: dict[str, dict[str, float]] = {}
    for n in SIZES:
        name = f"Bench {n}"
        warm = boards.show(name, "", VIEWER).show  # fonts, the values list, DuckDB caches
        assert warm is not None
        backend.board(warm, "", today=TODAY)
        queries: list[float] = []

        def once(name=name, queries=queries) -> None:  # type: ignore[no-untyped-def]
            backend.spans = []
            spec = boards.show(name, "", VIEWER).show  # found in the state store, as Slack does
            assert spec is not None
            reply = backend.board(spec, "", today=TODAY)
            if reply.chart_png is None:
                raise SystemExit(f"{spec.name}: no image ({reply.error})")
            queries.append(backend.query_ms()[0])

        wall, cpu = timed(once, runs)
        kept[str(n)] = {"p50": percentile(wall, 50), "p95": percentile(wall, 95),
                        "cpu": percentile(cpu, 50)}
        rows.append(
            (
                f"{n} panel{'s' * (n > 1)}",
                f"{percentile(wall, 50):.0f}",
                f"**{percentile(wall, 95):.0f}**",
                f"{max(wall):.0f}",
                f"{percentile(queries, 50):.0f}",
                f"{percentile(cpu, 50):.0f}",
            )
        )
    boards.close()
    tmp.cleanup()
    load = os.getloadavg()
    body = (
        f"Demo org at --scale {scale:g} (today {TODAY}); ms; {runs} runs of each board after "
        "one warm-up, each found by name in the state database "
        f"({'PostgreSQL' if state and is_server_url(state) else 'SQLite'}) and drawn as "
        "`/kpi dashboard` draws it. The panel queries run concurrently (charts/dashboards.py); "
        "`queries (sum)` adds up each query's own time (they overlap, so it can exceed the "
        "wall time). "
        "Load average after the run: "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} cores (shared: "
        f"wall times include waiting for the CPU; CPU p50 is this process's own work); "
        f"{time.perf_counter() - started:.0f} s in all.\n\n"
        + table(["board", "p50", "p95", "max", "queries (sum) p50", "CPU p50"], rows)
        + "\n\nTarget: a board of up to 12 panels ≤ 1,500 ms."
    )
    save_results("boards", scale, {"boards": kept})
    publish("User dashboards (10M Tasks)", body, write)


if __name__ == "__main__":
    main()
