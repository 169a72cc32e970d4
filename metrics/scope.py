"""Row-level access: whose records a person may see, worked out from the cache's people.

``access.rows`` in app.yaml picks the policy (docs/access.md):

* ``all``: everyone sees every record (the default; no filter is added to any query);
* ``hierarchy``: a Salesforce user sees records owned by themself and by every user whose role
  lies below theirs in the role hierarchy (``UserRole.ParentRoleId``), and with
  ``access.manager_reports`` also their direct and indirect ``User.ManagerId`` reports; roles named
  in ``access.all_roles`` and admins see everything;
* ``team``: ``access.teams`` names groups of Salesforce users (e-mails); a member sees the records
  of everyone in their teams.

The result is a ``Scope``: the visible owner ids (or None: all) and the names behind them. The
compiler filters every record set on it (``r.OwnerId`` in a bound list); the grammar offers only
the visible names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cache import owner_keys
from i18n import Msg, Sayable, plural

POLICIES = ("all", "hierarchy", "team")


@dataclass(frozen=True)
class Person:
    """A Salesforce User as the cache has it."""

    id: str
    name: str
    email: str
    role_id: str | None
    manager_id: str | None
    active: bool


@dataclass(frozen=True)
class People:
    """The org's users and role tree (role id → parent role id and name)."""

    users: tuple[Person, ...]
    role_parent: Mapping[str, str | None]
    role_name: Mapping[str, str]
    # user id → owner key, as the snapshot numbered them (cache/owner_keys.py; empty: none)
    keys: Mapping[str, int] = field(default_factory=dict)
    # What was worked out from these people (scope_of, by_email): they are one snapshot's, and
    # the bot asks the same of them for every question (0.16 ms a scope at 10M Tasks).
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def by_email(self, email: str) -> Person | None:
        """The user with this e-mail (case-insensitive), an active one before an inactive one."""
        index = self.memo.get("by_email")
        if index is None:
            found: dict[str, Person] = {}
            for u in sorted(self.users, key=lambda u: not u.active):  # stable: the active first
                found.setdefault(u.email.strip().lower(), u)
            index = self.memo["by_email"] = found
        person: Person | None = index.get(email.strip().lower())
        return person


