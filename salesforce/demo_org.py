"""The demo org's generator: what to build (``DemoSpec``), and ``DemoOrg``, which holds the
random generator, the id sequences and the people, and appends each chunk of records to the
snapshot, with the Arrow helpers the record modules (demo_pipeline, demo_activity) share.

Same arguments, same data: every random draw comes from one ``numpy.random.Generator`` seeded
from (today, scale, time zone, fiscal start) (salesforce/demo.py builds in a fixed order).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pyarrow as pa

from cache import schema
from salesforce import demo_story as story
from salesforce.demo_clock import DAY, HOUR
from salesforce.demo_ids import IdSequence

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class DemoSpec:
    today: date
    scale: float = 1.0
    timezone: str = "UTC"
    fiscal_year_start_month: int = 1

    def seed(self) -> int:
        key = "|".join(
            (
                self.today.isoformat(),
                repr(self.scale),
                self.timezone,
                str(self.fiscal_year_start_month),
            )
        )
        return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")

    @property
    def as_of(self) -> datetime:
        """The demo's "data as of": --today at the end of the working day, org time."""
        return datetime(
            self.today.year,
            self.today.month,
            self.today.day,
            story.WORK_HOURS[1],
            tzinfo=ZoneInfo(self.timezone),
        )


def pool(values: tuple[str, ...] | list[str]) -> pa.Array:
    return pa.array(list(values), pa.string())


def take(values: pa.Array, idx: np.ndarray) -> pa.Array:
    return values.take(pa.array(idx, pa.int64()))


def ts(local_seconds: np.ndarray) -> pa.Array:
    """Local wall-clock seconds → Arrow timestamp without zone (converted on insert)."""
    return pa.array(local_seconds.astype("datetime64[s]"))


def dates(local_seconds: np.ndarray) -> pa.Array:
    return pa.array((local_seconds // DAY).astype("datetime64[D]"))


def masked(values: pa.Array | np.ndarray, null: np.ndarray) -> pa.Array:
    """``values`` with nulls where ``null`` is true."""
    arr = values if isinstance(values, pa.Array) else pa.array(values)
    return pa.compute.if_else(pa.array(null), pa.nulls(len(arr), arr.type), arr)


@dataclass(frozen=True)
class _Hierarchy:
    roles: dict[str, str]  # role name → UserRole.Id
    managers: dict[bool, str]  # inbound? → the manager's User.Id


@dataclass
class People:
    """The sales team and the accounts and contacts outbound reps prospect into."""

    user_ids: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))
    inbound: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    response_hours: np.ndarray = field(default_factory=lambda: np.zeros(0))
    follow_up: np.ndarray = field(default_factory=lambda: np.zeros(0))
    account_ids: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))
    account_names: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))
    contact_ids: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))
    contact_account: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def team(self, inbound: bool) -> np.ndarray:
        return np.flatnonzero(self.inbound == inbound)


