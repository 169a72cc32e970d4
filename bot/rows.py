"""Row-level access for a person in a place: their e-mail → the Salesforce User → the records
they may see, narrowed to what everyone in the channel may see (``access.channels``).

The policy is ``access.rows`` in app.yaml (metrics.scope, docs/access.md). Under ``all`` nobody
is looked up: every answer is computed from every record, as before row-level access existed.
``Scopes`` is used by the Slack gate (bot/slack/router.py) for every request and by digests,
alerts and subscriptions at send time (bot/digests/scheduler.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.config import AppConfig
from i18n import Language, Msg
from metrics.errors import UserError
from metrics.scope import EVERYONE, People, Scope, group_scope, load_people, narrower, scope_of


class NoScope(UserError):
    """No row-level scope for a person in a place: said in the reader's language (the
    catalogue's ``access.*`` messages); ``message`` is the English, for logs and the audit."""

    def __init__(self, key: str, **params: object):
        self.msg = Msg.of(f"access.{key}", **params)
        super().__init__(self.msg.say(Language.EN))


NO_USER = (
    "{email} is not an active Salesforce user in kpibot's data, so it cannot tell whose numbers "
    "you may see; ask your Salesforce admin to give your Salesforce user this e-mail address "
    "(it takes effect after the next sync)."
)


def scope_for_email(cfg: AppConfig, cursor: Any, email: str) -> Scope:
    """The records the person with ``email`` may see; UserError when they are no known user."""
    policy = cfg.access.row_policy()
    if policy.rows == "all":
        return EVERYONE
    people = load_people(cursor)
    user = people.by_email(email)
    if user is None or not user.active:
        raise UserError(NO_USER.format(email=email.strip() or "That e-mail"))
    admin = email.strip().lower() in {a.strip().lower() for a in cfg.access.admins}
    return scope_of(people, user, policy, admin=admin)


def scoped(scope: Scope) -> dict[str, Scope]:
    """Keyword arguments passing ``scope`` to a backend call: none when it is everyone, so plug-in
    backends without row-level access (KPIBOT_BACKEND) keep working under ``access.rows: all``."""
    return {"scope": scope} if scope.restricted else {}


class Scopes:
    """Whose records an answer may show, for a Slack user (or nobody: app.yaml's digests) in a
    place: a DM or no channel is the person's scope; a channel is the narrower of the person's
    and the channel's. Worked out afresh from the cache each time, so a user moved to another
    role sees the new scope after the next sync; raises UserError with the sentence to say."""

    def __init__(
        self,
        cfg: AppConfig,
        people: Callable[[], People],
        email_of: Callable[[str], str | None],
        *,
        is_admin: Callable[[str], bool] = lambda user: False,
        channel_name: Callable[[str], str | None] = lambda channel: None,
    ):
        self.policy = cfg.access.row_policy()
        self.admins = {a.strip().lower() for a in cfg.access.admins}
        self.channels = {k.strip(): v for k, v in cfg.access.channel_scopes().items()}
        self.people = people
        self.email_of = email_of
        self.is_admin = is_admin
        self.channel_name = channel_name

    @property
    def restricted(self) -> bool:
        return self.policy.rows != "all"

    def of_user(self, user: str) -> Scope:
        if not self.restricted or self.is_admin(user):
            return EVERYONE
        email = self.email_of(user)
        if not email:
            raise NoScope("no_slack_email")
        people = self.people()
        person = people.by_email(email)
        if person is None or not person.active:
            raise NoScope("no_match", email=email)
        return scope_of(people, person, self.policy, admin=email.lower() in self.admins)

    def of_channel(self, channel: str) -> Scope:
        if not self.restricted:
            return EVERYONE
        group = self.channels.get(channel)
        if group is None and channel[:1] in ("C", "G"):
            name = self.channel_name(channel)
            group = self.channels.get(f"#{name}") if name else None
        if group is None:
            raise NoScope("no_channel_scope")
        scope = group_scope(self.people(), self.policy, group)
        if scope is None:
            raise NoScope("bad_channel_scope", group=group)
        return scope

    def at(self, user: str | None, channel: str) -> Scope:
        """The scope of an answer ``user`` (None: nobody, app.yaml's digests) gets in
        ``channel`` ("" or a DM: personal)."""
        if not self.restricted:
            return EVERYONE
        if not channel or channel.startswith("D"):
            if user is None:
                raise NoScope("no_channel_scope")
            return self.of_user(user)
        place = self.of_channel(channel)
        if user is None:
            return place
        scope = narrower(self.people(), self.of_user(user), place)
        if scope.owners == ():
            raise NoScope("no_overlap")
        return scope
