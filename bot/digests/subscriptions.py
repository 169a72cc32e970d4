"""Subscriptions made in Slack: ``/kpi subscribe daily 09:00 QUESTION``, ``/kpi subscriptions``,
``/kpi unsubscribe N`` and the Subscribe button under an answer.

They are kept in the state store (bot/digests/state.py) and become digest jobs beside app.yaml's
(``sub:<id>``), so they survive restarts and are sent exactly once like the rest. People list and
stop their own subscriptions; admins (``access.admins``) everyone's. The Slack side (the /kpi
router in bot/slack/app.py) calls in here only after its gate has let the person through.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import AppConfig
from bot.digests.schedule import Schedule, ScheduleError, parse_schedule
from bot.digests.state import StateStore
from bot.rows import scoped
from i18n import DEFAULT, Language, Lines, Msg, Sayable, Word, say
from metrics.scope import EVERYONE, Scope

log = logging.getLogger(__name__)
BUTTON_SCHEDULE = "weekdays 09:00"  # what the Subscribe button under an answer sets up
_SUB = re.compile(r"^\s*(subscribe|订阅)\b\s*(.*)$", re.IGNORECASE | re.DOTALL)
_LIST = re.compile(r"^\s*(subscriptions|订阅列表)\s*$", re.IGNORECASE)
_UNSUB = re.compile(r"^\s*(unsubscribe|取消订阅)\b\s*(.*)$", re.IGNORECASE | re.DOTALL)
# The first words of the three commands, for the /kpi router.
COMMAND_WORDS = frozenset(
    {"subscribe", "订阅", "subscriptions", "订阅列表", "unsubscribe", "取消订阅"}
)
_RULE = re.compile(
    r"^\s*((?:weekly\s+|every\s+)?[^\W\d_]+\s+\d{1,2}:\d{2})\s+(.+)$", re.DOTALL | re.I
)

USAGE = Msg("subs.usage")


def said_schedule(text: str, zone: str) -> Sayable:
    """A stored schedule and its zone as the reader says it: ``daily 09:00 (Asia/Shanghai)``,
    ``每天 09:00（Asia/Shanghai）``."""
    return Msg.of("schedule.in_zone", schedule=_said(text), zone=zone)


def _said(text: str) -> Sayable:
    try:
        return parse_schedule(text).said()
    except ValueError:  # stored before a rule changed: as it was written
        return Msg.of("schedule.cron", text=text)


UserZone = Callable[[str], str | None]  # Slack user id → IANA zone name, None when unknown
ZONE_TTL_SECONDS = 3600.0


def slack_user_zones(client: Any, ttl: float = ZONE_TTL_SECONDS) -> UserZone:
    """Each user's time zone from Slack (``users.info`` → ``tz``), cached for ``ttl`` seconds.

    A failed look-up is not cached (the next subscription asks again) and gives None, so the
    caller falls back to the organisation's zone rather than refusing the subscription.
    """
    from slack_sdk.errors import SlackClientError

    cache: dict[str, tuple[float, str | None]] = {}
    lock = threading.Lock()

    def zone_of(user: str) -> str | None:
        with lock:
            hit = cache.get(user)
        if hit is not None and time.monotonic() - hit[0] < ttl:
            return hit[1]
        try:
            name = client.users_info(user=user)["user"].get("tz")
        except (SlackClientError, OSError) as e:
            log.warning("users.info for %s failed (%s); using the org time zone", user, e)
            return None
        with lock:
            cache[user] = (time.monotonic(), name or None)
        return name or None

    return zone_of


class Subscriptions:
    """The subscription commands as plain functions returning the text to show the user.

    A subscription runs in its subscriber's Slack time zone (``user_zone``), recorded when it
    is made and shown back: ``daily 09:00 (America/New_York)`` is 09:00 in New York, summer and
    winter. Without a zone from Slack it runs in the organisation's zone (app.yaml).
    """

    def __init__(
        self,
        config: AppConfig,
        store: StateStore,
        backend: Any = None,
        clock: Any = lambda: datetime.now(UTC),
        user_zone: UserZone | None = None,
    ):
        self.config = config
        self.store = store
        self.backend = backend
        self.clock = clock
        self.user_zone = user_zone

    def zone_of(self, user: str) -> ZoneInfo:
        """The subscriber's zone; the organisation's when Slack does not say or says nonsense."""
        name = self.user_zone(user) if self.user_zone is not None else None
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                log.warning("Slack gave %s the unknown time zone %r", user, name)
        return self.config.tz

    def handle(
        self,
        text: str,
        channel: str,
        user: str,
        *,
        admin: bool = False,
        scope: Scope | None = None,
        lang: Language = DEFAULT,
    ) -> str | None:
        """The reply to a subscription command in ``lang``; None when ``text`` is a question,
        not ours. ``scope``: whose records the asker may see here (the question is checked with
        it; each send works its own out again, bot/digests/scheduler.py)."""
        if _LIST.match(text):
            return say(lang, self.listing(channel, user, admin=admin))
        if m := _UNSUB.match(text):
            return say(lang, self.unsubscribe(m.group(2), user, admin=admin))
        if m := _SUB.match(text):
            return say(lang, self.subscribe(channel, user, m.group(2), scope=scope))
        return None

    def subscribe(
        self,
        channel: str,
        user: str,
        rest: str,
        *,
        today: date | None = None,
        scope: Scope | None = None,
    ) -> Sayable:
        m = _RULE.match(rest)
        if not m:
            return Msg.of("subs.need_rule", usage=USAGE)
        rule, question = m.group(1), " ".join(m.group(2).split())
        try:
            schedule = parse_schedule(rule)
        except ScheduleError as e:  # said in the subscriber's language, like the rest
            return Msg.of("subs.bad_rule", error=e)
        zone = self.zone_of(user)
        if self.backend is not None:
            day = today or self.clock().astimezone(zone).date()
            reply = self.backend.ask(question, today=day, **scoped(scope or EVERYONE))
            if reply.error is not None:
                return Msg.of("subs.cannot", error=reply.error.said)
        tz = zone.key
        sub_id = self.store.add_subscription(
            channel, schedule.text, tz, question, user, self.clock()
        )
        return Msg.of(
            "subs.subscribed",
            id=sub_id,
            question=question,
            schedule=Msg.of("schedule.in_zone", schedule=schedule.said(), zone=tz),
            first=_first(schedule, self.clock(), zone),
        )

    def listing(self, channel: str, user: str, *, admin: bool = False) -> Sayable:
        """The person's own subscriptions (an admin's: everyone's), and app.yaml's digests here."""
        subs = self.store.subscriptions(created_by=None if admin else user)
        configured = [d for d in self.config.digests if d.channel == channel]
        if not subs and not configured:
            return Msg.of("subs.none", usage=USAGE)
        lines: list[Sayable] = [Msg("subs.head_all" if admin else "subs.head_mine")]
        lines += [
            Msg.of(
                "subs.line",
                id=s.id,
                question=s.question,
                schedule=said_schedule(s.schedule, s.timezone),
                channel=s.channel,
                by=Msg.of("subs.by", user=s.created_by) if admin else "",
            )
            for s in subs
        ]
        lines += [
            Msg.of("subs.digest_line", name=d.name, schedule=_said(d.schedule)) for d in configured
        ]
        return Lines(tuple(lines))

    def unsubscribe(self, rest: str, user: str, *, admin: bool = False) -> Sayable:
        n = rest.strip().lstrip("#")
        if not n.isdigit():
            return Msg.of("subs.which", usage=USAGE)
        if self.store.remove_subscription(int(n), created_by=None if admin else user):
            return Msg.of("subs.unsubscribed", n=n)
        return Msg.of("subs.not_yours", n=n)

    def subscribe_clicked(self, req: Any) -> str:
        """The Subscribe button's handler (a ``bot.slack.handlers.SubscribeRequest``), said in
        the language of the answer it is under."""
        said = self.subscribe(
            req.channel,
            req.user,
            f"{BUTTON_SCHEDULE} {req.question}",
            today=req.today,
            scope=req.scope,
        )
        return say(req.answer.language if req.answer is not None else DEFAULT, said)


def _first(schedule: Schedule, now: datetime, zone: ZoneInfo) -> Msg:
    """When the first one is sent, in the subscriber's zone: ``Fri 28 Jun 09:00`` /
    ``6月28日（周五）09:00``."""
    nxt = schedule.next_after(now, zone).astimezone(zone)
    return Msg.of(
        "subs.first",
        wd=Word("weekdays", nxt.weekday()),
        day=f"{nxt.day:02d}",
        d=nxt.day,
        month=Word("months", nxt.month - 1),
        m=nxt.month,
        time=f"{nxt:%H:%M}",
    )


__all__ = ["COMMAND_WORDS", "USAGE", "Subscriptions", "slack_user_zones"]
