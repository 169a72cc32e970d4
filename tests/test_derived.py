"""Derived tables (cache/derived.py: lead activity facts, stage visits, Tasks per day, Leads
per month, activities' accounts): built whole on publish, kept incrementally by the sync's merge,
and always equal to what the KPI spec says.

The property: start from a random org, publish it, then apply random changes the way ``sync``
merges a window (``stage.Stage.commit`` in a copying writer) — new and updated leads, activities
and opportunity history, conversions, activities re-parented to the converted contact or to
another account or opportunity, contacts and opportunities moved to another account, accounts
renamed, created and deleted, creation times moved, deletions — and publish again. The
incrementally kept tables must equal a full rebuild, and both must equal what is computed here in
plain Python from the records (the spec's definitions). Users move between roles too: every
table of owned records keeps its owner's key in the role tree's depth-first numbering
(cache/owner_keys.py), worked out here by hand.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cache import derived, owner_keys, schema
from cache.snapshot import open_writer
from salesforce.stage import Columns, Stage

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
OWNER = "005000000000001AAA"
USERS = [OWNER, "005000000000002AAA", "005000000000003AAA"]
STRANGER = "005000000000009AAA"  # owns records but is no User in the cache: no key
OWNERS = [*USERS[:2], STRANGER]
# The role tree: Sales above East and West. Depth first, siblings by name, each role's users
# (by Id) before the roles below it, users without a role last: Sales, East, West, none.
SALES, WEST, EAST = "00E00000000000AAAA", "00E00000000000BAAA", "00E00000000000CAAA"
ROLES = {SALES: ("Sales", None), WEST: ("West", SALES), EAST: ("East", SALES)}
ROLE_RANK = {SALES: 0, EAST: 1, WEST: 2, None: 3}
TZ = "Asia/Shanghai"  # UTC+8: local midnight is 16:00 UTC, inside the minutes the tests use
DISPOSITIONS = [
    ("Outbound", "Connected"),
    ("Outbound", "No Answer"),
    ("Inbound", None),
    (None, None),
]
LEADS = [f"00Q00000000000{i:02d}AAA" for i in range(8)]
CONTACTS = [f"0030000000000{i:02d}AAA" for i in range(4)]
SUBTYPES = ["Call", "Email", "Task", None]
OPPS = [f"0060000000000{i:02d}AAA" for i in range(3)]
ACCOUNTS = [f"0010000000000{i:02d}AAA" for i in range(3)]
NO_ACCOUNT = "001000000000099AAA"  # an AccountId naming no account (deleted, or never synced)
STAGES = ["Prospecting", "Qualification", "Closed Won"]


@dataclass
class Org:
    """The records as plain dicts (the model the expected facts are computed from)."""

    rows: dict[str, dict[str, dict[str, object]]] = field(
        default_factory=lambda: {
            "UserRole": {i: {"Id": i, "Name": n, "ParentRoleId": p} for i, (n, p) in ROLES.items()},
            "User": {u: _user(u, None) for u in USERS},
            "Lead": {},
            "Task": {},
            "Event": {},
            "OpportunityHistory": {},
            "Account": {},
            "Contact": {},
            "Opportunity": {},
        }
    )


def _user(uid: str, role: str | None) -> dict[str, object]:
    return {"Id": uid, "Name": uid, "UserRoleId": role, "IsActive": True}


def _stamp(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _lead(
    i: int, created: int, contact: int | None, source: str | None = None, owner: str = OWNER
) -> dict[str, object]:
    return {
        "Id": LEADS[i],
        "OwnerId": owner,
        "LeadSource": source,
        "Status": "Closed - Converted" if contact is not None else "Open",
        "IsConverted": contact is not None,
        "ConvertedContactId": CONTACTS[contact] if contact is not None else None,
        # every other converted lead made an opportunity
        "ConvertedOpportunityId": OPPS[contact % 2] if contact is not None else None,
        "CreatedDate": _stamp(created),
    }


def _activity(
    obj: str,
    n: int,
    who: str | None,
    created: int,
    subtype: str | None,
    owner: str = OWNER,
    call: tuple[str | None, str | None] = (None, None),
    what: str | None = None,
) -> dict:
    prefix = "00T" if obj == "Task" else "00U"
    rec: dict[str, object] = {
        "Id": f"{prefix}0000000000{n:03d}AAA",
        "WhoId": who,
        "WhatId": what,
        "OwnerId": owner,
        "CreatedDate": _stamp(created),
    }
    if obj == "Task":
        rec["TaskSubtype"] = subtype
        rec["CallType"], rec["CallDisposition"] = call
    return rec


def _history(n: int, opp: int, stage: str, created: int) -> dict[str, object]:
    return {
        "Id": f"0080000000000{n:02d}AAA",
        "OpportunityId": OPPS[opp],
        "StageName": stage,
        "CreatedDate": _stamp(created),
    }


def _account(i: int, name: str, created: int) -> dict[str, object]:
    return {"Id": ACCOUNTS[i], "Name": name, "CreatedDate": _stamp(created)}


def _contact(i: int, account: str | None, created: int) -> dict[str, object]:
    return {
        "Id": CONTACTS[i],
        "AccountId": account,
        "OwnerId": OWNER,
        "CreatedDate": _stamp(created),
    }


def _opportunity(i: int, account: str | None, created: int) -> dict[str, object]:
    return {
        "Id": OPPS[i],
        "Name": f"Deal {i}",
        "AccountId": account,
        "OwnerId": OWNER,
        "StageName": "Prospecting",
        "CloseDate": T0.date(),
        "IsClosed": False,
        "IsWon": False,
        "CreatedDate": _stamp(created),
    }


whos = st.one_of(st.none(), st.sampled_from(LEADS), st.sampled_from(CONTACTS))
account_ids = st.sampled_from([None, NO_ACCOUNT, *ACCOUNTS])
# an activity's WhatId: nothing, an account, an opportunity, or a record that does not exist
whats = st.one_of(st.none(), st.sampled_from([*ACCOUNTS, *OPPS, NO_ACCOUNT]))
minutes = st.integers(min_value=0, max_value=1800)  # 09:00 UTC + up to 30 h: three local days
leads = st.builds(
    _lead,
    st.integers(0, len(LEADS) - 1),
    # from 28 Feb 09:00 UTC: 1 Mar 00:00 in TZ (28 Feb 16:00 UTC) starts a month in between
    st.integers(min_value=-1800, max_value=1800),
    st.one_of(st.none(), st.integers(0, len(CONTACTS) - 1)),
    st.sampled_from([None, "Web", "Partner"]),
    st.sampled_from(OWNERS),
)
tasks = st.builds(
    lambda n, w, c, s, o, d, x: _activity("Task", n, w, c, s, o, d, x),
    st.integers(0, 12),
    whos,
    minutes,
    st.sampled_from(SUBTYPES),
    st.sampled_from(OWNERS),
    st.sampled_from(DISPOSITIONS),
    whats,
)
events = st.builds(
    lambda n, w, c, x: _activity("Event", n, w, c, None, what=x),
    st.integers(0, 12),
    whos,
    minutes,
    whats,
)
accounts = st.builds(
    _account, st.integers(0, len(ACCOUNTS) - 1), st.sampled_from(["Acme", "Globex"]), minutes
)
contacts = st.builds(_contact, st.integers(0, len(CONTACTS) - 1), account_ids, minutes)
opportunities = st.builds(_opportunity, st.integers(0, len(OPPS) - 1), account_ids, minutes)
histories = st.builds(
    _history, st.integers(0, 12), st.integers(0, len(OPPS) - 1), st.sampled_from(STAGES), minutes
)
users = st.builds(_user, st.sampled_from(USERS), st.sampled_from(sorted(ROLE_RANK, key=str)))
upserts = st.one_of(
    st.tuples(st.just("User"), users),  # a user moved to another role (or out of every role)
    st.tuples(st.just("Lead"), leads),
    st.tuples(st.just("OpportunityHistory"), histories),
    st.tuples(st.just("Task"), tasks),
    st.tuples(st.just("Event"), events),
    st.tuples(st.just("Account"), accounts),
    st.tuples(st.just("Contact"), contacts),
    st.tuples(st.just("Opportunity"), opportunities),
)
# a change: an upsert, or a deletion of the i-th record (of those there are) of an object
changes = st.one_of(
    upserts.map(lambda u: ("upsert", *u)),
    st.tuples(
        st.just("delete"),
        st.sampled_from(
            ["Lead", "Task", "Event", "OpportunityHistory", "Account", "Contact", "Opportunity"]
        ),
        st.integers(0, 99),
    ),
)


def _merge(con: duckdb.DuckDBPyConnection, writer: object, obj: str, recs: list[dict]) -> None:
    """Merge records (and deletions, as IsDeleted = true) exactly as a sync window is merged."""
    sobj = schema.BY_NAME[obj]
    cols = Columns(sobj, {c: c for c in sobj.field_names}, has_is_deleted=True)
    stage = Stage(con, cols)
    stage.reset()
    stage.add_records(recs)  # values as text, the way REST pages are staged
    stage.commit(
        writer,
        replace_table=False,
        previous_watermark=None,  # type: ignore[arg-type]
        refreshed_at=datetime.now(UTC),
        source="salesforce:test",
    )
    stage.drop()


def _publish_initial(db: Path, org: Org) -> None:
    with open_writer(db, source="fixture", fresh=True, tz=TZ) as w:
        for obj, recs in org.rows.items():
            for rec in recs.values():
                names = list(rec)
                w.con.execute(
                    f'INSERT INTO "{obj}" ({", ".join(names)}) VALUES '
                    f"({', '.join('?' for _ in names)})",
                    [rec[n] for n in names],
                )


def _apply(db: Path, org: Org, batch: list[tuple]) -> None:
    """One sync run: each change merged as its own window, then published."""
    with open_writer(db, source="salesforce:test", tz=TZ) as w:
        for change in batch:
            if change[0] == "upsert":
                _, obj, rec = change
                org.rows[obj][rec["Id"]] = rec
                _merge(w.con, w, obj, [rec])
            else:
                _, obj, i = change
                live = sorted(org.rows[obj])
                if not live:
                    continue
                rid = live[i % len(live)]
                del org.rows[obj][rid]
                _merge(w.con, w, obj, [{"Id": rid, "IsDeleted": True}])


def _expected(org: Org) -> set[tuple]:
    """The spec's facts, from the records in plain Python."""
    acts = [
        (r["WhoId"], r["CreatedDate"], r.get("TaskSubtype") in ("Call", "Email"))
        for obj in ("Task", "Event")
        for r in org.rows[obj].values()
        if r["WhoId"]
    ]
    out = set()
    for lead in org.rows["Lead"].values():
        who = {lead["Id"], lead["ConvertedContactId"]} - {None}
        mine = [(c, a) for w, c, a in acts if w in who and c >= lead["CreatedDate"]]
        tries = sorted(c for c, a in mine if a)
        first = min((c for c, _ in mine), default=None)
        seconds = (first - lead["CreatedDate"]).total_seconds() if first else None
        out.add(
            (
                lead["Id"],
                first,
                seconds,
                len(tries),
                tries[0] if tries else None,
                tries[-1] if tries else None,
            )
        )
    return out


