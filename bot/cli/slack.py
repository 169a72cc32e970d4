"""kpibot subcommands: serve (the Slack bot) and manifest (the Slack app manifest)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.common import (
    ConfigOpt,
    DbOpt,
    TodayOpt,
    fail,
    load_config,
    parse_today,
    run_child,
    setup_logging,
)
from bot.cli.sources import start_import_loops
from bot.config import AppConfig
from metrics.errors import ConfigError

if TYPE_CHECKING:
    from bot.slack.app import SlackBot, SlackEnv

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("manifest")(manifest)


def serve(
    config: ConfigOpt = None,
    db: DbOpt = None,
    today: TodayOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on (HTTP mode).")] = "0.0.0.0",
    port: Annotated[
        int, typer.Option(help="Port to listen on (HTTP mode).", min=1, max=65535)
    ] = 3000,
    workers: Annotated[int, typer.Option(help="gunicorn worker processes.", min=1)] = 1,
    threads: Annotated[int, typer.Option(help="Request threads per worker.", min=1)] = 8,
    question_threads: Annotated[
        int,
        typer.Option(
            help="Questions answered at once per worker (the rest wait their turn).", min=1
        ),
    ] = 8,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP at /slack/events.

    Environment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET (HTTP mode), SLACK_APP_TOKEN (Socket
    Mode), SLACK_API_URL (Web API base, default https://slack.com/api/), KPIBOT_BACKEND (tests).
    """
    from bot.backend import BACKEND_ENV
    from bot.slack.app import SlackEnv

    setup_logging(verbose)
    pinned = parse_today(today)
    cfg = load_config(config, db)
    try:
        env = SlackEnv.from_environ()
        backend_path = os.environ.get(BACKEND_ENV)
        _check_before_serving(cfg, config, backend_path)
    except ConfigError as e:
        fail(str(e))
    _connect_to_slack(env)

    def make_bot() -> SlackBot:
        return _make_bot(env, load_config(config, db), backend_path, cfg, pinned, question_threads)

    sync_loop = _start_sync_loop(cfg, config)
    import_loops = start_import_loops(cfg, config)
    try:
        _serve(
            env, make_bot, host=host, port=port, workers=workers, threads=threads, verbose=verbose
        )
    finally:
        if sync_loop is not None:
            sync_loop.stop()
        for loop in import_loops:
            loop.stop()


def _check_before_serving(cfg: AppConfig, config: str | None, backend_path: str | None) -> None:
    """Fail here, with words, rather than in a worker."""
    from bot.backend import load_backend
    from bot.boards.service import open_boards
    from bot.digests.questions import check_questions
    from bot.identity import check_row_access

    check_row_access(cfg, load_backend(backend_path, cfg))
    check_questions(cfg, config or "app.yaml")  # never a warning in a channel at send time
    # Reach the state database and migrate it once here, before the workers start.
    # An old per-replica board file (before boards were in the state store): imported once.
    open_boards(cfg).close()


def _connect_to_slack(env: SlackEnv) -> None:
    """Who the bot token is (auth.test): a refused token or an unreachable Slack stops here."""
    from slack_sdk.errors import SlackApiError, SlackClientError

    from bot.slack.app import web_client

    try:
        who = web_client(env, timeout=10).auth_test()
    except SlackApiError as e:
        fail(
            f"Slack refused SLACK_BOT_TOKEN ({e.response.get('error')}); "
            "check the token (docs/slack.md)."
        )
    except (SlackClientError, OSError) as e:
        fail(f"cannot reach Slack at {env.api_url} ({e}).")
    log.info("connected to %s as %s", who.get("team"), who.get("user"))


