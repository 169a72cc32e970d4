"""kpibot subcommands: ask (a question, or one per line from stdin) and kpis."""

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
from i18n import Language, choose, t
from metrics.errors import ConfigError, UserError

NO_CACHE = (
    "There is no KPI cache at {path} yet. Build one with `kpibot demo` (the demo org), "
    "`kpibot load EXPORT` (a Salesforce Data Export) or `kpibot sync` (your org)."
)
INTERNAL = "Sorry, something went wrong on our side answering that question; {where}."
AsOpt = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="As this Salesforce user (e-mail): only the records and names access.rows lets "
        "them see.",
    ),
]
MAX_QUESTION = 2000  # characters; longer input is refused by the grammar in words anyway


def register(app: typer.Typer) -> None:
    app.command("ask")(ask)
    app.command("chat")(chat)
    app.command("complete")(complete)
    app.command("kpis")(kpis)


def backend_for(cfg: AppConfig, *, questions: bool = True) -> Any:
    """The real engine; ``questions``: it will run questions, so its engine starts now (with
    ``engine: spark`` the Spark session, whose problems are said here as configuration)."""
    from bot.backend import RealBackend
    from cache.snapshot import current_target

    if current_target(cfg.db_path) is None:
        fail(NO_CACHE.format(path=cfg.db_path))
    try:
        backend = RealBackend(cfg)
        if questions:
            backend.start_engine()
        return backend
    except ConfigError as e:  # the catalog's SQL does not run: every problem listed
        fail(str(e))


def error_text(err: UserError, lang: Language = Language.EN) -> str:
    text = err.text(lang)
    suggestions = err.suggestions_in(lang)
    if suggestions:
        text += "\n" + "\n".join(f"  · {s}" for s in suggestions)
    return text


def _answer_one(
    backend: Any,
    cfg: AppConfig,
    question: str,
    today: date | None,
    *,
    as_json: bool,
    chart: Path | None,
    scope: Any = None,
) -> tuple[str, bool]:
    """(what to print, answered). Never raises for user input."""
    from metrics.jsonout import error_to_json

    question = question[:MAX_QUESTION]
    try:
        # Without --as the backend's default scope (every record): plug-in backends need not
        # know about row-level access.
        extra = {} if scope is None else {"scope": scope}
        reply = backend.ask(question, today=today, with_chart=chart is not None, **extra)
    except Exception:  # noqa: BLE001 - a bug must not show a traceback to the user
        return _internal_error(cfg, question, as_json), False
    lang = reply.language
    if reply.error is not None:
        if as_json:
            obj = error_to_json(question, reply.error, lang)
            return json.dumps(obj, ensure_ascii=False), False
        return error_text(reply.error, lang), False
    if reply.text is not None:  # help, or what a KPI means
        if as_json:
            said = {"question": question, "text": reply.text, "language": lang.value}
            return json.dumps(said, ensure_ascii=False), True
        return reply.text, True
    if reply.dashboard is not None:
        return _dashboard_written(reply, question, chart, as_json), True
    return _answer_printed(reply, cfg, chart, as_json), True


def _internal_error(cfg: AppConfig, question: str, as_json: bool) -> str:
    """A short apology naming where the trace was logged."""
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
        )
    return message


def _dashboard_written(reply: Any, question: str, chart: Path | None, as_json: bool) -> str:
    """A dashboard's image saved at ``chart`` (else NAME-dashboard.png), and where it is."""
    out = chart or Path(f"{reply.dashboard.replace(' ', '-')}-dashboard.png")
    out.write_bytes(reply.chart_png or b"")
    if as_json:
        return json.dumps(
            {"question": question, "dashboard": reply.dashboard, "image": str(out)},
            ensure_ascii=False,
        )
    return t(reply.language, "cli.dashboard_written", name=reply.dashboard_name, path=out)