def _expected_visits(org: Org) -> set[tuple]:
    """Finished stage visits: a visit starts where the stage changes and ends at the next
    change, in (CreatedDate, Id) order per opportunity."""
    out = set()
    for opp in OPPS:
        rows = sorted(
            (r["CreatedDate"], r["Id"], r["StageName"])
            for r in org.rows["OpportunityHistory"].values()
            if r["OpportunityId"] == opp
        )
        starts = [(c, s) for i, (c, _, s) in enumerate(rows) if i == 0 or rows[i - 1][2] != s]
        for (start, stage), (end, _) in zip(starts, starts[1:], strict=False):
            out.add((opp, stage, start, end, (end - start).total_seconds() / 86400))
    return out


def _expected_days(org: Org) -> set[tuple]:
    """Tasks counted per local day (TZ), owner, subtype, call type and disposition."""
    zone = ZoneInfo(TZ)
    counts = Counter(
        (
            r["CreatedDate"].astimezone(zone).date(),  # type: ignore[union-attr]
            TZ,
            r["OwnerId"],
            r.get("TaskSubtype"),
            r.get("CallType"),
            r.get("CallDisposition"),
        )
        for r in org.rows["Task"].values()
    )
    return {(*k, n) for k, n in counts.items()}


def _expected_months(org: Org) -> set[tuple]:
    """Leads counted per local month (TZ), owner, source, status and conversion."""
    zone = ZoneInfo(TZ)
    counts = Counter(
        (
            r["CreatedDate"].astimezone(zone).date().replace(day=1),  # type: ignore[union-attr]
            TZ,
            r["OwnerId"],
            r["LeadSource"],
            r["Status"],
            r["IsConverted"],
            r["ConvertedOpportunityId"] is not None,
        )
        for r in org.rows["Lead"].values()
    )
    return {(*k, n) for k, n in counts.items()}


