"""Subscriptions made in Slack: ``/kpi subscribe daily 09:00 QUESTION``, ``/kpi subscriptions``,
``/kpi unsubscribe N`` and the Subscribe button under an answer.

They are kept in the state store (bot/digests/state.py) and become digest jobs beside app.yaml's
(``sub:<id>``), so they survive restarts and are sent exactly once like the rest.
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import UTC, date, datetime
from typing import Any

from bot.config import AppConfig
from bot.digests.schedule import EXAMPLES, parse_schedule
from bot.digests.state import StateStore

log = logging.getLogger(__name__)
BUTTON_SCHEDULE = "weekdays 09:00"  # what the Subscribe button under an answer sets up
_SUB = re.compile(r"^\s*(subscribe|订阅)\b\s*(.*)$", re.IGNORECASE | re.DOTALL)
_LIST = re.compile(r"^\s*(subscriptions|订阅列表)\s*$", re.IGNORECASE)
_UNSUB = re.compile(r"^\s*(unsubscribe|取消订阅)\b\s*(.*)$", re.IGNORECASE | re.DOTALL)
_RULE = re.compile(r"^\s*([A-Za-z]+\s+\d{1,2}:\d{2})\s+(.+)$", re.DOTALL)

USAGE = (
    "Write `/kpi subscribe daily 09:00 QUESTION` (also weekdays, weekends, mondays…), "
    "`/kpi subscriptions` or `/kpi unsubscribe N`."
)


class Subscriptions:
    """The subscription commands as plain functions returning the text to show the user."""

    def __init__(
        self,
        config: AppConfig,
        store: StateStore,
        backend: Any = None,
        clock: Any = lambda: datetime.now(UTC),
    ):
        self.config = config
        self.store = store
        self.backend = backend
        self.clock = clock

    def is_command(self, text: str) -> bool:
        return bool(_SUB.match(text) or _LIST.match(text) or _UNSUB.match(text))

    def handle(self, text: str, channel: str, user: str) -> str | None:
        """The reply to a subscription command; None when ``text`` is a question, not ours."""
        if m := _LIST.match(text):
            return self.listing(channel)
        if m := _UNSUB.match(text):
            return self.unsubscribe(channel, m.group(2))
        if m := _SUB.match(text):
            return self.subscribe(channel, user, m.group(2))
        return None

    def subscribe(self, channel: str, user: str, rest: str, *, today: date | None = None) -> str:
        m = _RULE.match(rest)
        if not m:
            return f"I need a schedule and a question. {USAGE}"
        rule, question = m.group(1), " ".join(m.group(2).split())
        try:
            schedule = parse_schedule(rule)
        except ValueError as e:
            return f"The schedule {e}."
        if self.backend is not None:
            day = today or self.clock().astimezone(self.config.tz).date()
            reply = self.backend.ask(question, today=day)
            if reply.error is not None:
                return f"I can't subscribe to that: {reply.error.message}"
        tz = self.config.timezone
        sub_id = self.store.add_subscription(
            channel, schedule.text, tz, question, user, self.clock()
        )
        nxt = schedule.next_after(self.clock(), self.config.tz).astimezone(self.config.tz)
        return (
            f"Subscribed (#{sub_id}): *{question}* {schedule.text} ({tz}) in this channel. "
            f"First one {nxt:%a %d %b %H:%M}. `/kpi unsubscribe {sub_id}` stops it."
        )

    def listing(self, channel: str) -> str:
        subs = self.store.subscriptions(channel)
        configured = [d for d in self.config.digests if d.channel == channel]
        if not subs and not configured:
            return f"No subscriptions in this channel. {USAGE}"
        lines = [
            f"{s.id}. *{s.question}* {s.schedule} ({s.timezone}), by <@{s.created_by}>"
            for s in subs
        ]
        lines += [
            f"• digest *{d.name}* {d.schedule} (app.yaml; change it there)" for d in configured
        ]
        return "Subscriptions in this channel:\n" + "\n".join(lines)

    def unsubscribe(self, channel: str, rest: str) -> str:
        n = rest.strip().lstrip("#")
        if not n.isdigit():
            return f"Which one? Give its number from `/kpi subscriptions`. {USAGE}"
        if self.store.remove_subscription(int(n), channel):
            return f"Unsubscribed #{n}: it will not be sent again."
        return f"There is no subscription #{n} in this channel (see `/kpi subscriptions`)."

    def subscribe_clicked(self, req: Any) -> str:
        """The Subscribe button's handler (``bot.slack.handlers.on_subscribe``)."""
        return self.subscribe(
            req.channel, req.user, f"{BUTTON_SCHEDULE} {req.question}", today=req.today
        )


def register_digest_handlers(
    app: Any,
    config: AppConfig,
    store: StateStore,
    backend: Any = None,
    clock: Any = lambda: datetime.now(UTC),
    command: str = "/kpi",
) -> Subscriptions:
    """Wire the subscription commands into the bolt app, and the Subscribe button.

    A global middleware (it runs after bolt's signature check and before any listener, so the
    order of registration does not matter) takes ``/kpi subscribe|subscriptions|unsubscribe``,
    acknowledges at once and answers through the command's response_url (checking a question
    can take longer than Slack's 3 seconds). Every other ``/kpi`` goes on to the bot.
    """
    from slack_bolt import BoltResponse
    from slack_sdk.webhook import WebhookClient

    subs = Subscriptions(config, store, backend, clock)

    def work(body: dict[str, Any]) -> None:
        try:
            text = subs.handle(str(body.get("text", "")), body["channel_id"], body["user_id"])
        except Exception:  # noqa: BLE001 - the user gets words, the log gets the trace
            log.exception("subscription command failed")
            text = "Sorry, that did not work; the error is logged."
        WebhookClient(body["response_url"]).send(text=text or USAGE, response_type="ephemeral")

    def digest_commands(body: dict[str, Any], next: Any) -> Any:  # noqa: A002 - bolt's name
        if body.get("command") != command or not subs.is_command(str(body.get("text", ""))):
            return next()
        threading.Thread(target=work, args=(body,), name="kpibot-subscribe", daemon=True).start()
        return BoltResponse(status=200, body="")

    app.middleware(digest_commands)
    try:
        from bot.slack.handlers import on_subscribe
    except ImportError:  # the Slack bot is not installed in this build
        log.warning("bot.slack.handlers missing: the Subscribe button stays hidden")
    else:
        on_subscribe(subs.subscribe_clicked)
    return subs


__all__ = ["EXAMPLES", "Subscriptions", "register_digest_handlers"]
