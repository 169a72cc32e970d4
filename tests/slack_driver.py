"""Plays Slack towards the bot: properly signed events, slash commands and button clicks over HTTP.

Requests are signed exactly as Slack signs them (``v0=HMAC-SHA256(secret, "v0:ts:body")`` over
the raw bytes sent) and posted to the bot's ``/slack/events``. Each result carries the HTTP
status, body and how long the acknowledgement took.

    bot = SlackDriver("http://127.0.0.1:3000", signing_secret="secret")
    sent = bot.mention("U1", "C1", "connect rate by weekday last 31 days")
    bot.click(message, "Show SQL", user="U1")
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

EVENTS_PATH = "/slack/events"
# Shared by every driver: event ids and message ts must be unique across a whole test session,
# as the bot remembers the event ids it has handled.
_SEQ = itertools.count(1)
_SESSION = uuid.uuid4().hex[:8].upper()


@dataclass(frozen=True)
class Delivered:
    status: int
    body: str
    seconds: float  # time to the bot's acknowledgement
    ts: str | None = None  # the ts of the message that was sent (events)
    event_id: str | None = None

    def json(self) -> Any:
        return json.loads(self.body)


def sign(secret: str, body: bytes, timestamp: str) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackDriver:
    def __init__(
        self,
        url: str,
        signing_secret: str,
        *,
        team_id: str = "T0TEST",
        bot_user_id: str = "U0BOT",
        api_app_id: str = "A0TEST",
    ):
        self.url = url.rstrip("/") + EVENTS_PATH
        self.secret = signing_secret
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.api_app_id = api_app_id
        self._n = _SEQ

    # ---- transport ----

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        timestamp: int | None = None,
        signature: str | None = None,
        timeout: float = 10.0,
    ) -> tuple[int, str, float]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature or sign(self.secret, body, ts),
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        # No proxy: the bot is on loopback and a proxy from the environment would break that.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        t0 = time.perf_counter()
        try:
            with opener.open(req, timeout=timeout) as resp:
                return resp.status, resp.read().decode(), time.perf_counter() - t0
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), time.perf_counter() - t0

    def deliver(self, kind: str, payload: dict[str, Any], **post: Any) -> tuple[int, str, float]:
        """One delivery, encoded as Slack encodes it over HTTP: events as JSON, commands as a
        form, interactivity as a form with one JSON ``payload`` field."""
        if kind == "events_api":
            return self.post(json.dumps(payload).encode(), "application/json", **post)
        if kind == "slash_commands":
            body = urlencode(payload).encode()
        else:
            body = ("payload=" + quote(json.dumps(payload))).encode()
        return self.post(body, "application/x-www-form-urlencoded", **post)

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._n):06d}"

    # ---- Events API ----

    def event(
        self, inner: dict[str, Any], *, event_id: str | None = None, **post: Any
    ) -> Delivered:
        event_id = event_id or f"Ev{_SESSION}{next(self._n):08d}"
        envelope = {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": inner,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-opaque",
        }
        status, text, secs = self.deliver("events_api", envelope, **post)
        return Delivered(status, text, secs, inner.get("ts"), event_id)

    def mention(
        self,
        user: str,
        channel: str,
        text: str,
        *,
        ts: str | None = None,
        thread_ts: str | None = None,
        bot_id: str | None = None,
        **post: Any,
    ) -> Delivered:
        ts = ts or self._next_ts()
        inner: dict[str, Any] = {
            "type": "app_mention",
            "user": user,
            "text": f"<@{self.bot_user_id}> {text}",
            "ts": ts,
            "channel": channel,
            "event_ts": ts,
            "team": self.team_id,
        }
        if thread_ts:
            inner["thread_ts"] = thread_ts
        if bot_id:
            inner["bot_id"] = bot_id
        return self.event(inner, **post)

    def dm(
        self,
        user: str,
        channel: str,
        text: str,
        *,
        ts: str | None = None,
        subtype: str | None = None,
        bot_id: str | None = None,
        **post: Any,
    ) -> Delivered:
        ts = ts or self._next_ts()
        inner: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel_type": "im",
        }
        if subtype:
            inner["subtype"] = subtype
        if bot_id:
            inner["bot_id"] = bot_id
        return self.event(inner, **post)

    def home_opened(self, user: str, **post: Any) -> Delivered:
        return self.event(
            {
                "type": "app_home_opened",
                "user": user,
                "channel": "D" + user[1:],
                "tab": "home",
                "event_ts": self._next_ts(),
            },
            **post,
        )

    # ---- slash commands and interactivity ----

    def command(
        self,
        text: str,
        *,
        user: str,
        channel: str,
        response_url: str,
        command: str = "/kpi",
        **post: Any,
    ) -> Delivered:
        form = {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "directmessage" if channel.startswith("D") else "sales",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"{next(self._n)}.trigger",
        }
        status, body, secs = self.deliver("slash_commands", form, **post)
        return Delivered(status, body, secs)

    def click(
        self,
        message: Any,
        label: str,
        *,
        user: str,
        response_url: str = "http://127.0.0.1:9/x",
        **post: Any,
    ) -> Delivered:
        """Click the button labelled ``label`` on ``message`` (an emulator Message) as ``user``."""
        for block in message.blocks:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if element.get("type") == "button" and element["text"]["text"] == label:
                    return self.block_action(
                        message,
                        block.get("block_id", "b"),
                        element,
                        user=user,
                        response_url=response_url,
                        **post,
                    )
        labels = [
            e["text"]["text"]
            for b in message.blocks
            if b.get("type") == "actions"
            for e in b["elements"]
        ]
        raise LookupError(f"no button {label!r} on the message; buttons: {labels}")

    def block_action(
        self,
        message: Any,
        block_id: str,
        element: dict[str, Any],
        *,
        user: str,
        response_url: str,
        **post: Any,
    ) -> Delivered:
        msg: dict[str, Any] = {
            "type": "message",
            "ts": message.ts,
            "text": message.text,
            "user": self.bot_user_id,
            "blocks": message.blocks,
        }
        if message.thread_ts:
            msg["thread_ts"] = message.thread_ts
        payload = {
            "type": "block_actions",
            "user": {
                "id": user,
                "username": user.lower(),
                "name": user.lower(),
                "team_id": self.team_id,
            },
            "api_app_id": self.api_app_id,
            "token": "legacy-verification-token",
            "container": {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": message.channel,
                "is_ephemeral": False,
            },
            "trigger_id": f"{next(self._n)}.trigger",
            "team": {"id": self.team_id, "domain": "test"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": message.channel, "name": "sales"},
            "message": msg,
            "state": {"values": {}},
            "response_url": response_url,
            "actions": [
                {
                    "action_id": element["action_id"],
                    "block_id": block_id,
                    "type": "button",
                    "value": element.get("value", ""),
                    "text": element["text"],
                    "action_ts": self._next_ts(),
                }
            ],
        }
        status, text, secs = self.deliver("interactive", payload, **post)
        return Delivered(status, text, secs)

    def click_home(self, view: dict[str, Any], label: str, *, user: str, **post: Any) -> Delivered:
        """Click the button labelled ``label`` on the user's App Home ``view``."""
        for block in view.get("blocks", []):
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if element.get("type") == "button" and element["text"]["text"] == label:
                    payload = {
                        "type": "block_actions",
                        "user": {"id": user, "username": user.lower(), "team_id": self.team_id},
                        "api_app_id": self.api_app_id,
                        "container": {"type": "view", "view_id": "V1"},
                        "trigger_id": f"{next(self._n)}.trigger",
                        "team": {"id": self.team_id, "domain": "test"},
                        "view": {"id": "V1", "type": "home", "blocks": view["blocks"]},
                        "actions": [
                            {
                                "action_id": element["action_id"],
                                "block_id": block["block_id"],
                                "type": "button",
                                "value": element.get("value", ""),
                                "text": element["text"],
                                "action_ts": self._next_ts(),
                            }
                        ],
                    }
                    status, text, secs = self.deliver("interactive", payload, **post)
                    return Delivered(status, text, secs)
        raise LookupError(f"no button {label!r} on the Home tab")