def _expected_accounts(org: Org) -> set[tuple]:
    """Each activity's account (Salesforce's Task.AccountId rule): WhatId's account — an
    account, or an opportunity's — else the WhoId contact's; only accounts that exist."""
    accounts = org.rows["Account"]

    def of(account_id: object) -> tuple | None:
        return (account_id, accounts[account_id]["Name"]) if account_id in accounts else None

    what = {a: of(a) for a in accounts} | {
        o: of(r["AccountId"]) for o, r in org.rows["Opportunity"].items()
    }
    who = {c: of(r["AccountId"]) for c, r in org.rows["Contact"].items()}
    out = set()
    for obj in ("Task", "Event"):
        for r in org.rows[obj].values():
            found = what.get(r["WhatId"]) or who.get(r["WhoId"])
            if found:
                out.add((r["Id"], r["CreatedDate"], *found))
    return out


VISITS = "OpportunityId, StageName, started, ended, days"
ACCOUNTS_COLS = "Id, CreatedDate, AccountId, AccountName"
MONTHS = "month, tz, OwnerId, LeadSource, Status, IsConverted, converted, n"
DAYS = "day, tz, OwnerId, TaskSubtype, CallType, CallDisposition, n"
FACTS = "Id, first_response, response_seconds, attempts, first_attempt, last_attempt"


