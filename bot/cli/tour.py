"""`kpibot demo-tour` (what `make demo` runs): the demo org, questions answered, dashboards drawn.

It shows the main job end to end on the built-in demo org, then says how to connect Slack.
"""

from __future__ import annotations

import re
import sys
import time
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bot.cli.common import ConfigOpt, DbOpt, TodayOpt, fail, load_config, parse_today
from metrics.errors import ConfigError

# (question, write its chart?) — English, Chinese and mixed, as reps type them.
QUESTIONS: tuple[tuple[str, bool], ...] = (
    ("connect rate by weekday last 31 days", True),
    ("outbound calls and demos last 31 days vs previous period", False),
    ("average deal size and deals won by lead source last 12 months", True),
    ("按销售统计 线索响应时间 跟进率 本季度", True),
    ("follow-up rate by attempt this year", True),
    ("top 5 deals last quarter", True),
    ("入站线索 线索转商机率 赢单率 过去30天", False),
    ("CAC by channel last quarter", True),
    ("quota attainment by rep this quarter", True),
    ("win rate by team this quarter vs previous period", True),
    ("conect rate by rep last 31 days", False),
)
DASHBOARDS = (
    "kpi dashboard",
    "outbound calls dashboard",
    "inbound leads dashboard",
    # The source document's 外拨电话大屏 is about a team of five: the demo's Outbound Team.
    "outbound calls dashboard for team outbound",
    # One rep against her team's median on the by-rep panels.
    "kpi dashboard for Olivia Brown",
)
# A board of the tour's own, built from three searches (docs/dashboards.md).
BOARD = "Team East"
BOARD_PINS = (
    "win rate this quarter vs previous period",
    "connect rate by rep last 31 days",
    "connect rate by weekday last 31 days",
)


def register(app: typer.Typer) -> None:
    app.command("demo-tour")(demo_tour)


def _slug(text: str) -> str:
    """A file name from a question; Chinese characters are kept, so it stays readable."""
    return re.sub(r"[^\w]+", "-", text.lower()).strip("-")[:60] or "chart"


def _user_board(con: Console, cfg: Any, backend: Any, day: Any, out: Path) -> None:
    """Three searches pinned to a new board, drawn as one image (what Slack's "Add to
    dashboard" button and `/kpi pin` do)."""
    from bot.boards.service import Viewer, open_boards

    boards = open_boards(cfg)
    who = Viewer("demo", "")
    for old in boards.visible(who):
        if old.name == BOARD:  # a tour run before: start the board afresh
            boards.store.delete(old.id)
    con.print(f'[bold cyan]/kpi[/] dashboard new "{BOARD}"')
    boards.new(BOARD, who)
    for q in BOARD_PINS:
        con.print(f'[bold cyan]/kpi[/] pin {q} to "{BOARD}"')
        boards.pin(BOARD, q, who)
    path = out / f"{_slug(BOARD)}-dashboard.png"
    took = _draw(con, backend, f"{BOARD} dashboard", day, path, said=BOARD)
    boards.close()
    if took is not None:
        con.print(f'[bold cyan]/kpi[/] dashboard "{BOARD}"  → {path}  ({took:.0f} ms)')


def _draw(
    con: Console, backend: Any, name: str, day: Any, path: Path, said: str | None = None
) -> float | None:
    """Ask for ``name``'s image and save it at ``path``: how long the answer took (ms), or
    None when there is no image (said, under ``said`` or the name)."""
    started = time.perf_counter()
    reply = backend.ask(name, today=day)
    took = (time.perf_counter() - started) * 1000
    if reply.error is not None or not reply.chart_png:
        con.print(f"{said or name}: {reply.error.message if reply.error else 'no image'}")
        return None
    path.write_bytes(reply.chart_png)
    return took