class SocketModeDriver(SlackDriver):
    """The same deliveries, as Socket Mode envelopes over the emulator's WebSocket server.

    ``Delivered.status`` is 200 when the bot acknowledged within Slack's 3 seconds (0 when
    not), ``body`` the JSON of the payload it put in its acknowledgement ("" for none), and
    ``seconds`` the time to the acknowledgement. ``retry_num``/``retry_reason`` become the
    envelope's ``retry_attempt``/``retry_reason``.

        drv = SocketModeDriver(slack.socket)
        drv.mention("U1", "C1", "calls this week")
    """

    def __init__(self, server: Any, **ids: Any):
        super().__init__("ws://unused", "", **ids)
        self.server = server
        self.envelopes: list[Any] = []  # every envelope this driver sent, in order

    def deliver(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        retry_num: int | None = None,
        retry_reason: str = "timeout",
        redeliver: bool = True,
        lost: bool = False,
        timeout: float | None = None,
    ) -> tuple[int, str, float]:
        env = self.server.deliver(
            kind,
            payload,
            retry_attempt=retry_num or 0,
            retry_reason=retry_reason if retry_num else "",
            redeliver=redeliver,
            lost=lost,
        )
        self.envelopes.append(env)
        ack = self.server.wait_ack(env, timeout, check=False)
        if ack is None:
            return 0, "", time.time() - env.sent_at
        body = json.dumps(ack["payload"], ensure_ascii=False) if ack.get("payload") else ""
        return 200, body, (env.acked_at or time.time()) - env.sent_at

    def post(self, *args: Any, **kwargs: Any) -> tuple[int, str, float]:
        raise TypeError("Socket Mode has no HTTP requests to sign; use deliver()")