def _expected_order(org: Org) -> list[str]:
    """The users in key order: Sales, East, West, no role; by Id within one."""
    order = sorted(org.rows["User"].values(), key=lambda u: (ROLE_RANK[u["UserRoleId"]], u["Id"]))
    return [str(u["Id"]) for u in order]


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> set[tuple]:
    return {
        tuple(v.astimezone(UTC) if isinstance(v, datetime) else v for v in row)
        for row in con.execute(sql).fetchall()
    }


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    initial=st.lists(upserts, min_size=10, max_size=30),
    batches=st.lists(st.lists(changes, min_size=1, max_size=8), min_size=1, max_size=3),
)
def test_incremental_upkeep_equals_rebuild(tmp_path_factory, initial, batches) -> None:
    db = tmp_path_factory.mktemp("facts") / "kpibot.duckdb"
    org = Org()
    for obj, rec in initial:
        org.rows[obj][rec["Id"]] = rec
    _publish_initial(db, org)
    for batch in batches:
        _apply(db, org, batch)
    con = duckdb.connect(str(db), read_only=True)
    kept = _rows(con, f'SELECT {FACTS} FROM "{schema.LEAD_FACTS}"')
    facts, visits, days, months, activity_accounts = derived.DERIVED
    rebuilt = _rows(con, f"SELECT {FACTS} FROM ({facts.select('true')})")
    kept_days = _rows(con, f'SELECT {DAYS} FROM "{schema.TASK_DAYS}"')
    rebuilt_days = _rows(con, f"SELECT {DAYS} FROM ({derived._zoned(days.select('true'), TZ)})")
    kept_months = _rows(con, f'SELECT {MONTHS} FROM "{schema.LEAD_MONTHS}"')
    rebuilt_months = _rows(
        con, f"SELECT {MONTHS} FROM ({derived._zoned(months.select('true'), TZ)})"
    )
    # each month's span is its first and next first midnight in TZ (UTC+8, no DST)
    spans = _rows(con, f'SELECT month, month_start, month_end FROM "{schema.LEAD_MONTHS}"')
    kept_visits = _rows(con, f'SELECT {VISITS} FROM "{schema.STAGE_VISITS}"')
    kept_accounts = con.execute(
        f'SELECT {ACCOUNTS_COLS} FROM "{schema.ACTIVITY_ACCOUNTS}"'
    ).fetchall()
    rebuilt_accounts = _rows(
        con, f"SELECT {ACCOUNTS_COLS} FROM ({activity_accounts.select('true')})"
    )
    rebuilt_visits = _rows(con, f"SELECT {VISITS} FROM ({visits.select('true')})")
    lead_cols = _rows(con, f'SELECT {", ".join(schema.BY_NAME["Lead"].field_names)} FROM "Lead"')
    kept_cols = _rows(
        con, f'SELECT {", ".join(schema.BY_NAME["Lead"].field_names)} FROM "{schema.LEAD_FACTS}"'
    )
    leftover = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [derived.PENDING]
    ).fetchone()
    numbered = _rows(con, f'SELECT Id, key FROM "{owner_keys.KEYS}"')
    keyed = {
        t: _rows(con, f'SELECT DISTINCT OwnerId, "{owner_keys.COLUMN}" FROM "{t}"')
        for t in owner_keys.KEYED
    }
    con.close()
    keys = dict(numbered)
    assert [i for i, _ in sorted(numbered, key=lambda p: p[1])] == _expected_order(org)
    for t, pairs in keyed.items():  # rows kept incrementally and rebuilt rows alike
        assert pairs == {(o, keys.get(o)) for o, _ in pairs}, t
    assert kept == rebuilt
    assert kept == _expected(org)
    assert kept_cols == lead_cols  # every lead once, with its own record as it is now
    assert leftover == (0,)
    assert kept_visits == rebuilt_visits == _expected_visits(org)
    assert kept_days == rebuilt_days == _expected_days(org)
    assert kept_months == rebuilt_months == _expected_months(org)
    assert len(kept_accounts) == len(set(kept_accounts))  # one row per activity at most
    kept_set = {(i, c.astimezone(UTC), a, n) for i, c, a, n in kept_accounts}
    assert kept_set == rebuilt_accounts == _expected_accounts(org)
    for month, start, end in spans:
        nxt = (month + timedelta(days=32)).replace(day=1)
        assert start == datetime(month.year, month.month, 1, tzinfo=UTC) - timedelta(hours=8)
        assert end == datetime(nxt.year, nxt.month, 1, tzinfo=UTC) - timedelta(hours=8)