class DemoOrg:
    """Generates the records, in a fixed order, and appends them to the snapshot."""

    def __init__(self, con: duckdb.DuckDBPyConnection, spec: DemoSpec, progress: Progress | None):
        self.con = con
        self.spec = spec
        self.rng = np.random.default_rng(spec.seed())
        self.progress = progress
        self.ids = {name: IdSequence(name) for name in schema.BY_NAME}
        self.today = int(np.datetime64(spec.today, "D").astype(np.int64))
        self.first_day = self.today - story.HISTORY_DAYS + 1
        self.as_of = self.today * DAY + story.WORK_HOURS[1] * HOUR
        self.people = People()
        self.names = pool(_person_names())
        self.companies = pool(_company_names())

    # -- output -------------------------------------------------------------------------------

    def append(self, obj: str, data: dict[str, pa.Array | np.ndarray]) -> None:
        """Insert one chunk; datetimes arrive as local wall-clock time and are stored as UTC."""
        n = len(data["Id"])
        if n == 0:
            return
        table = pa.table(
            {k: (v if isinstance(v, pa.Array) else pa.array(v)) for k, v in data.items()}
        )
        exprs = []
        for f in schema.BY_NAME[obj].fields:
            if f.name not in data:
                exprs.append("NULL")
            elif f.type == schema.DATETIME:
                exprs.append(f'timezone($tz, "{f.name}")')
            else:
                exprs.append(f'"{f.name}"')
        names = ", ".join(f'"{n}"' for n in schema.BY_NAME[obj].field_names)  # not the owner key
        self.con.register("_demo_chunk", table)
        try:
            self.con.execute(
                f'INSERT INTO "{obj}" ({names}) SELECT {", ".join(exprs)} FROM _demo_chunk',
                {"tz": self.spec.timezone},
            )
        finally:
            self.con.unregister("_demo_chunk")
        if self.progress is not None:
            self.progress(obj, n)

    # -- records ----------------------------------------------------------------------------

    def add_users(self) -> None:
        teams = max(1, round(self.spec.scale))
        names, emails, depts, resp, follow = [], [], [], [], []
        for t in range(teams):
            for i, rep in enumerate(story.REPS):
                if t == 0:
                    names.append(rep.name)
                    emails.append(f"{rep.email}@demo.kpibot.dev")
                    resp.append(rep.response_hours)
                    follow.append(rep.follow_up)
                else:
                    k = t * len(story.REPS) + i
                    first = story.EXTRA_FIRST[k % len(story.EXTRA_FIRST)]
                    last = story.EXTRA_LAST[(k // len(story.EXTRA_FIRST)) % len(story.EXTRA_LAST)]
                    names.append(f"{first} {last} {t + 1}")
                    emails.append(f"rep{t + 1}.{i + 1}@demo.kpibot.dev")
                    # Only the first team has the standout rep.
                    resp.append(max(rep.response_hours, 2.4))
                    follow.append(min(rep.follow_up, 0.84))
                depts.append(rep.department)
        n = len(names)
        created = (self.first_day - 400 + np.arange(n)) * DAY + 10 * HOUR
        ids = self.ids["User"].take(n)
        lead = self.add_hierarchy(created[0], teams)
        inbound = [d == story.INBOUND for d in depts]
        team_of = [story.team_role(d, i // len(story.REPS)).name for i, d in enumerate(depts)]
        self.append(
            "User",
            {
                "Id": ids,
                "Name": pool(names),
                "Email": pool(emails),
                "Department": pool(depts),
                "IsActive": np.ones(n, bool),
                "UserRoleId": pool([lead.roles[t] for t in team_of]),
                "ManagerId": pool([lead.managers[d] for d in inbound]),
                "CreatedDate": ts(created),
                "SystemModstamp": ts(created),
            },
        )
        p = self.people
        p.user_ids = ids
        p.inbound = np.array([d == story.INBOUND for d in depts])
        p.response_hours = np.array(resp)
        p.follow_up = np.array(follow)

    def add_hierarchy(self, created: int, teams: int) -> _Hierarchy:
        """The role tree VP Sales → Inbound / Outbound Manager → one role per team ("Outbound
        Team", "Outbound Team 2" …), with one user as VP and one per manager role (they own no
        records). Returns the role ids by name and, for inbound True / False, the manager."""
        team_roles = [
            story.team_role(dept, t)
            for t in range(teams)
            for dept in (story.INBOUND, story.OUTBOUND)
        ]
        all_roles = [*story.ROLES, *team_roles]
        roles = self.ids["UserRole"].take(len(all_roles)).to_pylist()
        role_id = dict(zip((r.name for r in all_roles), roles, strict=True))
        stamp = ts(np.full(len(roles), created))
        self.append(
            "UserRole",
            {
                "Id": pa.array(roles),
                "Name": pool([r.name for r in all_roles]),
                "ParentRoleId": pa.array(
                    [role_id.get(r.parent or "") for r in all_roles], pa.string()
                ),
                "CreatedDate": stamp,
                "SystemModstamp": stamp,
            },
        )
        users = self.ids["User"].take(len(story.MANAGERS)).to_pylist()
        user_id = dict(zip((m.role for m in story.MANAGERS), users, strict=True))
        stamp = ts(np.full(len(users), created))
        self.append(
            "User",
            {
                "Id": pa.array(users),
                "Name": pool([m.name for m in story.MANAGERS]),
                "Email": pool([f"{m.email}@demo.kpibot.dev" for m in story.MANAGERS]),
                "IsActive": np.ones(len(users), bool),
                "UserRoleId": pool([role_id[m.role] for m in story.MANAGERS]),
                "ManagerId": pa.array(
                    [user_id.get(m.reports_to or "") for m in story.MANAGERS], pa.string()
                ),
                "CreatedDate": stamp,
                "SystemModstamp": stamp,
            },
        )
        return _Hierarchy(
            roles=role_id,
            managers={True: user_id["Inbound Manager"], False: user_id["Outbound Manager"]},
        )

    def add_target_accounts(self) -> None:
        rng, p = self.rng, self.people
        n = max(1, round(story.TARGET_ACCOUNTS * self.spec.scale))
        ids = self.ids["Account"].take(n)
        names = take(self.companies, rng.integers(0, len(self.companies), n))
        outbound = p.team(False)
        owner = outbound[rng.integers(0, len(outbound), n)]
        created = (self.first_day - rng.integers(30, 900, n)) * DAY + rng.integers(9, 18, n) * HOUR
        self.append(
            "Account",
            {
                "Id": ids,
                "Name": names,
                "Industry": take(pool(story.INDUSTRIES), rng.integers(0, len(story.INDUSTRIES), n)),
                "OwnerId": take(p.user_ids, owner),
                "CreatedDate": ts(created),
                "SystemModstamp": ts(created),
            },
        )
        p.account_ids, p.account_names = ids, names
        acc = np.repeat(np.arange(n), 2)
        m = len(acc)
        cids = self.ids["Contact"].take(m)
        self.append(
            "Contact",
            {
                "Id": cids,
                "Name": take(self.names, rng.integers(0, len(self.names), m)),
                "AccountId": take(ids, acc),
                "OwnerId": take(p.user_ids, owner[acc]),
                "Email": _emails(cids),
                "CreatedDate": ts(created[acc] + HOUR),
                "SystemModstamp": ts(created[acc] + HOUR),
            },
        )
        p.contact_ids, p.contact_account = cids, acc


def _emails(ids: pa.Array) -> pa.Array:
    return pa.compute.binary_join_element_wise(
        pa.compute.utf8_lower(ids), pa.scalar("@example.com"), ""
    )


def _person_names() -> list[str]:
    out = []
    for last in story.PERSON_LAST:
        for first in story.PERSON_FIRST:
            cjk = not last.isascii() and not first.isascii()
            out.append(f"{last}{first}" if cjk else f"{first} {last}")
    return out


def _company_names() -> list[str]:
    out = []
    for word in story.COMPANY_WORDS:
        for kind in story.COMPANY_KINDS:
            out.append(
                f"{word}{kind}" if not word.isascii() and not kind.isascii() else f"{word} {kind}"
            )
    return out


def last_quarter_start(today: date, fiscal_start_month: int) -> date:
    """First day of the fiscal quarter before the one holding ``today``."""
    months_in = (today.month - fiscal_start_month) % 3
    start_month = today.month - months_in
    year = today.year
    start_month -= 3
    while start_month < 1:
        start_month += 12
        year -= 1
    return date(year, start_month, 1)
