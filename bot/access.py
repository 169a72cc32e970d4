"""Who may ask, and where the bot answers (``access`` in app.yaml).

``users`` entries are Slack user ids (``U…``/``W…``), emails (matched against
``users.info`` → ``profile.email``) or user groups (``S…`` ids or ``@handle``, expanded with
``usergroups.users.list``). ``channels`` entries are channel ids (``C…``/``G…``) or ``#names``.
Empty lists mean everyone / everywhere. DMs are always allowed to allowed users.

Look-ups are cached for ``ttl`` seconds so that a busy channel does not cost a Web API call
per question, while a change in a user group is picked up within minutes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import AccessSettings

log = logging.getLogger(__name__)

Verdict = Literal["ok", "user", "channel"]


@dataclass(frozen=True)
class Rules:
    user_ids: frozenset[str]
    emails: frozenset[str]
    groups: tuple[str, ...]  # S… ids or handles without "@"
    channel_ids: frozenset[str]
    channel_names: frozenset[str]

    @property
    def everyone(self) -> bool:
        return not (self.user_ids or self.emails or self.groups)

    @property
    def everywhere(self) -> bool:
        return not (self.channel_ids or self.channel_names)

    @staticmethod
    def of(settings: AccessSettings) -> Rules:
        ids, emails, groups = set(), set(), []
        for raw in settings.users:
            u = raw.strip()
            if "@" in u and not u.startswith("@"):
                emails.add(u.lower())
            elif u.startswith("@"):
                groups.append(u[1:].lower())
            elif u.startswith("S"):
                groups.append(u)
            else:
                ids.add(u)
        cids, cnames = set(), set()
        for raw in settings.channels:
            c = raw.strip()
            if c.startswith("#"):
                cnames.add(c[1:].lower())
            else:
                cids.add(c)
        return Rules(frozenset(ids), frozenset(emails), tuple(groups), frozenset(cids), frozenset(cnames))

    def scopes(self) -> list[str]:
        """The OAuth scopes these rules need beyond the bot's own (for the manifest)."""
        out = []
        if self.emails:
            out += ["users:read", "users:read.email"]
        if self.groups:
            out.append("usergroups:read")
        if self.channel_names:
            out += ["channels:read", "groups:read"]
        return out


class _TTLCache:
    def __init__(self, ttl: float, clock: Callable[[], float]):
        self.ttl = ttl
        self.clock = clock
        self._data: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, load: Callable[[], Any]) -> Any:
        now = self.clock()
        with self._lock:
            hit = self._data.get(key)
            if hit and now - hit[0] < self.ttl:
                return hit[1]
        value = load()  # outside the lock: a slow Slack call must not block other look-ups
        with self._lock:
            self._data[key] = (now, value)
        return value


class Access:
    def __init__(
        self,
        settings: AccessSettings,
        client: WebClient,
        *,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.rules = Rules.of(settings)
        self.client = client
        self._cache = _TTLCache(ttl, clock)

    def check(self, user: str, channel: str) -> Verdict:
        """"ok", or what is not allowed: the "user" or the "channel"."""
        if not self.user_allowed(user):
            return "user"
        if not self.channel_allowed(channel):
            return "channel"
        return "ok"

    def user_allowed(self, user: str) -> bool:
        r = self.rules
        if r.everyone or user in r.user_ids:
            return True
        if r.emails and self._email(user) in r.emails:
            return True
        return any(user in self._group_members(g) for g in r.groups)

    def channel_allowed(self, channel: str) -> bool:
        r = self.rules
        if r.everywhere or channel.startswith("D") or channel in r.channel_ids:
            return True
        return bool(r.channel_names) and self._channel_name(channel) in r.channel_names

    # Each look-up fails closed: if Slack cannot tell us, the rule does not match.

    def _email(self, user: str) -> str | None:
        def load() -> str | None:
            try:
                profile = self.client.users_info(user=user)["user"].get("profile", {})
            except SlackApiError as e:
                log.warning("users.info %s failed: %s", user, e.response.get("error"))
                return None
            email = profile.get("email")
            return str(email).lower() if email else None

        return self._cache.get("email:" + user, load)

    def _group_id(self, handle: str) -> str | None:
        if handle.startswith("S"):
            return handle

        def load() -> dict[str, str]:
            try:
                groups = self.client.usergroups_list()["usergroups"]
            except SlackApiError as e:
                log.warning("usergroups.list failed: %s", e.response.get("error"))
                return {}
            return {str(g.get("handle", "")).lower(): str(g["id"]) for g in groups}

        return self._cache.get("handles", load).get(handle)

    def _group_members(self, group: str) -> frozenset[str]:
        gid = self._group_id(group)
        if gid is None:
            return frozenset()

        def load() -> frozenset[str]:
            try:
                return frozenset(self.client.usergroups_users_list(usergroup=gid)["users"])
            except SlackApiError as e:
                log.warning("usergroups.users.list %s failed: %s", gid, e.response.get("error"))
                return frozenset()

        return self._cache.get("group:" + gid, load)

    def _channel_name(self, channel: str) -> str | None:
        def load() -> str | None:
            try:
                name = self.client.conversations_info(channel=channel)["channel"].get("name")
            except SlackApiError as e:
                log.warning("conversations.info %s failed: %s", channel, e.response.get("error"))
                return None
            return str(name).lower() if name else None

        return self._cache.get("channel:" + channel, load)