def test_full_sync_window_rebuilds(tmp_path: Path) -> None:
    """A table replaced whole (first or --full sync) recomputes every lead."""
    db = tmp_path / "kpibot.duckdb"
    org = Org()
    org.rows["Lead"][LEADS[0]] = _lead(0, 0, None)
    _publish_initial(db, org)
    task = _activity("Task", 1, LEADS[0], 90, "Call")
    with open_writer(db, source="salesforce:test") as w:
        sobj = schema.BY_NAME["Task"]
        stage = Stage(w.con, Columns(sobj, {c: c for c in sobj.field_names}, False))
        stage.reset()
        stage.add_records([task])
        stage.commit(
            w,
            replace_table=True,
            previous_watermark=None,
            refreshed_at=datetime.now(UTC),
            source="salesforce:test",
        )
        stage.drop()
    con = duckdb.connect(str(db), read_only=True)
    row = con.execute(f'SELECT attempts, response_seconds FROM "{schema.LEAD_FACTS}"').fetchone()
    con.close()
    # one Call 90 minutes after the lead: 1 attempt, 90 × 60 = 5400 s
    assert row == (1, 5400.0)


def test_days_follow_the_org_time_zone(tmp_path: Path) -> None:
    """A writer given another zone than the table's rebuilds the days in it; one given none
    keeps the table's."""
    db = tmp_path / "kpibot.duckdb"
    org = Org()
    org.rows["Task"]["t"] = _activity("Task", 1, None, 7 * 60 + 30, "Call")  # 16:30 UTC
    _publish_initial(db, org)  # in TZ: 00:30 on March 2

    def days() -> list[tuple]:
        con = duckdb.connect(str(db), read_only=True)
        try:
            return con.execute(f'SELECT day, tz, n FROM "{schema.TASK_DAYS}"').fetchall()
        finally:
            con.close()

    assert days() == [(datetime(2026, 3, 2).date(), TZ, 1)]
    with open_writer(db, source="salesforce:test"):
        pass
    assert days() == [(datetime(2026, 3, 2).date(), TZ, 1)]
    with open_writer(db, source="salesforce:test", tz="UTC"):
        pass
    assert days() == [(datetime(2026, 3, 1).date(), "UTC", 1)]