def _answer_printed(reply: Any, cfg: AppConfig, chart: Path | None, as_json: bool) -> str:
    """An answer as text (or JSON), its chart saved at ``chart`` when asked for."""
    from bot.text import answer_text
    from metrics.jsonout import answer_to_json

    lang = reply.language
    answer = reply.answer
    notes: list[str] = []
    if chart is not None:
        if reply.chart_png:
            chart.write_bytes(reply.chart_png)
            notes.append(t(lang, "cli.chart_written", path=chart))
        else:
            notes.append(t(lang, "cli.no_chart"))
    if as_json:
        obj = answer_to_json(answer)
        obj["notes"] = [*reply.corrections, *obj["notes"]]
        return json.dumps(obj, ensure_ascii=False)
    text = answer_text(
        answer, currency=cfg.currency, fiscal_start_month=cfg.fiscal_year_start_month, tz=cfg.tz
    )
    lines = [t(lang, "text.note", note=c) for c in reply.corrections]
    return "\n".join([*lines, text, *notes])


def _scope_as(backend: Any, cfg: AppConfig, email: str | None) -> Any:
    """The scope of ``--as EMAIL`` (None without it); an unknown user is refused, exit 1."""
    from bot.rows import scope_for_email

    if email is None:
        return None
    try:
        return scope_for_email(cfg, backend.reader.cursor(), email)
    except UserError as e:
        sys.stderr.write(e.message + "\n")
        raise typer.Exit(1) from None


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
    after: Annotated[
        str | None,
        typer.Option(
            "--after",
            help='The question before: QUESTION may be a follow-up ("by lead source", "同比").',
        ),
    ] = None,
    as_user: AsOpt = None,
) -> None:
    """Answer a KPI question, e.g. `kpibot ask "connect rate by weekday last 31 days"`.

    Exit codes: 0 answered, 1 the question could not be answered (the reason is printed),
    2 usage or configuration problem. With "-", exit 0 once every line got its answer.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    pinned = parse_today(today)
    cfg = load_config(config, db)
    backend = backend_for(cfg)
    scope = _scope_as(backend, cfg, as_user)
    if after is not None and question != "-":
        try:
            question = _follow_up(backend, after, question, scope)
        except UserError as e:
            sys.stderr.write(error_text(e) + "\n")
            raise typer.Exit(1) from None
    if question != "-":
        text, ok = _answer_one(
            backend, cfg, question, pinned, as_json=as_json, chart=chart, scope=scope
        )
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
            backend, cfg, line.rstrip("\r"), pinned, as_json=as_json, chart=None, scope=scope
        )
        typer.echo(text if as_json else text + "\n")
        _settle(backend)
    raise typer.Exit(0)


def _settle(backend: Any) -> None:
    """After an answer in a process that answers many: the snapshot's long-lived heap frozen
    out of the garbage collector's full passes (bot/heap.py; once per snapshot)."""
    settle = getattr(backend, "settle", None)  # the real engine
    if settle is not None:
        settle()


def _follow_up(backend: Any, previous: str, fragment: str, scope: Any = None) -> str:
    """The question a fragment asks after ``previous`` (grammar/followup.py), read with the
    names ``scope`` may see (None: the backend's default)."""
    extra = {} if scope is None else {"scope": scope}
    return str(backend.follow_up(previous[:MAX_QUESTION], fragment[:MAX_QUESTION], **extra))


