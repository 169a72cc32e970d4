"""Tables derived from the objects and kept in every snapshot, so no question recomputes them:
each lead's activity facts, opportunities' finished stage visits, Tasks per day, Leads per month
and each activity's account.

``_kpibot_lead_facts`` (schema.LEAD_FACTS) is the Lead table with, for each lead, its first
response, response time in seconds, number of contact attempts and first and last attempt. The
definitions are the KPI spec's (docs/kpis-and-catalog.md): a lead's activities are the Tasks and
Events whose ``WhoId`` is the lead or its ``ConvertedContactId``, at or after the lead's
``CreatedDate``; a contact attempt is such a Task with ``TaskSubtype`` Call or Email. The
response time is a difference of epoch microseconds, so no time zone or calendar interval is
involved.

``_kpibot_stage_visits`` (schema.STAGE_VISITS) has one row per finished stage visit read from
OpportunityHistory: a visit starts where StageName changes and ends at the next change.

``_kpibot_task_days`` (schema.TASK_DAYS) counts Tasks per day, owner, subtype, call type and
disposition; ``_kpibot_lead_months`` (schema.LEAD_MONTHS) counts Leads per month, owner, lead
source, status and conversion. Their days and months are in the time zone the writer was given
(the org's, ``timezone:`` in app.yaml; a writer given none keeps the zone the table already has,
else UTC), written on every row, so a reader in another zone knows not to use it
(metrics/rollups.py).

``_kpibot_activity_accounts`` (schema.ACTIVITY_ACCOUNTS) has each Task's and Event's account by
Salesforce's Task.AccountId rule (the account its WhatId names, or the WhatId opportunity's, else
its WhoId contact's), with the account's name and the activity's CreatedDate, so `calls by
account` is one join on the window's activities instead of two lookups through accounts,
opportunities and contacts per question.

How they are kept current:

* a writer that starts empty (``demo``, ``load``) has them rebuilt whole when the snapshot is
  published (``snapshot.open_writer``);
* ``sync`` notes, in the same transaction as each merge (``stage.Stage.commit``), the key of
  every changed record as stored before and as staged: a Lead's Id or a Task's or Event's WhoId
  (so an activity re-parented to a converted contact, or deleted, touches its old and new lead),
  an OpportunityHistory row's OpportunityId, a Task's CreatedDate (its day), a Lead's
  CreatedDate (its month), the Id of a Task, Event, Contact, Opportunity or Account (the
  activities on it, or behind it, get their account again: a contact moved to another account
  moves its activities). At publication only the rows of those keys are recomputed. A table
  replaced whole (a first or ``--full`` sync) notes "everything" instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cache import schema

PENDING = "_kpibot_derived_pending"  # (derived table, changed key); a NULL key: everything


class Con(Protocol):
    def execute(self, query: str, parameters: object = ...) -> Con: ...
    def fetchone(self) -> tuple[object, ...] | None: ...


@dataclass(frozen=True)
class Derived:
    table: str
    ddl: Callable[[], str]
    keys: dict[str, str]  # object whose changes matter → its column naming the changed key
    affected: str  # SELECT of the row keys to recompute, from the changed keys {changed}
    key_column: str  # the derived table's column holding a row key
    select: Callable[[str], str]  # the rows of the keys a SQL predicate keeps ({tz}: the zone)
    order: str


def _lead_facts(leads_where: str) -> str:
    """Every column of the leads ``leads_where`` keeps (a predicate on "Lead" AS l), then their
    facts (schema.LEAD_FACT_FIELDS, in that order)."""
    where = leads_where.replace("{key}", "l.Id")
    # The registry's Lead columns only: a Data Export or sync may add custom ones (Region__c),
    # which the facts table does not have.
    cols = ", ".join(f'l."{f.name}"' for f in schema.BY_NAME["Lead"].fields)
    return f"""
    SELECT any_value(COLUMNS(l.* EXCLUDE (who))),
           min(a.created) AS first_response,
           (epoch_us(min(a.created)) - epoch_us(any_value(l.CreatedDate))) / 1000000.0
             AS response_seconds,
           CAST(count(*) FILTER (WHERE a.attempt) AS INTEGER) AS attempts,
           min(a.created) FILTER (WHERE a.attempt) AS first_attempt,
           max(a.created) FILTER (WHERE a.attempt) AS last_attempt
    FROM (SELECT {cols}, unnest([Id, ConvertedContactId]) AS who
          FROM "Lead" AS l WHERE {where}) AS l
    LEFT JOIN (
        SELECT WhoId, CreatedDate AS created, TaskSubtype IN ('Call', 'Email') AS attempt
        FROM "Task" WHERE WhoId IS NOT NULL
        UNION ALL
        SELECT WhoId, CreatedDate, false FROM "Event" WHERE WhoId IS NOT NULL
    ) AS a ON a.WhoId = l.who AND a.created >= l.CreatedDate
    GROUP BY l.Id
    """


def _stage_visits(where: str) -> str:
    """Finished stage visits of the opportunities ``where`` keeps (a predicate on {key})."""
    where = where.replace("{key}", "OpportunityId")
    return f"""
    SELECT OpportunityId, StageName, started, ended,
           (epoch_us(ended) - epoch_us(started)) / 86400000000.0 AS days
    FROM (
      SELECT OpportunityId, StageName, CreatedDate AS started,
             lead(CreatedDate) OVER (PARTITION BY OpportunityId ORDER BY CreatedDate, Id) AS ended
      FROM (
        SELECT OpportunityId, StageName, CreatedDate, Id,
               lag(StageName) OVER (PARTITION BY OpportunityId ORDER BY CreatedDate, Id) AS before
        FROM "OpportunityHistory" WHERE {where}
      ) AS h
      WHERE before IS NULL OR before <> StageName
    ) AS v
    WHERE ended IS NOT NULL
    """


# A CreatedDate's ({t}) day and month in the zone {tz}: the keys of the tables of days and months.
_DAY_OF = "CAST(timezone({tz}, {t}) AS DATE)"
_MONTH_OF = "CAST(date_trunc('month', timezone({tz}, {t})) AS DATE)"
_DAY = _DAY_OF.replace("{t}", "CreatedDate")
_MONTH = _MONTH_OF.replace("{t}", "CreatedDate")


def _changed_periods(period_of: str) -> str:
    """The days or months (``period_of``) of the changed CreatedDates, as stored and as staged."""
    key = period_of.replace("{t}", "TRY_CAST(key AS TIMESTAMPTZ)")
    return f"SELECT DISTINCT {key} FROM {{changed}} WHERE key IS NOT NULL"


def _task_days(where: str) -> str:
    """Tasks counted per day in the zone {tz}, owner and call columns, of the days ``where``
    keeps (a predicate on {key}, the day)."""
    where = where.replace("{key}", _DAY)
    return f"""
    SELECT {_DAY} AS day, {{tz}} AS tz, OwnerId, TaskSubtype, CallType, CallDisposition,
           count(*) AS n
    FROM "Task" WHERE CreatedDate IS NOT NULL AND {where}
    GROUP BY ALL
    """


def _lead_months(where: str) -> str:
    """Leads counted per month in the zone {tz}, owner, source, status and conversion, of the
    months ``where`` keeps (a predicate on {key}, the month's first day)."""
    where = where.replace("{key}", _MONTH)
    return f"""
    SELECT month, {{tz}} AS tz,
           timezone({{tz}}, CAST(month AS TIMESTAMP)) AS month_start,
           timezone({{tz}}, CAST(month AS TIMESTAMP) + INTERVAL 1 MONTH) AS month_end,
           OwnerId, LeadSource, Status, IsConverted, converted, n
    FROM (
      SELECT {_MONTH} AS month, OwnerId, LeadSource, Status, IsConverted,
             ConvertedOpportunityId IS NOT NULL AS converted, count(*) AS n
      FROM "Lead" WHERE CreatedDate IS NOT NULL AND {where}
      GROUP BY ALL
    ) AS m
    """


def _counted(
    table: str, ddl: str, obj: str, period_of: str, column: str, select: Callable[[str], str]
) -> Derived:
    """A rollup counting ``obj``'s records per day or month (``period_of``) of their
    CreatedDate. Its rows to recompute are the periods of the stored and of the staged
    CreatedDate: a record moved to another period touches both."""
    return Derived(
        table=table,
        ddl=lambda: ddl,
        keys={obj: "CreatedDate"},
        affected=_changed_periods(period_of),
        key_column=column,
        select=select,
        order=f"{column}, OwnerId",
    )


def _activity_accounts(where: str) -> str:
    """Each Task's and Event's account, of the activities ``where`` keeps (a predicate on {key},
    the activity's Id): Salesforce's Task.AccountId rule — the account its WhatId names (an
    account, or an opportunity's account), else the account of the contact its WhoId names.
    Only accounts that exist count; an activity with none has no row."""
    where = where.replace("{key}", "r.Id")
    return f"""
    SELECT r.Id, r.CreatedDate, coalesce(what.AccountId, who.AccountId) AS AccountId,
           CASE WHEN what.AccountId IS NOT NULL THEN what.Name ELSE who.Name END AS AccountName
    FROM (SELECT Id, CreatedDate, WhatId, WhoId FROM "Task"
          UNION ALL SELECT Id, CreatedDate, WhatId, WhoId FROM "Event") AS r
    LEFT JOIN (SELECT Id, Id AS AccountId, Name FROM "Account"
               UNION ALL
               SELECT o.Id, a.Id, a.Name FROM "Opportunity" AS o
               JOIN "Account" AS a ON a.Id = o.AccountId) AS what ON what.Id = r.WhatId
    LEFT JOIN (SELECT c.Id, a.Id AS AccountId, a.Name FROM "Contact" AS c
               JOIN "Account" AS a ON a.Id = c.AccountId) AS who ON who.Id = r.WhoId
    WHERE {where} AND coalesce(what.AccountId, who.AccountId) IS NOT NULL
    """


# The activities whose account a change of these Ids may change: an activity itself (moved to
# another WhatId or WhoId, deleted), the record it names, or an account behind that record.
_ACTIVITIES_TOUCHED = """
SELECT Id FROM (
  SELECT Id, WhatId, WhoId FROM "Task" UNION ALL SELECT Id, WhatId, WhoId FROM "Event"
) AS r
WHERE Id IN {changed} OR WhatId IN {changed} OR WhoId IN {changed}
   OR WhatId IN (SELECT Id FROM "Opportunity" WHERE AccountId IN {changed})
   OR WhoId IN (SELECT Id FROM "Contact" WHERE AccountId IN {changed})
"""


DERIVED: tuple[Derived, ...] = (
    Derived(
        table=schema.LEAD_FACTS,
        ddl=schema.lead_facts_ddl,
        keys={"Lead": "Id", "Task": "WhoId", "Event": "WhoId"},
        affected='SELECT Id FROM "Lead" WHERE Id IN {changed} OR ConvertedContactId IN {changed}',
        key_column="Id",
        select=_lead_facts,
        order="CreatedDate, Id",
    ),
    Derived(
        table=schema.STAGE_VISITS,
        ddl=lambda: schema.STAGE_VISITS_DDL,
        keys={"OpportunityHistory": "OpportunityId"},
        affected="SELECT * FROM {changed}",
        key_column="OpportunityId",
        select=_stage_visits,
        order="ended, OpportunityId, started",
    ),
    *(
        _counted(table, ddl, obj, period_of, column, select)
        for table, ddl, obj, period_of, column, select in (
            (schema.TASK_DAYS, schema.TASK_DAYS_DDL, "Task", _DAY_OF, "day", _task_days),
            (schema.LEAD_MONTHS, schema.LEAD_MONTHS_DDL, "Lead", _MONTH_OF, "month", _lead_months),
        )
    ),
    Derived(
        table=schema.ACTIVITY_ACCOUNTS,
        ddl=lambda: schema.ACTIVITY_ACCOUNTS_DDL,
        # Ids are unique across objects, so one set of changed keys serves them all; an
        # account's own change (created, deleted, renamed) reaches its opportunities' and
        # contacts' activities.
        keys={"Task": "Id", "Event": "Id", "Contact": "Id", "Opportunity": "Id", "Account": "Id"},
        affected=_ACTIVITIES_TOUCHED,
        key_column="Id",
        select=_activity_accounts,
        order="CreatedDate, Id",
    ),
)


def _zoned(sql: str, tz: str) -> str:
    """``sql`` with {tz} as a string literal (a zone name from app.yaml, quotes doubled)."""
    return sql.replace("{tz}", "'" + tz.replace("'", "''") + "'")


def _insert(con: Con, d: Derived, where: str, tz: str) -> None:
    select = _zoned(d.select(where), tz)
    con.execute(f'INSERT INTO "{d.table}" BY NAME SELECT * FROM ({select}) ORDER BY {d.order}')


def rebuild(con: Con, d: Derived, tz: str = "UTC") -> None:
    """Compute the table from scratch, in its order (so a window reads only its part)."""
    con.execute(f'DELETE FROM "{d.table}"')
    _insert(con, d, "true", tz)


def zone_of(con: Con, d: Derived) -> str | None:
    """The time zone a derived table's days are in (None: it has none, or no rows)."""
    if not _has_column(con, d.table, "tz"):
        return None
    row = con.execute(f'SELECT tz FROM "{d.table}" LIMIT 1').fetchone()
    return str(row[0]) if row and row[0] is not None else None


def note_changes(
    con: Con, obj: str, stage: str, id_src: str, sources: dict[str, str | None], *, replace: bool
) -> None:
    """Before ``stage`` (text columns, Salesforce field names) is merged into ``obj``'s table:
    remember whose derived rows it changes, by the key each staged record has as stored now and
    as staged. ``sources``: cache column → staged field (None: not fetched). ``replace``: the
    table is replaced whole, so every row is recomputed."""
    for d in DERIVED:
        col = d.keys.get(obj)
        if col is None:
            continue
        con.execute(f"CREATE TABLE IF NOT EXISTS {PENDING} (tbl VARCHAR, key VARCHAR)")
        if replace:
            con.execute(f"INSERT INTO {PENDING} VALUES (?, NULL)", [d.table])
            continue
        con.execute(
            f'INSERT INTO {PENDING} SELECT ?, o."{col}" FROM "{obj}" AS o '
            f"WHERE o.Id IN (SELECT NULLIF(\"{id_src}\", '') FROM {stage}) "
            f'AND o."{col}" IS NOT NULL',
            [d.table],
        )
        src = sources.get(col)
        if src is not None:
            con.execute(
                f"INSERT INTO {PENDING} SELECT DISTINCT ?, NULLIF(\"{src}\", '') FROM {stage} "
                f"WHERE NULLIF(\"{src}\", '') IS NOT NULL",
                [d.table],
            )


def refresh(con: Con, d: Derived, tz: str = "UTC") -> None:
    """Bring ``d`` up to date with the changes noted since it was last refreshed."""
    row = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE key IS NULL) FROM {PENDING} WHERE tbl = ?",
        [d.table],
    ).fetchone()
    if not row or not row[0]:
        return
    if row[1]:
        rebuild(con, d, tz)
        return
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _kpibot_changed AS "
        f"SELECT DISTINCT key FROM {PENDING} WHERE tbl = ?",
        [d.table],
    )
    changed = "(SELECT key FROM _kpibot_changed)"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _kpibot_affected AS "
        + _zoned(d.affected.replace("{changed}", changed), tz)
    )
    affected = "(SELECT * FROM _kpibot_affected)"
    key = f'"{d.key_column}"'
    # A key that is gone (a deleted lead) is only among the changed ones, as text.
    con.execute(
        f'DELETE FROM "{d.table}" WHERE CAST({key} AS VARCHAR) IN {changed} OR {key} IN {affected}'
    )
    _insert(con, d, f"{{key}} IN {affected}", tz)
    con.execute("DROP TABLE _kpibot_changed")
    con.execute("DROP TABLE _kpibot_affected")


def bring_up_to_date(con: Con, *, fresh: bool, tz: str | None = None) -> None:
    """At publication: rebuild every derived table for a snapshot that started empty (or lacks
    it, e.g. one made by an older kpibot), else apply the noted changes. ``tz``: the org's time
    zone for tables of days (None: the zone such a table has, else UTC); a table of days in
    another zone than ``tz`` is rebuilt."""
    for d in DERIVED:
        had = None if fresh or not exists(con, d.table) else zone_of(con, d)
        zone = tz or had or "UTC"
        if fresh or not exists(con, d.table) or (had is not None and had != zone):
            con.execute(d.ddl())
            rebuild(con, d, zone)
        elif exists(con, PENDING):
            refresh(con, d, zone)
    con.execute(f"DROP TABLE IF EXISTS {PENDING}")


def missing(con: Con) -> list[str]:
    """The derived tables a snapshot lacks (one published by an older kpibot)."""
    return [d.table for d in DERIVED if not exists(con, d.table)]


def exists(con: Con, table: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [table]
    ).fetchone()
    return bool(row and row[0])


def _has_column(con: Con, table: str, column: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = ? "
        "AND NOT internal",
        [table, column],
    ).fetchone()
    return bool(row and row[0])
