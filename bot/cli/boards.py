"""kpibot subcommands for dashboards: list them, draw one, export one to YAML, import a file.

``kpibot dashboards`` · ``kpibot dashboard "Team East" --out f.png`` (built-in boards too, with a
window and filters: ``kpibot dashboard "outbound calls last quarter" --out o.png``) ·
``kpibot dashboard export "Team East" > team-east.yaml`` · ``kpibot dashboard import FILE``.
The command line is the operator's: it sees every board, whoever owns it; an import is written
to the audit log like a change made in Slack.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from bot.boards.service import Boards, builtin_names, closest, open_boards
from bot.boards.store import StoredBoard
from bot.cli.ask import LangOpt, backend_for, error_text
from bot.cli.common import ConfigOpt, DbOpt, TodayOpt, fail, load_config, parse_today
from bot.config import AppConfig
from charts.choose import chart_name
from i18n import Language, Msg, choose, plural, say, t
from metrics.errors import UserError

CLI_USER = "cli"  # the audit log's user for changes made on the command line


def register(app: typer.Typer) -> None:
    app.command("dashboards")(dashboards)
    app.command("dashboard")(dashboard)
    app.command("board", hidden=True)(dashboard)  # `kpibot board show NAME`: the same command


def _boards(config: str | None) -> tuple[Boards, AppConfig]:
    cfg = load_config(config, None)
    return open_boards(cfg), cfg


def _language(lang: Language | None, cfg: AppConfig) -> Language:
    """The commands' language: --lang, else app.yaml's fixed one, English for auto (the
    command line has no locale, and a board's name says nothing of its reader's language)."""
    return lang or choose("", setting=cfg.language)


def _where(b: StoredBoard, owner: bool = False) -> Msg:
    if b.scope == "channel":
        return Msg.of("cli.boards.channel", channel=b.channel)
    if owner:
        return Msg.of("cli.boards.personal_of", owner=b.owner)
    return Msg("boards.scope.personal")


def dashboards(config: ConfigOpt = None, lang: LangOpt = None) -> None:
    """List every dashboard: the built-in ones, then every user's and channel's."""
    boards, cfg = _boards(config)
    lang = _language(lang, cfg)
    for name in builtin_names():
        typer.echo(t(lang, "cli.boards.built_in", name=name))
    for b in boards.store.boards():
        panels = plural("boards.panels", len(b.panels))
        where = _where(b, owner=True)
        said = t(lang, "cli.boards.line", name=b.name, panels=panels, where=where, owner=b.owner)
        typer.echo(said)


def dashboard(
    words: Annotated[
        list[str],
        typer.Argument(
            help='NAME [window and filters] (with --out), "export NAME" or "import FILE".'
        ),
    ],
    out: Annotated[Path | None, typer.Option("--out", help="Where to write the PNG.")] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="import: the owner when the file has none.")
    ] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
    today: TodayOpt = None,
    lang: LangOpt = None,
) -> None:
    """Draw a dashboard as one image (``show NAME`` without --out: its panels as text), or
    export / import one (the dashboards.yaml format)."""
    asked = lang  # a drawn board's language: --lang, else its question's and app.yaml's
    lang = _language(lang, load_config(config, None))
    if words[0] == "show" and len(words) >= 2:
        words = words[1:]
        if out is None:
            _list_panels(words[0], config, lang)
            return
    if words[0] == "export" and len(words) == 2:
        _export(words[1], config, lang)
    elif words[0] == "import" and len(words) == 2:
        _import(Path(words[1]), config, owner, lang)
    elif out is None:
        fail(t(lang, "cli.boards.need_out"))
    else:
        _draw(words, out, config, db, today, lang, asked)


def _known(boards: Boards, name: str, lang: Language) -> StoredBoard | str:
    """The user board or the built-in board's key ``name`` names; else exit with a
    did-you-mean over every board's name (the command line sees every board)."""
    hit = boards.lookup(f"{name} dashboard", None)
    if hit is not None:
        return hit[0]
    if _named(name) != f"{name} dashboard" or name.strip().lower() in builtin_names():
        return name.strip().lower()
    names = [b.name for b in boards.store.boards()] + list(builtin_names())
    close = closest(name, names)
    hint = t(lang, "boards.did_you_mean", name=close[0]) if close else ""
    fail(t(lang, "boards.unknown", name=name, hint=hint), code=1)


