"""The slack-bolt app: the ways in (mention, DM, /kpi, buttons, App Home) and their wiring.

Every request passes the gate first (bot/slack/router.py: access and audit). Listeners then
only acknowledge and hand the work to a bounded worker pool, so a listener thread is never held
by a slow question and every acknowledgement leaves within Slack's 3 s, even with many
questions in flight. Everything the work does is in ``bot.slack.handlers``.
"""

from __future__ import annotations

import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

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
from bot.digests.state import StateStore
from bot.digests.subscriptions import COMMAND_WORDS, USAGE, Subscriptions, slack_user_zones
from bot.slack import blocks as B
from bot.slack import messages as M
from bot.slack.dedupe import SeenEvents
from bot.slack.delivery import Delivery, Place
from bot.slack.handlers import HELP_WORDS, Asker
from bot.slack.router import Call, Gate, GatedApp, Handler, Router
from metrics.errors import ConfigError

log = logging.getLogger(__name__)

SLACK_API_DEFAULT = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
ASK_BUTTON = re.compile(r"^kpi_(home_)?ask_\d+$")  # did-you-mean suggestions, App Home examples
ANY_OTHER = re.compile(r".*")  # a button this version does not have (an old message's)

# ``/kpi WORD …``: the sub-commands, by their first word (any other text is a question).
COMMANDS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({""}) | HELP_WORDS, "_help"),
    (COMMAND_WORDS, "_subscription_command"),
)


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


def lookup_client(env: SlackEnv) -> WebClient:
    """For the gate's access look-ups (users.info, usergroups.…), made while Slack waits for its
    acknowledgement: a short timeout and no waiting out 429s, so a slow Slack is a refusal
    (access fails closed) inside Slack's 3 s rather than a missed acknowledgement."""
    return WebClient(token=env.bot_token, base_url=env.api_url, timeout=2)