def chat(
    config: ConfigOpt = None,
    db: DbOpt = None,
    today: TodayOpt = None,
    history: Annotated[
        Path | None, typer.Option("--history", help="Keep the question history in this file.")
    ] = None,
) -> None:
    """Ask questions one after another; a follow-up ("by lead source", "and last quarter?",
    "上个月呢") is read against the question before. Up/down arrows recall questions; "quit"
    or Ctrl-D ends."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    pinned = parse_today(today)
    cfg = load_config(config, db)
    backend = backend_for(cfg)
    readline = _readline(history)
    prompt = "kpi> " if sys.stdin.isatty() else ""
    previous: str | None = None
    while True:
        try:
            line = input(prompt).strip()
        except EOFError:
            break
        if line.lower() in ("quit", "exit", "退出"):
            break
        if not line:
            continue
        try:
            question = _follow_up(backend, previous, line) if previous else line
        except UserError as e:
            typer.echo(error_text(e) + "\n")
            continue
        text, ok = _answer_one(backend, cfg, question, pinned, as_json=False, chart=None)
        typer.echo(text + "\n")
        _settle(backend)
        if ok and backend.parser().intent(question) is None:
            previous = question
    if readline is not None and history is not None:
        readline.write_history_file(str(history))


def complete(
    partial: Annotated[str, typer.Argument(help='The question typed so far, e.g. "conn".')],
    config: ConfigOpt = None,
    db: DbOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=20)] = 20,
    history: Annotated[
        Path | None,
        typer.Option("--history", help="Your past questions, one a line: offered first."),
    ] = None,
    as_user: AsOpt = None,
) -> None:
    """Complete a partial question from the grammar and the data, one completion a line."""
    cfg = load_config(config, db)
    backend = backend_for(cfg, questions=False)
    scope = _scope_as(backend, cfg, as_user)
    past: list[str] = []
    if history is not None and history.exists():
        past = history.read_text(encoding="utf-8", errors="replace").splitlines()
    found = backend.complete(
        partial[:MAX_QUESTION], limit, past, **({} if scope is None else {"scope": scope})
    )
    if as_json:
        typer.echo(json.dumps({"partial": partial, "completions": found}, ensure_ascii=False))
    else:
        for line in found:
            typer.echo(line)


def _readline(history: Path | None) -> Any:
    """Line editing and history for `kpibot chat` where the platform has readline."""
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return None
    if history is not None and history.exists():
        readline.read_history_file(str(history))
    return readline


LangOpt = Annotated[
    Language | None,
    typer.Option(
        "--lang",
        help="List in this language (en, zh); default: app.yaml's `language`, English for auto.",
    ),
]


def kpis(config: ConfigOpt = None, lang: LangOpt = None) -> None:
    """List every KPI and dimension you can ask about, with their other names."""
    from bot.text import render_table
    from metrics.catalog_load import load_catalog

    cfg = load_config(config, None)
    # No question to read the language from: --lang, else a fixed app.yaml language.
    lang = lang or choose("", setting=cfg.language)
    try:
        cat = load_catalog(cfg.catalog_path)
    except ConfigError as e:
        fail(str(e))
    rows = [
        [m.said(lang), m.definition_in(lang), _also(m, lang, (*m.synonyms[:3], *m.zh[:2]))]
        for m in cat.metrics
    ]
    heads = ("kpis.kpi", "kpis.counts", "kpis.also")
    typer.echo(render_table([t(lang, h) for h in heads], rows))
    typer.echo("")
    dims = [
        [d.said(lang), d.kind, _also(d, lang, (*d.synonyms[:4], *d.zh[:3]))] for d in cat.dimensions
    ]
    heads = ("kpis.dimension", "kpis.kind", "kpis.also")
    typer.echo(render_table([t(lang, h) for h in heads], dims))
    _field_lists(cfg, cat, lang)


def _also(entry: Any, lang: Language, others: tuple[str, ...]) -> str:
    """An entry's other names: its canonical name first when the list shows another (中文)."""
    shown = entry.said(lang)
    return ", ".join(n for n in (entry.name, *others) if n != shown)


def _field_lists(cfg: AppConfig, cat: Any, lang: Language) -> None:
    """The cache's fields one can ask about too (docs/field-search.md), when there is a cache."""
    from bot.text import render_table
    from cache.describe import describe_cache
    from cache.snapshot import CacheMissing
    from metrics.fields import with_fields
    from metrics.spark import open_reader

    try:
        reader = open_reader(cfg.engine, cfg.db_path, cfg.spark, cfg.lake)
        full = with_fields(cat, describe_cache(reader.cursor()), cfg)
    except (CacheMissing, OSError):
        return  # no data yet: the catalog is all there is
    rows = [
        [m.object or "", m.said(lang), _also(m, lang, (*m.synonyms[:3], *m.zh[:2]))]
        for m in full.metrics
        if m.object is not None
    ]
    typer.echo("")
    heads = ("kpis.object", "kpis.field_measure", "kpis.also")
    typer.echo(render_table([t(lang, h) for h in heads], rows))
    known = {d.name for d in cat.dimensions}
    extra = [
        [d.said(lang), _also(d, lang, (*d.synonyms[:3], *d.zh[:2]))]
        for d in full.dimensions
        if d.name not in known
    ]
    typer.echo("")
    typer.echo(render_table([t(lang, "kpis.field_dimension"), t(lang, "kpis.also")], extra))
