"""The one way in from Slack: who asks, from where, allowed or not, audited, before any listener.

Every request bolt accepts (signature checked, repeats dropped) passes the gate, a global
middleware: it reads who and where from the request (``caller_of``), writes the attempt to the
audit log and checks the ``access`` rules. A refused caller gets one polite sentence and no
listener runs; an allowed one reaches the listener with the audit entry in hand, which the work
finishes with its outcome. A request the gate cannot attribute to a person in a place is
acknowledged and dropped (bot messages, edits, other tabs): nobody asked anything.

Listeners get onto the bolt App only through ``Router.on``: ``GatedApp`` refuses bolt's own
decorators (``app.action(…)`` raises), so a new way in cannot skip the gate by accident.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.access import Access
from bot.audit import AuditEntry, AuditLog, Source
from bot.slack.delivery import Delivery, Place
from bot.slack.messages import words_in
from i18n import choose

log = logging.getLogger(__name__)

Kind = Literal["event", "command", "action", "view", "options", "shortcut"]
AUDIT_TEXT = 500  # characters of a request kept in the audit log


@dataclass(frozen=True)
class Caller:
    """Who is asking, where, and what they sent (for the audit log)."""

    user: str
    channel: str  # "" on personal surfaces (App Home, modals): only the user is checked
    source: Source
    text: str
    thread_ts: str | None = None
    response_url: str | None = None

    def place(self) -> Place:
        return Place(self.channel, self.user, self.thread_ts, self.response_url)


@dataclass(frozen=True)
class Call:
    """What a routed listener gets: bolt's acknowledgement, the request, and the gate's verdict."""

    ack: Callable[..., None]
    body: dict[str, Any]
    payload: dict[str, Any]  # the event, command, action, view or options request
    caller: Caller
    entry: AuditEntry  # the attempt's audit row, started by the gate; the work finishes it


Handler = Callable[[Call], None]


@dataclass(frozen=True)
class Route:
    """One listener: the kind of request and the key bolt matches it on."""

    kind: Kind
    key: str | re.Pattern[str]
    name: str


# ---- who, where, what: one reader per kind of request ----

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


def _event_caller(body: dict[str, Any]) -> Caller | None:
    event = body.get("event") or {}
    if event.get("bot_id") or event.get("subtype") or not event.get("user"):
        return None  # other bots, our own posts, edits and deletions: nobody asked
    kind = event.get("type")
    if kind == "app_mention":
        return Caller(
            event["user"],
            str(event.get("channel", "")),
            "mention",
            question_text(str(event.get("text", ""))),
            event.get("thread_ts") or event.get("ts"),
        )
    if kind == "message" and event.get("channel_type") == "im":
        return Caller(
            event["user"],
            str(event.get("channel", "")),
            "dm",
            question_text(str(event.get("text", ""))),
            event.get("thread_ts"),
        )
    if kind == "app_home_opened" and event.get("tab") == "home":
        return Caller(event["user"], "", "home", "App Home opened")
    return None


def _command_caller(body: dict[str, Any]) -> Caller:
    return Caller(
        str(body.get("user_id", "")),
        str(body.get("channel_id", "")),
        "command",
        question_text(str(body.get("text", ""))),
        response_url=body.get("response_url"),
    )


def _interaction_caller(body: dict[str, Any]) -> Caller:
    """Buttons, menus, modals and shortcuts: the user, and the channel unless it is a view."""
    user = str((body.get("user") or {}).get("id", ""))
    container = body.get("container") or {}
    channel = (
        ""
        if container.get("type") == "view"
        else str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
    )
    message = body.get("message") or {}
    kind = body.get("type")
    source: Source
    if kind == "block_actions":
        action = (body.get("actions") or [{}])[0]
        source = "button"
        text = f"{action.get('action_id', '')} {action.get('value', '')}"
    elif kind == "block_suggestion":
        source, text = "options", f"{body.get('action_id', '')} {body.get('value', '')}"
    elif kind in ("view_submission", "view_closed"):
        source, text = "view", f"{kind} {(body.get('view') or {}).get('callback_id', '')}"
        channel = ""
    else:  # shortcut, message_action
        source, text = "shortcut", f"{kind} {body.get('callback_id', '')}"
    return Caller(
        user,
        channel,
        source,
        text,
        message.get("thread_ts") or message.get("ts") or container.get("message_ts"),
        body.get("response_url"),
    )


def caller_of(body: dict[str, Any]) -> Caller | None:
    """The person behind a request, or None when no person asked anything."""
    if not isinstance(body, dict):
        return None
    if body.get("type") == "event_callback":
        return _event_caller(body)
    if body.get("command"):
        return _command_caller(body)
    if body.get("type") in (
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
    ):
        return _interaction_caller(body)
    return None


# ---- the gate ----


class Gate:
    """The global middleware: audit every attempt, refuse the disallowed, hand the rest on."""

    def __init__(
        self,
        access: Access,
        audit: AuditLog,
        delivery: Delivery,
        client: WebClient,
        submit: Callable[..., None],
    ):
        self.access = access
        self.audit = audit
        self.delivery = delivery
        self.client = client
        self.submit = submit

    def access_gate(
        self, body: dict[str, Any], context: BoltContext, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        caller = caller_of(body)
        if caller is None:
            if isinstance(body, dict) and body.get("type") == "url_verification":
                return next()  # bolt answers Slack's handshake itself
            return BoltResponse(status=200, body="")  # nobody's request: acknowledge, do nothing
        entry = self.audit.start(
            user=caller.user,
            channel=caller.channel,
            source=caller.source,
            question=" ".join(caller.text.split())[:AUDIT_TEXT],
            thread_ts=caller.thread_ts,
        )
        verdict = self.access.check(caller.user, caller.channel) if caller.user else "user"
        if verdict == "ok":
            context["kpi_caller"] = caller
            context["kpi_entry"] = entry
            return next()
        self.audit.finish(entry, outcome="refused", detail=f"{verdict} not allowed")
        # No users.info for someone refused: the words they typed choose the language.
        M = words_in(choose(caller.text))
        text = M.REFUSED_USER if verdict == "user" else M.REFUSED_CHANNEL
        log.info(
            "refused %s in %s (%s): %s not allowed",
            caller.user,
            caller.channel or "-",
            caller.source,
            verdict,
        )
        return self.refuse(caller, text)

    def refuse(self, caller: Caller, text: str) -> BoltResponse:
        """One sentence to the refused person, where they will see it; no listener runs."""
        if caller.source == "command":
            return _json({"response_type": "ephemeral", "text": text})
        if caller.source == "options":
            return _json({"options": []})
        if caller.source == "home":
            self.submit(self._home_refusal, caller.user, text)
        elif caller.channel:
            self.submit(self.delivery.tell, caller.place(), text)
        elif caller.user:
            self.submit(self._dm, caller.user, text)
        return BoltResponse(status=200, body="")

    def _home_refusal(self, user: str, text: str) -> None:
        view = {
            "type": "home",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        }
        try:
            self.client.views_publish(user_id=user, view=view)
        except SlackApiError as e:
            log.warning("views.publish for %s failed: %s", user, e.response.get("error"))

    def _dm(self, user: str, text: str) -> None:
        try:
            channel = self.client.conversations_open(users=user)["channel"]["id"]
            self.client.chat_postMessage(channel=channel, text=text)
        except SlackApiError as e:
            log.warning("could not tell %s: %s", user, e.response.get("error"))


def _json(data: dict[str, Any]) -> BoltResponse:
    return BoltResponse(
        status=200, body=json.dumps(data), headers={"content-type": "application/json"}
    )


# ---- registration ----

# Every App method that adds a listener or a global middleware.
_BOLT_REGISTRARS = frozenset(
    """event command action view options shortcut message middleware use assistant step function
    block_action block_suggestion view_submission view_closed global_shortcut message_shortcut
    attachment_action dialog_submission dialog_suggestion dialog_cancellation
    enable_token_revocation_listeners""".split()
)


class GatedApp(App):
    """A bolt App whose listeners can only come through ``Router.on`` (after the gate)."""

    def __getattribute__(self, name: str) -> Any:
        if name in _BOLT_REGISTRARS:
            raise TypeError(
                f"App.{name} is closed: register with Router.on (bot/slack/router.py), "
                "which puts the access gate in front of every listener"
            )
        return super().__getattribute__(name)


class Router:
    """The only registration: ``Router(app, gate)`` installs the gate, ``on`` adds a listener."""

    def __init__(self, app: GatedApp, gate: Gate, *first: Callable[..., Any]):
        self.app = app
        self.routes: list[Route] = []
        for middleware in (*first, gate.access_gate):  # e.g. dedupe, then the gate, then nothing
            App.middleware(app, middleware)

    def on(self, kind: Kind, key: str | re.Pattern[str], handler: Handler) -> None:
        self.routes.append(Route(kind, key, getattr(handler, "__name__", str(handler))))

        def listener(
            ack: Callable[..., None],
            body: dict[str, Any],
            payload: dict[str, Any],
            context: BoltContext,
        ) -> None:
            caller, entry = context.get("kpi_caller"), context.get("kpi_entry")
            if caller is None or entry is None:  # unreachable while the gate is installed
                ack()
                log.error("%s reached without the gate; dropped", kind)
                return
            handler(Call(ack, body, payload, caller, entry))

        listener.__name__ = f"kpi_{kind}_{getattr(handler, '__name__', 'handler')}"
        App.__dict__[kind](self.app, key)(listener)