class SlackBot:
    """The bolt App plus the pieces it owns (worker pool, state db). ``close()`` when done.

    Every listener is put on the App by ``_register`` through the Router, behind the gate.
    """

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
        self.config = config
        self.client = web_client(env)
        self.state = open_state_db(config.state_path)
        self.seen = SeenEvents(self.state)
        self.pool = ThreadPoolExecutor(max_workers=work_threads, thread_name_prefix="kpi-work")
        self.delivery = Delivery(self.client)
        self.access = Access(config.access, lookup_client(env))
        self.audit = AuditLog(self.state)
        self.subscriptions = (
            Subscriptions(
                config,
                StateStore(config.state_path),
                backend,
                user_zone=slack_user_zones(self.client),
            )
            if digests
            else None
        )
        self.asker = Asker(
            backend,
            self.delivery,
            self.audit,
            style=B.Style(config.currency, config.fiscal_year_start_month),
            today=today,
            subscribe=self.subscriptions.subscribe_clicked if self.subscriptions else None,
        )
        # OAuth mode switches on by itself when these are set, and then ignores our token.
        for var in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
            if os.environ.pop(var, None) is not None:
                log.warning("%s ignored: kpibot is a single-workspace app", var)
        self.app = GatedApp(
            client=self.client,
            signing_secret=env.signing_secret or "",
            process_before_response=False,
            listener_executor=ThreadPoolExecutor(
                max_workers=listener_threads, thread_name_prefix="kpi-ack"
            ),
            name="kpibot",
        )
        gate = Gate(self.access, self.audit, self.delivery, self.client, self.submit)
        self.router = Router(self.app, gate, self.seen.middleware())
        self._register()
        self.digest_loop: Any = None
        if digests:
            from bot.digests.scheduler import start_digest_loop

            self.digest_loop = start_digest_loop(
                config, backend, self.client, allowed=self.access.allowed
            )

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

    # ---- listeners: every one through the router ----

    def _register(self) -> None:
        on, asker = self.router.on, self.asker
        on("event", "app_mention", self._question)
        on("event", "message", self._question)  # the gate lets through only DMs from people
        on("event", "app_home_opened", self._home)
        on("command", "/kpi", self._command)
        on("action", ASK_BUTTON, self._ask_button)
        on("action", "kpi_previous", self._answer_button(asker.previous_period))
        on("action", "kpi_sql", self._answer_button(asker.show_sql))
        on("action", "kpi_csv", self._answer_button(asker.download_csv))
        on("action", "kpi_subscribe", self._answer_button(asker.subscribe_clicked))
        on("action", ANY_OTHER, self._unknown_button)  # last: bolt tries listeners in order

    def _question(self, call: Call) -> None:
        """A mention or a DM: a question (or a request for help)."""
        self.submit(self.asker.ask, call.caller.text, call.caller.place(), call.entry)

    def _home(self, call: Call) -> None:
        self.submit(self._publish_home, call)

    def _command(self, call: Call) -> None:
        """``/kpi``: the sub-commands in COMMANDS by their first word, else a question."""
        text = call.caller.text
        word = text.split(maxsplit=1)[0].lower() if text else ""
        for words, name in COMMANDS:
            if word in words:
                getattr(self, name)(call, text)
                return
        call.ack(M.WORKING.format(question=B.escape(text)))
        self.submit(
            self.asker.ask, text, call.caller.place(), call.entry, asked_by=call.caller.user
        )

    def _help(self, call: Call, text: str) -> None:
        call.ack(*B.help_message(self.asker.backend.catalog))
        self.audit.finish(call.entry, outcome="answered", detail="help")

    def _subscription_command(self, call: Call, text: str) -> None:
        """Acknowledged at once; the reply goes through response_url (a question is checked)."""
        subs, caller = self.subscriptions, call.caller
        if subs is None:
            call.ack(M.SUBSCRIBED_UNAVAILABLE)
            self.audit.finish(call.entry, outcome="user_error", detail="no subscriptions here")
            return
        call.ack()

        def work() -> None:
            admin = self.access.is_admin(caller.user)
            try:
                reply = subs.handle(text, caller.channel, caller.user, admin=admin)
                self.audit.finish(call.entry, outcome="answered", detail="subscription command")
            except Exception as e:  # the user gets words, the log gets the trace
                log.exception("subscription command failed")
                self.audit.finish(call.entry, outcome="internal_error", detail=type(e).__name__)
                reply = M.INTERNAL_ERROR.format(question=B.escape(text), ref=call.entry.id)
            self.delivery.tell(caller.place(), reply or USAGE)

        self.submit(work)

    def _ask_button(self, call: Call) -> None:
        call.ack()
        state = self._state(call)
        if state is None:
            return
        if call.body.get("container", {}).get("type") == "view":  # App Home: answer in the DM
            self.submit(self._ask_in_dm, state, call)
            return
        self.submit(
            self.asker.ask, state.question, call.caller.place(), call.entry, today=state.today
        )

    def _answer_button(self, method: Any) -> Handler:
        def answer_button(call: Call) -> None:
            call.ack()
            state = self._state(call)
            if state is not None:
                self.submit(method, call.caller.place(), state, call.entry)

        answer_button.__name__ = getattr(method, "__name__", "answer_button")
        return answer_button

    def _unknown_button(self, call: Call) -> None:
        call.ack()
        self.audit.finish(call.entry, outcome="user_error", detail="unknown button")
        self.submit(self.delivery.tell, call.caller.place(), M.STALE_BUTTON)

    def _state(self, call: Call) -> B.ButtonState | None:
        """The button's value, or None (and a polite word) when it is not one of ours."""
        try:
            return B.ButtonState.decode(str(call.payload.get("value", "")))
        except ValueError:
            log.warning(
                "button %r with a malformed value (%d characters)",
                call.payload.get("action_id"),
                len(str(call.payload.get("value", ""))),
            )
            self.audit.finish(call.entry, outcome="user_error", detail="malformed button value")
            self.submit(self.delivery.tell, call.caller.place(), M.STALE_BUTTON)
            return None

    def _ask_in_dm(self, state: B.ButtonState, call: Call) -> None:
        user = call.caller.user
        channel = self.client.conversations_open(users=user)["channel"]["id"]
        self.asker.ask(state.question, Place(channel, user), call.entry, today=state.today)

    def _publish_home(self, call: Call) -> None:
        from slack_sdk.errors import SlackApiError

        user = call.caller.user
        try:
            self.client.views_publish(user_id=user, view=B.home_view(self.asker.backend.catalog))
            self.audit.finish(call.entry, outcome="answered", detail="home")
        except SlackApiError as e:
            log.error("views.publish for %s failed: %s", user, e.response.get("error"))
            self.audit.finish(call.entry, outcome="slack_error", detail=e.response.get("error"))
