"""Row-level access for a person: their e-mail → the Salesforce User → the records they may see.

The policy is ``access.rows`` in app.yaml (metrics.scope, docs/access.md). Under ``all`` nobody
is looked up: every answer is computed from every record, as before row-level access existed.
"""

from __future__ import annotations

from typing import Any

from bot.config import AppConfig
from metrics.errors import ConfigError, UserError
from metrics.scope import EVERYONE, Scope, load_people, scope_of

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


def refuse_unscoped_delivery(cfg: AppConfig, what: str) -> None:
    """Slack and digests do not know who reads them yet (docs/access.md, Not done yet): with a
    restricted ``access.rows`` they refuse to start rather than show everyone every record."""
    if cfg.access.rows != "all":
        raise ConfigError(
            [
                f"access.rows: {cfg.access.rows} is applied by `kpibot ask --as` only so far; "
                f"{what} would show every record to everyone, so it does not start (set "
                "access.rows: all to run it unfiltered)."
            ],
            "app.yaml",
        )
