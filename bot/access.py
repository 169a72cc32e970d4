"""Who may ask, and where the bot answers (``access`` in app.yaml).

``users`` entries are Slack user ids (``U…``/``W…``), emails (matched against
``users.info`` → ``profile.email``) or user groups (``S…`` ids or ``@handle``, expanded with
``usergroups.users.list``). ``channels`` entries are channel ids (``C…``/``G…``) or ``#names``.
Empty lists mean everyone / everywhere. DMs, the App Home and modals (no channel) are always
allowed to allowed users. ``admins`` are written like ``users``; an admin is an allowed user who
may also list and stop everyone's subscriptions (no admins when the list is empty).

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
class People:
    """A list of people as written in app.yaml: ids, emails, user groups."""

    user_ids: frozenset[str]
    emails: frozenset[str]
    groups: tuple[str, ...]  # S… ids or handles without "@"

    @property
    def nobody(self) -> bool:
        return not (self.user_ids or self.emails or self.groups)

    @staticmethod
    def of(entries: list[str]) -> People:
        ids, emails, groups = set(), set(), []
        for raw in entries:
            u = raw.strip()
            if "@" in u and not u.startswith("@"):
                emails.add(u.lower())
            elif u.startswith("@"):
                groups.append(u[1:].lower())
            elif u.startswith("S"):
                groups.append(u)
            else:
                ids.add(u)
        return People(frozenset(ids), frozenset(emails), tuple(groups))


@dataclass(frozen=True)
class Rules:
    users: People
    admins: People
    channel_ids: frozenset[str]
    channel_names: frozenset[str]
    rows_restricted: bool = False  # row-level access: every asker is matched by e-mail

    @property
    def everyone(self) -> bool:
        return self.users.nobody

    @property
    def everywhere(self) -> bool:
        return not (self.channel_ids or self.channel_names)

    @staticmethod
    def of(settings: AccessSettings) -> Rules:
        cids, cnames = set(), set()
        for raw in settings.channels:
            c = raw.strip()
            if c.startswith("#"):
                cnames.add(c[1:].lower())
            else:
                cids.add(c)
        return Rules(
            People.of(settings.users),
            People.of(settings.admins),
            frozenset(cids),
            frozenset(cnames),
            settings.rows != "all",
        )

    def scopes(self) -> list[str]:
        """The OAuth scopes these rules need beyond the bot's own (for the manifest)."""
        out = []
        if self.users.emails or self.admins.emails or self.rows_restricted:
            out += ["users:read", "users:read.email"]
        if self.users.groups or self.admins.groups:
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
        """ "ok", or what is not allowed: the "user" or the "channel" ("" for no channel)."""
        if not self.user_allowed(user):
            return "user"
        if not self.channel_allowed(channel):
            return "channel"
        return "ok"

    def allowed(self, user: str, channel: str) -> bool:
        return self.check(user, channel) == "ok"

    def user_allowed(self, user: str) -> bool:
        if not user:
            return False
        return self.rules.everyone or self.is_admin(user) or self._listed(user, self.rules.users)

    def is_admin(self, user: str) -> bool:
        return bool(user) and self._listed(user, self.rules.admins)

    def _listed(self, user: str, people: People) -> bool:
        if user in people.user_ids:
            return True
        if people.emails and self._email(user) in people.emails:
            return True
        return any(user in self._group_members(g) for g in people.groups)

    def channel_name(self, channel: str) -> str | None:
        """The channel's name without "#" (looked up, cached; None when Slack cannot tell)."""
        return self._channel_name(channel)

    def channel_allowed(self, channel: str) -> bool:
        r = self.rules
        if r.everywhere or not channel or channel.startswith("D") or channel in r.channel_ids:
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
