"""Running the bot: HTTP behind gunicorn, or Socket Mode over a WebSocket.

HTTP mode serves events, slash commands and interactivity at one path, ``/slack/events``,
with gunicorn's threaded worker (``gthread``): a production server, unlike bolt's built-in
development server. gunicorn has no limit on a body's size, so the Intake (bot/slack/intake.py)
caps and verifies each body before bolt's WSGI adapter reads it. The bolt app is built inside
each worker after the fork, so no thread, socket or SQLite connection crosses a fork.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.app.base import BaseApplication
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.slack.app import EVENTS_PATH, SlackBot
from bot.slack.intake import Intake

log = logging.getLogger(__name__)
# During and just after a reconnect, the replaced connection's close is not a reason to
# reconnect again (it comes within milliseconds); a real drop in this window is still caught by
# the client's own check every 10 s.
REPLACED_GRACE_SECONDS = 1.0

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
        bolt = SlackRequestHandler(self.bot.app, path=EVENTS_PATH)
        return _Health(
            Intake(
                bolt,
                path=EVENTS_PATH,
                signing_secret=self.bot.env.signing_secret or "",
                max_bytes=self.bot.config.max_request_bytes,
            )
        )


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
    """Block on a Socket Mode connection (no public URL needed); reconnects by itself.

    The connection URL comes from ``apps.connections.open`` through the bot's own Web API
    client, so SLACK_API_URL points Socket Mode elsewhere too. slack_sdk's websocket-client
    based client is used rather than its built-in one: the built-in client notices a connection
    cut without a close frame only by failed pings (up to 50 s deaf), this one at the next read
    (tests/test_slack_socket_mode.py drops connections mid-answer).

    On SIGTERM/SIGINT it stops taking envelopes (closing the connection: Slack sends new ones
    to the bot's other connections, or retries events later) and lets the answers already
    acknowledged finish before returning.
    """
    assert bot.env.app_token
    handler = _handler(bot.app, bot.env.app_token)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        handler.connect()
        log.info("Socket Mode connected; SIGTERM stops it after the answers in flight")
        stop.wait()
        log.info("stopping: no new questions; finishing the ones in flight")
    finally:
        handler.close()
        log.info("Socket Mode connection closed")
        bot.close()
        log.info("stopped")


def _handler(app: App, app_token: str) -> Any:
    """bolt's websocket-client SocketModeHandler, on a client that reconnects once per refresh."""
    from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler
    from slack_sdk.socket_mode.websocket_client import SocketModeClient

    class OneReconnectPerRefresh(SocketModeClient):  # type: ignore[misc]
        """On Slack's ``disconnect`` the client opens a new connection and closes the old one;
        the old one's close then asked for yet another connection (the new one had not started
        reading yet), and so did the client's check when it ran during a connect. The extra
        connections raced each other and could leave the bot without any for up to 10 s. A
        close or check during or right after a connect is that churn: nothing to do."""

        replaced_at = 0.0

        def connect(self) -> None:
            self.replaced_at = time.monotonic()
            super().connect()
            self.replaced_at = time.monotonic()

        def connect_to_new_endpoint(self, force: bool = False) -> None:
            if not force and time.monotonic() - self.replaced_at < REPLACED_GRACE_SECONDS:
                return
            super().connect_to_new_endpoint(force)

    class Handler(SocketModeHandler):  # type: ignore[misc]
        def __init__(self) -> None:  # the parent's, on our client
            self.app, self.app_token = app, app_token
            self.client = OneReconnectPerRefresh(
                app_token=app_token, logger=app.logger, web_client=app.client
            )
            self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]

    return Handler()