def test_an_activity_account_follows_its_contact_and_what(tmp_path: Path) -> None:
    """A sync that moves a contact to another account, or re-parents an activity from an
    opportunity to nothing, moves the activity's account with it."""
    db = tmp_path / "kpibot.duckdb"
    org = Org()
    for i, name in enumerate(["Acme", "Globex"]):
        org.rows["Account"][ACCOUNTS[i]] = _account(i, name, 0)
    org.rows["Contact"][CONTACTS[0]] = _contact(0, ACCOUNTS[0], 0)
    org.rows["Opportunity"][OPPS[0]] = _opportunity(0, ACCOUNTS[1], 0)
    call = _activity("Task", 1, CONTACTS[0], 10, "Call")  # through its contact: Acme
    meeting = _activity("Event", 2, CONTACTS[0], 20, None, what=OPPS[0])  # the deal's: Globex
    org.rows["Task"][call["Id"]] = call
    org.rows["Event"][meeting["Id"]] = meeting
    _publish_initial(db, org)

    def accounts() -> dict[object, object]:
        con = duckdb.connect(str(db), read_only=True)
        try:
            sql = f'SELECT Id, AccountName FROM "{schema.ACTIVITY_ACCOUNTS}"'
            return dict(con.execute(sql).fetchall())
        finally:
            con.close()

    assert accounts() == {call["Id"]: "Acme", meeting["Id"]: "Globex"}
    # the contact moves to Globex; the meeting leaves its deal (its contact's account remains)
    _apply(db, org, [("upsert", "Contact", _contact(0, ACCOUNTS[1], 0))])
    assert accounts() == {call["Id"]: "Globex", meeting["Id"]: "Globex"}
    moved = {**meeting, "WhatId": None}
    renamed = _account(1, "Globex Ltd", 0)
    _apply(db, org, [("upsert", "Account", renamed), ("upsert", "Event", moved)])
    assert accounts() == {call["Id"]: "Globex Ltd", meeting["Id"]: "Globex Ltd"}
    _apply(db, org, [("upsert", "Contact", _contact(0, None, 0))])
    assert accounts() == {}
