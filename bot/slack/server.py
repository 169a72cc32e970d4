"""Running the bot: HTTP behind gunicorn, or Socket Mode.

HTTP mode serves events, slash commands and interactivity at one path, ``/slack/events``,
with gunicorn's threaded worker (``gthread``): a production server, unlike bolt's built-in
development server. The bolt app is built inside each worker after the fork, so no thread,
socket or SQLite connection crosses a fork.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.app.base import BaseApplication
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.slack.app import EVENTS_PATH, SlackBot

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _Health:
    """``GET /healthz`` answers 200 (for load balancers); everything else goes to bolt."""

    def __init__(self, inner: WSGIApp):
        self.inner = inner

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        return self.inner(environ, start_response)


class KpibotServer(BaseApplication):  # type: ignore[misc]
    """gunicorn, configured from code rather than from its own command line."""

    def __init__(self, make_bot: Callable[[], SlackBot], options: dict[str, Any]):
        self.make_bot = make_bot
        self.options = options
        self.bot: SlackBot | None = None
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

        def worker_exit(server: Any, worker: Any) -> None:
            # Let questions already acknowledged finish before the worker goes.
            if self.bot is not None:
                self.bot.close()

        self.cfg.set("worker_exit", worker_exit)

    def load(self) -> WSGIApp:
        self.bot = self.make_bot()
        return _Health(SlackRequestHandler(self.bot.app, path=EVENTS_PATH))


def serve_http(
    make_bot: Callable[[], SlackBot],
    *,
    host: str,
    port: int,
    workers: int = 1,
    threads: int = 8,
    log_level: str = "info",
) -> None:
    """Block serving ``http://host:port/slack/events`` until SIGTERM/SIGINT."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 60,
        "graceful_timeout": 30,
        "keepalive": 5,
        "loglevel": log_level,
        "accesslog": None,
        "errorlog": "-",
        "proc_name": "kpibot",
        # gunicorn ≥ 25 opens a runtime control socket in the home folder; kpibot needs none,
        # and two bots on one host would fight over it.
        "control_socket_disable": True,
    }
    KpibotServer(make_bot, options).run()


def serve_socket_mode(bot: SlackBot) -> None:
    """Block on a Socket Mode connection (no public URL needed); reconnects by itself."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    assert bot.env.app_token
    try:
        SocketModeHandler(bot.app, bot.env.app_token).start()
    finally:
        bot.close()
