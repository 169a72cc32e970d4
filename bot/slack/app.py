"""The slack-bolt app: the ways in (mention, DM, /kpi, buttons, App Home) and their wiring.

Listeners only acknowledge and hand the question to a bounded worker pool, so a listener
thread is never held by a slow question and every acknowledgement leaves within Slack's 3 s,
even with many questions in flight. Everything the work does is in ``bot.slack.handlers``.
"""

from __future__ import annotations

import html
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.access import Access
from bot.audit import AuditLog, open_state_db
from bot.backend import Backend
from bot.config import AppConfig
from bot.slack import blocks as B
from bot.slack import messages as M
from bot.slack.dedupe import SeenEvents
from bot.slack.delivery import Delivery, Place
from bot.slack.handlers import Asker, subscribe_handler
from metrics.errors import ConfigError

log = logging.getLogger(__name__)

SLACK_API_DEFAULT = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"


@dataclass(frozen=True)
class SlackEnv:
    """The Slack credentials, from the environment (never from app.yaml: they are secrets)."""

    bot_token: str
    signing_secret: str | None
    app_token: str | None
    api_url: str

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @staticmethod
    def from_environ(environ: dict[str, str] | None = None) -> SlackEnv:
        env = dict(os.environ if environ is None else environ)
        app_token = env.get("SLACK_APP_TOKEN") or None
        needed = ["SLACK_BOT_TOKEN"] + ([] if app_token else ["SLACK_SIGNING_SECRET"])
        missing = [k for k in needed if not env.get(k)]
        if missing:
            where = {
                "SLACK_BOT_TOKEN": "OAuth & Permissions → Bot User OAuth Token (xoxb-…)",
                "SLACK_SIGNING_SECRET": "Basic Information → Signing Secret",
            }
            raise ConfigError(
                [f"{k} is not set ({where[k]}; see docs/slack.md)" for k in missing],
                "environment",
            )
        if app_token and not app_token.startswith("xapp-"):
            raise ConfigError(
                ["SLACK_APP_TOKEN must be an app-level token (xapp-…)"], "environment"
            )
        api_url = env.get("SLACK_API_URL") or SLACK_API_DEFAULT
        return SlackEnv(
            env["SLACK_BOT_TOKEN"],
            env.get("SLACK_SIGNING_SECRET") or None,
            app_token,
            api_url if api_url.endswith("/") else api_url + "/",
        )


def web_client(env: SlackEnv, timeout: int = 30) -> WebClient:
    """A WebClient that waits out 429s (Retry-After), retries 5xx once and dropped connections."""
    return WebClient(
        token=env.bot_token,
        base_url=env.api_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=1),
        ],
    )


_MENTION = re.compile(r"<@[UW][A-Z0-9]+>")
_LINK = re.compile(r"<(?:[^|>]+)\|([^>]+)>|<([^@#!][^>]*)>")


def question_text(text: str, bot_user_id: str | None = None) -> str:
    """A message's text as the user typed it: no bot mention, links as their labels, entities
    decoded (Slack sends & < > as &amp; &lt; &gt;)."""
    if bot_user_id:
        text = text.replace(f"<@{bot_user_id}>", " ")
    text = _MENTION.sub(" ", text)
    text = _LINK.sub(lambda m: m.group(1) or m.group(2), text)
    return " ".join(html.unescape(text).split())