def _list_panels(name: str, config: str | None, lang: Language) -> None:
    """``kpibot dashboard show NAME``: the board's panels, one line each."""
    boards, _ = _boards(config)
    found = _known(boards, name, lang)
    if isinstance(found, str):
        typer.echo(t(lang, "cli.boards.built_in_file", name=found))
        return
    typer.echo(t(lang, "cli.boards.head", name=found.name, where=_where(found), owner=found.owner))
    for p in found.panels:
        chart = say(lang, chart_name(p.chart)) if p.chart != "auto" else ""
        extra = "".join(f"\t{x}" for x in (chart, p.title) if x)
        typer.echo(f"{p.position}\t{p.question}{extra}")


def _export(name: str, config: str | None, lang: Language) -> None:
    boards, _ = _boards(config)
    hit = boards.lookup(f"{name} dashboard", None)
    if hit is not None:
        from bot.boards.service import export_yaml

        typer.echo(export_yaml(hit[0]), nl=False)
        return
    if name.strip().lower() in builtin_names():
        from bot.boards.service import Viewer

        typer.echo(boards.export(name, Viewer(CLI_USER, "")), nl=False)
        return
    fail(t(lang, "boards.unknown", name=name, hint=""), code=1)


def _import(path: Path, config: str | None, owner: str | None, lang: Language) -> None:
    from bot.audit import AuditLog
    from bot.boards.service import Viewer

    boards, cfg = _boards(config)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        fail(t(lang, "cli.boards.cannot_read", path=path, error=e.strerror), code=1)
    try:
        done = boards.import_yaml(text, Viewer(owner or CLI_USER, ""))
    except UserError as e:
        fail(e.text(lang), code=1)
    audit = AuditLog(boards.store.db)
    for d in done:
        entry = audit.start(
            user=owner or CLI_USER, channel="", source="command", question=f"import {path.name}"
        )
        audit.finish(entry, outcome="answered", detail=d.detail)
        typer.echo(say(lang, d.text))


def _named(name: str) -> str:
    """``inbound leads last 90 days`` → ``inbound leads dashboard last 90 days`` (a built-in
    board's name, then window and filters); any other name is a user board's: ``NAME dashboard``."""
    from grammar.intents import dashboard_question
    from grammar.normalize import normalize

    head = dashboard_question(name)
    return f"{name} dashboard" if head == f"{normalize(name)} dashboard" else head


def _draw(
    words: list[str],
    out: Path,
    config: str | None,
    db: str | None,
    today: str | None,
    lang: Language,
    asked: Language | None,
) -> None:
    """``"Team East" last quarter``: the first word is the name, the rest window and filters."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    pinned = parse_today(today)
    name = words[0]
    has_word = "dashboard" in name.lower() or "大屏" in name
    if not has_word:
        boards, _ = _boards(config)
        _known(boards, name, lang)  # an unknown name: did you mean …, before any query runs
        boards.close()
    cfg = load_config(config, db)
    backend = backend_for(cfg)
    question = " ".join([name if has_word else _named(name), *words[1:]])
    reply = backend.ask(question, today=pinned, language=asked)
    lang = reply.language  # KPI大屏 上季度 is drawn and said in Chinese
    if reply.error is not None:
        fail(error_text(reply.error, lang), code=1)
    if reply.dashboard is None or not reply.chart_png:
        fail(t(lang, "cli.boards.not_a_board", name=name), code=1)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(reply.chart_png)
    typer.echo(t(lang, "cli.dashboard_written", name=reply.dashboard_name, path=out))
