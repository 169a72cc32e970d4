"""kpibot subcommands: digest list / digest run (docs/digests.md)."""

from __future__ import annotations

import json
import os
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.access import Access
from bot.cli.common import (
    ConfigOpt,
    DbOpt,
    fail,
    load_config,
    open_state,
    parse_today,
    setup_logging,
)
from bot.config import AppConfig
from bot.digests.questions import check_questions
from bot.digests.scheduler import Dispatcher, Job, Skip, jobs_of
from bot.digests.sends import Message, SlackPoster, digest_client
from bot.digests.state import StateStore, send_key
from metrics.errors import ConfigError

digest_app = typer.Typer(
    help="Scheduled digests and alerts.", no_args_is_help=True, rich_markup_mode="markdown"
)


def find_job(config: AppConfig, store: StateStore, name: str) -> Job:
    jobs = jobs_of(config, store)
    for job in jobs:
        if name in (job.name, job.id):
            return job
    known = ", ".join(j.name for j in jobs) or "none configured (see docs/digests.md)"
    fail(f'digest: no digest or alert is called "{name}"; known: {known}')


def make_backend(config: AppConfig) -> Any:
    from bot.backend import load_backend  # the question engine; heavy, so only when needed

    try:
        return load_backend(os.environ.get("KPIBOT_BACKEND"), config)
    except ConfigError as e:  # e.g. the catalog's SQL does not run
        fail(str(e))


def make_scopes(config: AppConfig, backend: Any, store: StateStore, client: Any) -> Any:
    """Row-level access for a send (bot/rows.py): the channel's scope, a subscriber's through
    Slack (``client``; None in a dry run without SLACK_BOT_TOKEN: subscriptions are refused)."""
    from bot.identity import slack_scopes
    from bot.rows import Scopes

    if config.access.rows == "all":
        return None
    try:
        if client is None:
            return Scopes(config, backend.people, lambda user: None)
        return slack_scopes(config, backend, store.db, client)
    except (ConfigError, AttributeError) as e:
        fail(f"access.rows: {config.access.rows} needs the real engine ({e})")


def make_client() -> Any:
    token = os.environ.get("SLACK_BOT_TOKEN")
    if not token:
        fail("digest run: set SLACK_BOT_TOKEN (or use --dry-run --out DIR to write the messages)")
    return digest_client(token, os.environ.get("SLACK_API_URL") or "https://slack.com/api/")


def write_message(message: Message | Skip, channel: str, out: Path) -> list[Path]:
    """The messages as Block Kit JSON (and chart PNGs) in ``out``: what Slack would get."""
    out.mkdir(parents=True, exist_ok=True)
    if isinstance(message, Skip):
        p = out / "skipped.json"
        p.write_text(json.dumps({"skipped": message.outcome, "detail": message.detail}, indent=2))
        return [p]
    written = []
    for i, part in enumerate((message.headline, *message.thread)):
        stem = "headline" if i == 0 else f"thread-{i:02d}"
        payload: dict[str, Any] = {
            "channel": channel,
            "text": part.text,
            "blocks": list(part.blocks),
        }
        if i:
            payload["thread_ts"] = "<headline ts>"
        if part.image is not None:
            png = out / f"{stem}.png"
            png.write_bytes(part.image)
            payload["file"] = png.name
            written.append(png)
        p = out / f"{stem}.json"
        p.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(p)
    return written


def register(app: typer.Typer) -> None:
    app.add_typer(digest_app, name="digest")


@digest_app.command("list")
def list_cmd(config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Every digest, alert and Slack subscription, with its next run and last send."""
    cfg = load_config(config, db)
    try:
        check_questions(cfg, config or "app.yaml")
    except ConfigError as e:
        fail(str(e))
    with closing(StateStore(open_state(cfg))) as store:
        _list(cfg, store)


def _list(cfg: AppConfig, store: StateStore) -> None:
    now = datetime.now(UTC)
    jobs = jobs_of(cfg, store)
    if not jobs:
        typer.echo("No digests or alerts configured (see docs/digests.md).")
        return
    for job in jobs:
        nxt = job.schedule.next_after(now, job.tz).astimezone(job.tz)
        rows = store.history(job.id)
        last = f"{rows[-1].status} {rows[-1].scheduled_utc}" if rows else "never sent"
        typer.echo(
            f"{job.kind:6}  {job.name:24}  {job.channel:16}  {job.schedule.text:16}  "
            f"{job.tz.key:18}  next {nxt:%Y-%m-%d %H:%M}  last {last}"
        )


@digest_app.command("run")
def run_cmd(
    name: Annotated[str, typer.Argument(help="The digest or alert name.")],
    today: Annotated[
        str | None, typer.Option("--today", help="The scheduled day (YYYY-MM-DD).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Write the messages, send nothing.")
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for --dry-run output.")] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Send NAME now, under the same exactly-once key the schedule uses for that day."""
    setup_logging()
    cfg = load_config(config, db)
    if dry_run and out is None:
        fail("digest run: --dry-run needs --out DIR")
    with closing(StateStore(open_state(cfg))) as store:
        _run(cfg, store, name, today, dry_run, out)


def _run(
    cfg: AppConfig, store: StateStore, name: str, today: str | None, dry_run: bool, out: Path | None
) -> None:
    job = find_job(cfg, store, name)
    day: date = parse_today(today) or datetime.now(job.tz).date()
    fires = job.schedule.fires_on(day, job.tz)
    if not fires:
        fail(
            f'digest run: {job.name} does not run on {day:%a %Y-%m-%d} ("{job.schedule.text}"); '
            "pick a day it runs on with --today"
        )
    scheduled = fires[0]
    backend = make_backend(cfg)
    if dry_run:
        assert out is not None
        # Written for the operator at this terminal, not posted: no subscriber sees it.
        dispatcher = Dispatcher(
            cfg,
            backend,
            store,
            SlackPoster(None),  # type: ignore[arg-type]
            allowed=lambda user, channel: True,
            scopes=make_scopes(
                cfg, backend, store, make_client() if os.environ.get("SLACK_BOT_TOKEN") else None
            ),
        )
        for p in write_message(dispatcher.compose(job, day), job.channel, out):
            typer.echo(str(p))
        return
    client = make_client()
    allowed = Access(cfg.access, client).allowed  # a subscriber removed since gets nothing
    scopes = make_scopes(cfg, backend, store, client)
    dispatcher = Dispatcher(
        cfg, backend, store, SlackPoster(client), allowed=allowed, scopes=scopes
    )
    key = send_key(job.id, scheduled)
    status = dispatcher.run(job, scheduled, datetime.now(UTC), today=day)
    row = store.get(key)
    if status is None and row is not None:
        typer.echo(f"{key}: already {row.status} (ts {row.message_ts}); not sent again")
        return
    typer.echo(f"{key}: {status}" + (f" ({row.error})" if row and row.error else ""))
    if status in ("failed", "unknown"):
        raise typer.Exit(1)