def _make_bot(
    env: SlackEnv,
    fresh: AppConfig,
    backend_path: str | None,
    cfg: AppConfig,
    pinned: date | None,
    question_threads: int,
) -> SlackBot:
    """One bot (in each worker): its backend warmed, on a freshly read ``app.yaml``."""
    from bot.backend import load_backend
    from bot.slack.app import SlackBot

    backend = load_backend(backend_path, cfg)
    warm = getattr(backend, "warm", None)  # the real engine: fonts, values, parser
    if warm is not None:
        try:
            warm()
        except ConfigError as e:  # e.g. Spark lacks the S3A connector spark.data needs
            fail(str(e))
    return SlackBot(env, fresh, backend, today=pinned, work_threads=question_threads)


def _serve(
    env: SlackEnv,
    make_bot: Callable[[], SlackBot],
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    verbose: bool,
) -> None:
    """Serve until stopped: over Socket Mode with one bot, or gunicorn workers over HTTP."""
    if env.socket_mode:
        from bot.slack.server import serve_socket_mode

        log.info("Socket Mode (SLACK_APP_TOKEN is set)")
        serve_socket_mode(make_bot())
        return
    from bot.slack.server import serve_http

    log.info("HTTP mode: Slack request URL is http://<this host>:%s/slack/events", port)
    serve_http(
        make_bot,
        host=host,
        port=port,
        workers=workers,
        threads=threads,
        log_level="debug" if verbose else "info",
    )


SF_CREDENTIALS = ("SF_USERNAME", "SF_INSTANCE_URL", "SF_CLIENT_ID")


def _start_sync_loop(cfg: AppConfig, config_path: str | None) -> Any:
    """Sync every ``salesforce.sync_every`` while serving, when SF_* credentials are set.

    Each sync runs as a `kpibot sync` child process: the serving process (gunicorn's master,
    which forks workers) then never holds DuckDB or HTTP state of its own, and a sync's memory
    goes back to the system when it ends. Answers switch to the new snapshot by themselves.
    Replicas sharing one state database run each period's sync once (bot/scheduled_runs.py).
    """
    import sys

    from bot.scheduled_runs import claimed_loop
    from salesforce.errors import SyncError
    from salesforce.settings import parse_duration

    if not cfg.salesforce.sync_every:
        log.info("scheduled Salesforce sync is off (salesforce.sync_every)")
        return None
    if not any(os.environ.get(v) for v in SF_CREDENTIALS):
        log.info("scheduled Salesforce sync is off: no SF_* credentials (docs/sync.md)")
        return None
    cmd = [sys.executable, "-m", "bot", "sync", "--db", str(cfg.db_path)]
    if config_path:
        cmd += ["--config", config_path]

    def run_once() -> None:
        done = run_child(cmd)
        for line in done.stdout.splitlines():
            log.info("sync: %s", line)
        if done.returncode != 0:
            # The child has said why in words (expired session, API limit…): a warning with its
            # words, not a "crashed" traceback of this process pointing at this line.
            why = " ".join(done.stderr.split()) or f"exit status {done.returncode}"
            raise SyncError(f"kpibot sync exited with {done.returncode}: {why}")
        for line in done.stderr.splitlines():
            log.info("sync: %s", line)

    loop = claimed_loop("sync:salesforce", parse_duration(cfg.salesforce.sync_every), run_once, cfg)
    loop.start()
    log.info("Salesforce sync every %s", cfg.salesforce.sync_every)
    return loop


def manifest(
    config: ConfigOpt = None,
    url: Annotated[
        str | None, typer.Option(help="The bot's public base URL, e.g. https://kpibot.example.com.")
    ] = None,
    socket_mode: Annotated[
        bool, typer.Option("--socket-mode", help="For Socket Mode (no URL).")
    ] = False,
    name: Annotated[str, typer.Option(help="The app's name in Slack.")] = "kpibot",
) -> None:
    """Print the Slack app manifest (YAML) to paste at api.slack.com/apps → Create New App."""
    from bot.slack.manifest import build_manifest, manifest_yaml

    if url is not None and not url.startswith(("https://", "http://")):
        fail(f'--url: "{url}" must start with https://')
    cfg = load_config(config, None)
    typer.echo(
        manifest_yaml(build_manifest(cfg.access, url=url, socket_mode=socket_mode, name=name)),
        nl=False,
    )