@dataclass(frozen=True)
class RowPolicy:
    """``access.rows`` and its settings, as read from app.yaml."""

    rows: str = "all"
    all_roles: tuple[str, ...] = ()  # role names or ids whose users see every record
    manager_reports: bool = False  # hierarchy: also User.ManagerId reports (transitively)
    teams: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (team, members' e-mails)


@dataclass(frozen=True)
class Scope:
    """Whose records a question may read: ``owners`` None means every record."""

    owners: tuple[str, ...] | None
    names: tuple[str, ...] = ()  # the visible users' names, for suggestions
    # "your team: 3 people" / "你的团队（3 人）": said with answers, in the reader's language
    label: str | Sayable = "everyone"
    # The owners as runs of owner keys (first, last) when they are at most two runs: record sets
    # keeping owner keys then filter on those (metrics.catalog.SCOPE_RANGES); None: on the ids.
    ranges: tuple[tuple[int, int], ...] | None = None

    @property
    def restricted(self) -> bool:
        return self.owners is not None

    def range_params(self) -> dict[str, int]:
        """$scope_from … $scope_to2: the two runs of keys, an empty run (1 to 0) for one not
        used."""
        (a, b), (c, d) = (*(self.ranges or ()), (1, 0), (1, 0))[:2]
        return {"scope_from": a, "scope_to": b, "scope_from2": c, "scope_to2": d}


EVERYONE = Scope(None)
MAX_RANGES = 2  # runs of keys the row filter has room for (SCOPE_RANGES)


def load_people(cursor: Any) -> People:
    """The User and UserRole tables of the snapshot ``cursor`` reads."""
    users = tuple(
        Person(str(i), str(n or ""), str(e or ""), r, m, bool(a) if a is not None else True)
        for i, n, e, r, m, a in cursor.execute(
            'SELECT Id, Name, Email, UserRoleId, ManagerId, IsActive FROM "User" ORDER BY Id'
        ).fetchall()
    )
    roles = cursor.execute('SELECT Id, ParentRoleId, Name FROM "UserRole"').fetchall()
    return People(
        users,
        {str(i): (str(p) if p else None) for i, p, _ in roles},
        {str(i): str(n or "") for i, _, n in roles},
        owner_keys.load(cursor),
    )


def _below(parent: Mapping[str, str | None], role: str) -> set[str]:
    """Every role strictly below ``role`` (the tree is walked upwards from each role, so a
    cycle in bad data cannot loop)."""
    out = set()
    for r in parent:
        seen = {r}
        p = parent.get(r)
        while p is not None and p not in seen:
            if p == role:
                out.add(r)
                break
            seen.add(p)
            p = parent.get(p)
    return out


def _reports(users: Iterable[Person], me: str) -> set[str]:
    """Ids of ``me``'s direct and indirect ManagerId reports."""
    under: dict[str, list[str]] = {}
    for u in users:
        if u.manager_id:
            under.setdefault(u.manager_id, []).append(u.id)
    out: set[str] = set()
    todo = [me]
    while todo:
        for r in under.get(todo.pop(), []):
            if r not in out and r != me:
                out.add(r)
                todo.append(r)
    return out


def _label(key: str, n: int, **params: object) -> Msg:
    """Whose numbers these are, from the catalogue (``access.shown.*``), said in the reader's
    language where the answer is shown."""
    return plural(f"access.shown.{key}", n, **params)


def _scope(people: People, ids: set[str], label: Msg | None = None) -> Scope:
    names = tuple(sorted({u.name for u in people.users if u.id in ids and u.name}))
    if label is None:
        label = _label("yours", len(ids))
    owners = tuple(sorted(ids))
    runs = owner_keys.ranges(owners, people.keys)
    fits = runs is not None and len(runs) <= MAX_RANGES
    return Scope(owners, names, label, runs if fits else None)


def _role_id(people: People, role: str) -> str | None:
    """A role named by its id or its name (case-insensitive)."""
    if role in people.role_parent:
        return role
    want = role.strip().lower()
    return next((i for i, n in people.role_name.items() if n.strip().lower() == want), None)


def group_scope(people: People, policy: RowPolicy, group: str) -> Scope | None:
    """A channel's scope (``access.channels``): ``all``; under ``hierarchy`` a role and every
    role below it (by name or id); under ``team`` a team's members. None when ``group`` names
    nothing in the data."""
    if group.strip().lower() == "all" or policy.rows == "all":
        return EVERYONE
    if policy.rows == "team":
        members = dict(policy.teams).get(group)
        if members is None:
            return None
        emails = {e.strip().lower() for e in members}
        ids = {u.id for u in people.users if u.email.strip().lower() in emails}
        return _scope(people, ids, _label("team", len(ids), team=group))
    role = _role_id(people, group)
    if role is None:
        return None
    roles = _below(people.role_parent, role) | {role}
    ids = {u.id for u in people.users if u.role_id in roles}
    return _scope(people, ids, _label("role", len(ids), role=people.role_name.get(role, group)))


def narrower(people: People, mine: Scope, place: Scope) -> Scope:
    """What someone sees where others see it too: the records both scopes allow, said as the
    narrower one's ("your team" inside a wider channel, the channel's team inside a wider
    person's); an overlap of neither is said as such."""
    if mine.owners is None:
        return place
    if place.owners is None:
        return mine
    a, b = set(mine.owners), set(place.owners)
    if a <= b:
        return mine
    if b <= a:
        return place
    both = a & b
    return _scope(people, both, _label("both", len(both)))


def scope_of(people: People, user: Person, policy: RowPolicy, *, admin: bool = False) -> Scope:
    """The records ``user`` may see under ``policy`` (pure: the same people give the same scope,
    worked out once per people and kept with them)."""
    if policy.rows == "all" or admin:
        return EVERYONE
    key = ("scope", user, policy)
    kept: Scope | None = people.memo.get(key)
    if kept is None:
        kept = people.memo[key] = _scope_of(people, user, policy)
    return kept


def _scope_of(people: People, user: Person, policy: RowPolicy) -> Scope:
    if policy.rows == "team":
        email = user.email.strip().lower()
        mine = [
            {e.strip().lower() for e in members}
            for _, members in policy.teams
            if email in {e.strip().lower() for e in members}
        ]
        emails = set().union(*mine) if mine else {email}
        ids = {u.id for u in people.users if u.email.strip().lower() in emails} | {user.id}
        return _scope(people, ids)
    role = user.role_id
    if role is not None and (
        role in policy.all_roles or people.role_name.get(role) in policy.all_roles
    ):
        return EVERYONE
    roles = _below(people.role_parent, role) if role is not None else set()
    ids = {u.id for u in people.users if u.role_id in roles} | {user.id}
    if policy.manager_reports:
        ids |= _reports(people.users, user.id)
    return _scope(people, ids)