def demo_tour(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the charts and dashboards.")
    ] = Path("out/demo"),
    today: TodayOpt = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Build the demo org, answer example questions, draw the three dashboards."""
    from bot.backend import RealBackend

    con = Console(file=sys.stdout, highlight=False, soft_wrap=True)
    cfg = load_config(config, db)
    day = _build_org(con, cfg, today)
    try:
        backend = RealBackend(cfg)
    except ConfigError as e:  # e.g. the catalog's SQL does not run
        fail(str(e))
    out.mkdir(parents=True, exist_ok=True)
    con.rule("[bold]2. Questions, as a rep types them")
    for question, with_chart in QUESTIONS:
        _ask(con, cfg, backend, question, with_chart, day, out)
    con.rule("[bold]3. The dashboards of the source document, for a team and for one rep")
    for name in DASHBOARDS:
        path = out / f"{_slug(name)}.png"
        took = _draw(con, backend, name, day, path)
        if took is not None:
            con.print(f"{name:<44} → {path}  ({took:.0f} ms)")
    con.rule("[bold]4. A dashboard built by searching")
    _user_board(con, cfg, backend, day, out)
    con.rule("[bold]5. Connect your Slack workspace")
    _connect_slack_help(con, day, out)


def _build_org(con: Console, cfg: Any, today: str | None) -> date:
    """The demo org built into the configured cache; the day it ends on."""
    from cache.lake import LakeWriteFailed
    from cache.snapshot import WriterBusy
    from salesforce.demo import build_demo, default_today
    from salesforce.demo_org import DemoSpec

    day = parse_today(today) or default_today(cfg.timezone)
    con.rule("[bold]1. The demo org")
    try:
        summary = build_demo(
            cfg.db_path,
            DemoSpec(day, 1.0, cfg.timezone, cfg.fiscal_year_start_month),
            lake=cfg.publish_lake,
        )
    except WriterBusy as e:
        fail(f"{e}; try again when it has finished", 1)
    except LakeWriteFailed as e:
        fail(f"Nothing was published; the cache is unchanged.\n{e}", 1)
    con.print(
        f"Two years of a sales team's Salesforce history ending {day}, built in "
        f"{summary.seconds:.1f} s into {cfg.db_path}:"
    )
    con.print("  " + ", ".join(f"{n:,} {obj}" for obj, n in summary.rows.items()))
    return day


def _ask(
    con: Console, cfg: Any, backend: Any, question: str, with_chart: bool, day: date, out: Path
) -> None:
    """One question as `kpibot ask` prints it, its chart saved in ``out``."""
    from bot.text import answer_text

    con.print(f'\n[bold cyan]$ kpibot ask[/] "{question}"')
    started = time.perf_counter()
    reply = backend.ask(question, today=day, with_chart=with_chart)
    took = (time.perf_counter() - started) * 1000
    if reply.error is not None:
        con.print(reply.error.message)
        for s in reply.error.suggestions:
            con.print(f"  · {s}")
        return
    for c in reply.corrections:
        con.print(f"note: {c}")
    assert reply.answer is not None
    con.print(
        answer_text(
            reply.answer,
            currency=cfg.currency,
            fiscal_start_month=cfg.fiscal_year_start_month,
            tz=cfg.tz,
        ),
        markup=False,
    )
    line = f"({took:.0f} ms"
    if reply.chart_png:
        path = out / f"{_slug(question)}.png"
        path.write_bytes(reply.chart_png)
        line += f"; chart: {path}"
    con.print(line + ")", style="dim")


def _connect_slack_help(con: Console, day: date, out: Path) -> None:
    con.print(
        "1. `.venv/bin/kpibot manifest --url https://YOUR-HOST` prints the app manifest;\n"
        "   paste it at api.slack.com/apps → Create New App → From a manifest; install it.\n"
        "2. export SLACK_BOT_TOKEN=xoxb-…  SLACK_SIGNING_SECRET=…\n"
        "   (or SLACK_APP_TOKEN=xapp-… for Socket Mode, no public URL needed:\n"
        "   `kpibot manifest --socket-mode`)\n"
        f"3. `.venv/bin/kpibot serve --today {day}` answers on this demo org; mention @kpibot,\n"
        "   DM it, or type `/kpi connect rate by weekday last 31 days`.\n"
        "Your own data: `kpibot load EXPORT.zip` (a Data Export) or `kpibot sync` (docs/sync.md).\n"
        f"Charts and dashboards of this tour are in {out}/.",
        markup=False,
    )