class SlackBot:
    """The bolt App plus the pieces it owns (worker pool, state db). ``close()`` when done."""

    def __init__(
        self,
        env: SlackEnv,
        config: AppConfig,
        backend: Backend,
        *,
        today: date | None = None,
        work_threads: int = 8,
        listener_threads: int = 16,
        digests: bool = True,
    ):
        self.env = env
        self.client = web_client(env)
        self.state = open_state_db(config.state_path)
        self.seen = SeenEvents(self.state)
        self.pool = ThreadPoolExecutor(max_workers=work_threads, thread_name_prefix="kpi-work")
        self.delivery = Delivery(self.client)
        self.asker = Asker(
            backend,
            self.delivery,
            Access(config.access, self.client),
            AuditLog(self.state),
            style=B.Style(config.currency, config.fiscal_year_start_month),
            today=today,
            subscribe=subscribe_handler(),
        )
        # OAuth mode switches on by itself when these are set, and then ignores our token.
        for var in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
            if os.environ.pop(var, None) is not None:
                log.warning("%s ignored: kpibot is a single-workspace app", var)
        self.app = App(
            client=self.client,
            signing_secret=env.signing_secret or "",
            process_before_response=False,
            listener_executor=ThreadPoolExecutor(
                max_workers=listener_threads, thread_name_prefix="kpi-ack"
            ),
            name="kpibot",
        )
        self.app.middleware(self.seen.middleware())
        self._register()
        self.digest_loop: Any = None
        if digests:
            self._start_digests(config, backend)

    def _start_digests(self, config: AppConfig, backend: Backend) -> None:
        """`/kpi subscribe…`, the Subscribe button, and the loop that sends digests and alerts."""
        from bot.digests.scheduler import start_digest_loop
        from bot.digests.state import StateStore
        from bot.digests.subscriptions import register_digest_handlers

        subs = register_digest_handlers(self.app, config, StateStore(config.state_path), backend)
        self.asker.subscribe = subs.subscribe_clicked
        self.digest_loop = start_digest_loop(config, backend, self.client)

    def close(self) -> None:
        if self.digest_loop is not None:
            self.digest_loop.stop()
        self.pool.shutdown(wait=True, cancel_futures=False)
        self.state.close()

    def submit(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        def run() -> None:
            try:
                fn(*args, **kwargs)
            except Exception:  # the last line of defence: nothing escapes a worker silently
                log.exception("unhandled error in %s", getattr(fn, "__name__", fn))

        self.pool.submit(run)

    # ---- listeners ----

    def _register(self) -> None:
        app, asker = self.app, self.asker

        @app.event("app_mention")
        def mention(event: dict[str, Any], context: BoltContext) -> None:
            if event.get("bot_id") or event.get("subtype"):
                return  # other bots, edits
            place = Place(
                event["channel"],
                event.get("user", ""),
                thread_ts=event.get("thread_ts") or event["ts"],
            )
            self.submit(
                asker.ask,
                question_text(event.get("text", ""), context.bot_user_id),
                place,
                "mention",
            )

        @app.event("message")
        def message(event: dict[str, Any], context: BoltContext) -> None:
            # Every message.* delivery must be acknowledged (else Slack retries), so this listener
            # takes them all and answers only plain DMs from people.
            if event.get("subtype") or event.get("bot_id") or event.get("channel_type") != "im":
                return
            place = Place(event["channel"], event.get("user", ""), thread_ts=event.get("thread_ts"))
            self.submit(
                asker.ask, question_text(event.get("text", ""), context.bot_user_id), place, "dm"
            )

        @app.event("app_home_opened")
        def home(event: dict[str, Any], client: WebClient) -> None:
            if event.get("tab") != "home":
                return
            self.submit(self._publish_home, event["user"])

        @app.command("/kpi")
        def command(ack: Ack, command: dict[str, Any]) -> None:
            text = question_text(command.get("text", ""))
            if text.lower() in ("", "help"):
                ack(*B.help_message(asker.backend.catalog))
                return
            ack(M.WORKING.format(question=B.escape(text)))
            place = Place(
                command["channel_id"], command["user_id"], response_url=command.get("response_url")
            )
            self.submit(asker.ask, text, place, "command", asked_by=command["user_id"])

        @app.action(re.compile(r"^kpi_(home_)?ask_\d+$"))
        def ask_button(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            state = B.ButtonState.decode(action["value"])
            user = body["user"]["id"]
            if body.get("container", {}).get("type") == "view":  # App Home: answer in the DM
                self.submit(self._ask_in_dm, state, user)
                return
            self.submit(
                asker.ask, state.question, self._follow_up_place(body), "button", today=state.today
            )

        for action_id, method in (
            ("kpi_sql", asker.show_sql),
            ("kpi_csv", asker.download_csv),
            ("kpi_subscribe", asker.subscribe_clicked),
        ):
            app.action(action_id)(self._answer_button(method))

        @app.action("kpi_previous")
        def previous(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            state = B.ButtonState.decode(action["value"])
            self.submit(
                asker.previous_period, self._follow_up_place(body), state, body["user"]["id"]
            )

    def _answer_button(self, method: Any) -> Any:
        def listener(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            self.submit(method, self._follow_up_place(body), B.ButtonState.decode(action["value"]))

        return listener

    @staticmethod
    def _follow_up_place(body: dict[str, Any]) -> Place:
        """Follow-ups go in the thread of the message whose button was clicked."""
        msg = body.get("message") or {}
        container = body.get("container") or {}
        channel = container.get("channel_id") or body["channel"]["id"]
        ts = msg.get("thread_ts") or msg.get("ts") or container.get("message_ts")
        return Place(
            channel, body["user"]["id"], thread_ts=ts, response_url=body.get("response_url")
        )

    def _ask_in_dm(self, state: B.ButtonState, user: str) -> None:
        channel = self.client.conversations_open(users=user)["channel"]["id"]
        self.asker.ask(state.question, Place(channel, user), "button", today=state.today)

    def _publish_home(self, user: str) -> None:
        from slack_sdk.errors import SlackApiError

        try:
            self.client.views_publish(user_id=user, view=B.home_view(self.asker.backend.catalog))
        except SlackApiError as e:
            log.error("views.publish for %s failed: %s", user, e.response.get("error"))
