"""Who a Slack user is in Salesforce: their e-mail, matched to a Salesforce User.

The e-mail comes from ``access.identities`` in app.yaml (Slack user id → Salesforce e-mail, for
people whose Slack and Salesforce e-mails differ) or else from Slack's ``users.info``
(``profile.email``, scope ``users:read.email``). Slack's answer is kept in the state database
(table ``slack_identities``, SQLite or PostgreSQL) for ``access.identity_ttl`` seconds, so every
replica shares it and a busy channel costs no Web API call per question; an e-mail changed in
Slack counts within the TTL. When Slack cannot be asked, a kept e-mail is used however old, and
without one the person is nobody (access fails closed).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.access import Access
from bot.config import AppConfig
from bot.rows import Scopes
from bot.state_connection import StateDB
from cache.snapshot import CacheMissing
from metrics.errors import ConfigError
from metrics.scope import People, group_scope

log = logging.getLogger(__name__)


class SlackIdentities:
    def __init__(
        self,
        db: StateDB,
        client: Any,
        *,
        overrides: Mapping[str, str] | None = None,
        ttl: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ):
        self.db = db
        self.client = client
        self.overrides = {k.strip(): v.strip() for k, v in (overrides or {}).items()}
        self.ttl = ttl
        self.clock = clock

    def email(self, user: str) -> str | None:
        """The Salesforce e-mail of Slack user ``user``, or None when there is none to match."""
        if user in self.overrides:
            return self.overrides[user]
        row = self.db.one(
            "SELECT email, fetched_at FROM slack_identities WHERE user_id = ?", (user,)
        )
        now = self.clock()
        if row is not None and now - float(row["fetched_at"]) < self.ttl:
            return _email(row["email"])
        try:
            profile = self.client.users_info(user=user)["user"].get("profile") or {}
        except (SlackApiError, SlackClientError, OSError) as e:
            error = e.response.get("error") if isinstance(e, SlackApiError) else e
            log.warning("users.info %s failed (%s); %s", user, error, "kept" if row else "none")
            return None if row is None else _email(row["email"])
        email = _email(profile.get("email"))
        self.db.execute(
            "INSERT INTO slack_identities (user_id, email, fetched_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, "
            "fetched_at = excluded.fetched_at",
            (user, email, now),
        )
        return email


def _email(value: Any) -> str | None:
    return str(value).strip().lower() if value and str(value).strip() else None


def check_row_access(config: AppConfig, backend: Any) -> Callable[[], People] | None:
    """The backend's reader of the org's users, which a restricted ``access.rows`` needs
    (ConfigError without one: a plug-in backend); channel scopes that name no role or team in
    the current data are logged (the data may change before anyone asks there)."""
    people = getattr(backend, "people", None)
    if config.access.rows == "all":
        return people
    if people is None:
        raise ConfigError(
            [f"access.rows: {config.access.rows} needs the real engine (it reads the org's users)"],
            "KPIBOT_BACKEND",
        )
    try:
        found = people()
    except CacheMissing:
        return people  # no data yet: the first question after the first sync tells
    policy = config.access.row_policy()
    for channel, group in config.access.channel_scopes().items():
        if group_scope(found, policy, group) is None:
            log.warning(
                'access.channels: %s has the scope "%s", which names no role or team in the '
                "data; nobody is answered there until it does",
                channel,
                group,
            )
    return people


def slack_scopes(
    config: AppConfig, backend: Any, state: StateDB, client: Any, access: Access | None = None
) -> Scopes:
    """Row-level access for Slack: a Slack user's e-mail → their Salesforce user's records,
    narrowed to the channel's (bot/rows.py). ``access`` tells admins and channel names (the
    bot's gate has one; ``kpibot digest run`` makes one on ``client``)."""
    people = check_row_access(config, backend)
    access = access or Access(config.access, client)
    identities = SlackIdentities(
        state, client, overrides=config.access.identities, ttl=config.access.identity_ttl
    )
    return Scopes(
        config,
        people or (lambda: People((), {}, {})),
        identities.email,
        is_admin=access.is_admin,
        channel_name=access.channel_name,
    )
