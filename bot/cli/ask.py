"""kpibot subcommands: ask (a question, or one per line from stdin) and dashboard."""

from __future__ import annotations

import json
import logging
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.common import (
    ConfigOpt,
    DbOpt,
    TodayOpt,
    fail,
    load_config,
    log_internal_error,
    parse_today,
)
from bot.config import AppConfig
from metrics.errors import ConfigError, UserError

NO_CACHE = (
    "There is no KPI cache at {path} yet. Build one with `kpibot demo` (the demo org), "
    "`kpibot load EXPORT` (a Salesforce Data Export) or `kpibot sync` (your org)."
)
INTERNAL = "Sorry, something went wrong on our side answering that question; {where}."
MAX_QUESTION = 2000  # characters; longer input is refused by the grammar in words anyway


def register(app: typer.Typer) -> None:
    app.command("ask")(ask)
    app.command("dashboard")(dashboard)
    app.command("kpis")(kpis)


def _backend(cfg: AppConfig) -> Any:
    from bot.backend import RealBackend
    from cache.snapshot import current_target

    if current_target(cfg.db_path) is None:
        fail(NO_CACHE.format(path=cfg.db_path))
    try:
        return RealBackend(cfg)
    except ConfigError as e:  # the catalog's SQL does not run: every problem listed
        fail(str(e))


def _error_text(err: UserError) -> str:
    text = err.message
    if err.suggestions:
        text += "\n" + "\n".join(f"  · {s}" for s in err.suggestions)
    return text


def _answer_one(
    backend: Any,
    cfg: AppConfig,
    question: str,
    today: date | None,
    *,
    as_json: bool,
    chart: Path | None,
) -> tuple[str, bool]:
    """(what to print, answered). Never raises for user input."""
    from bot.text import answer_text
    from metrics.jsonout import answer_to_json, error_to_json

    question = question[:MAX_QUESTION]
    try:
        reply = backend.ask(question, today=today, with_chart=chart is not None)
    except Exception:  # noqa: BLE001 - a bug must not show a traceback to the user
        path = log_internal_error(cfg, f"ask {question!r}")
        message = INTERNAL.format(
            where=f"the details are in {path}" if path else "the details could not be written"
        )
        if as_json:
            return json.dumps(
                {
                    "question": question,
                    "error": {"kind": "internal", "message": message, "suggestions": []},
                },
                ensure_ascii=False,
            ), False
        return message, False
    if reply.error is not None:
        if as_json:
            return json.dumps(error_to_json(question, reply.error), ensure_ascii=False), False
        return _error_text(reply.error), False
    if reply.dashboard is not None:
        out = chart or Path(f"{reply.dashboard.replace(' ', '-')}-dashboard.png")
        out.write_bytes(reply.chart_png or b"")
        if as_json:
            return json.dumps(
                {"question": question, "dashboard": reply.dashboard, "image": str(out)},
                ensure_ascii=False,
            ), True
        return f"{reply.dashboard} dashboard written to {out}", True
    answer = reply.answer
    notes: list[str] = []
    if chart is not None:
        if reply.chart_png:
            chart.write_bytes(reply.chart_png)
            notes.append(f"chart written to {chart}")
        else:
            notes.append("no chart: there is nothing to draw")
    if as_json:
        obj = answer_to_json(answer)
        obj["notes"] = [*reply.corrections, *obj["notes"]]
        return json.dumps(obj, ensure_ascii=False), True
    text = answer_text(
        answer, currency=cfg.currency, fiscal_start_month=cfg.fiscal_year_start_month, tz=cfg.tz
    )
    lines = [f"note: {c}" for c in reply.corrections]
    return "\n".join([*lines, text, *notes]), True


def ask(
    question: Annotated[
        str, typer.Argument(help='The question, or "-" to read one per line from stdin.')
    ],
    config: ConfigOpt = None,
    db: DbOpt = None,
    today: TodayOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per answer.")] = False,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Write the answer's chart (PNG) here.")
    ] = None,
) -> None:
    """Answer a KPI question, e.g. `kpibot ask "connect rate by weekday last 31 days"`.

    Exit codes: 0 answered, 1 the question could not be answered (the reason is printed),
    2 usage or configuration problem. With "-", exit 0 once every line got its answer.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    pinned = parse_today(today)
    cfg = load_config(config, db)
    backend = _backend(cfg)
    if question != "-":
        text, ok = _answer_one(backend, cfg, question, pinned, as_json=as_json, chart=chart)
        if ok or as_json:
            typer.echo(text)
        else:
            sys.stderr.write(text + "\n")
        raise typer.Exit(0 if ok else 1)
    # One process, one question per line; every line (blank ones too) gets exactly one answer.
    raw = sys.stdin.buffer.read().decode("utf-8", errors="replace")
    lines = raw.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for line in lines:
        text, _ok = _answer_one(
            backend, cfg, line.rstrip("\r"), pinned, as_json=as_json, chart=None
        )
        typer.echo(text if as_json else text + "\n")
    raise typer.Exit(0)


def dashboard(
    name: Annotated[
        str,
        typer.Argument(
            help='kpi | "outbound calls" | "inbound leads", optionally with a window and filters.'
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the PNG.")],
    config: ConfigOpt = None,
    db: DbOpt = None,
    today: TodayOpt = None,
) -> None:
    """Render a whole dashboard as one image: `kpibot dashboard "outbound calls" --out o.png`."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    pinned = parse_today(today)
    cfg = load_config(config, db)
    backend = _backend(cfg)
    question = name if "dashboard" in name.lower() or "大屏" in name else f"{name} dashboard"
    reply = backend.ask(question, today=pinned)
    if reply.error is not None:
        fail(_error_text(reply.error), code=1)
    if reply.dashboard is None or not reply.chart_png:
        fail(
            f'"{name}" is not a dashboard; choose kpi, "outbound calls" or "inbound leads".', code=1
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(reply.chart_png)
    typer.echo(f"{reply.dashboard} dashboard written to {out}")


def kpis(config: ConfigOpt = None) -> None:
    """List every KPI and dimension you can ask about, with their other names."""
    from bot.text import render_table
    from metrics.catalog import load_catalog

    cfg = load_config(config, None)
    try:
        cat = load_catalog(cfg.catalog_path)
    except ConfigError as e:
        fail(str(e))
    rows = [[m.name, m.format, ", ".join((*m.synonyms[:4], *m.zh[:3]))] for m in cat.metrics]
    typer.echo(render_table(["KPI", "shown as", "also"], rows))
    typer.echo("")
    dims = [[d.name, d.kind, ", ".join((*d.synonyms[:4], *d.zh[:3]))] for d in cat.dimensions]
    typer.echo(render_table(["dimension", "kind", "also"], dims))
