"""Per-lead activity facts, kept in every snapshot so lead KPIs never join activities at question
time.

``_kpibot_lead_facts`` (schema.LEAD_FACTS) is the Lead table with, for each lead, its first
response, response time in seconds, number of contact attempts and first and last attempt (its
converted contact is the Lead's own ConvertedContactId). The
definitions are the KPI spec's (docs/kpis-and-catalog.md): a lead's activities are the Tasks and
Events whose ``WhoId`` is the lead or its ``ConvertedContactId``, at or after the lead's
``CreatedDate``; a contact attempt is such a Task with ``TaskSubtype`` Call or Email. The response
time is a difference of epoch microseconds, so no time zone or calendar interval is involved.

How the table is kept current:

* a writer that starts empty (``demo``, ``load``) has it rebuilt whole when the snapshot is
  published (``snapshot.open_writer``);
* ``sync`` notes, in the same transaction as each merge (``stage.Stage.commit``), the ``who`` of
  every changed record: a Lead's Id, a Task's or Event's WhoId before and after the change (so an
  activity re-parented to a converted contact, or deleted, touches its old and its new lead). At
  publication only the leads named there, or whose converted contact is named there, are
  recomputed. A table replaced whole (a first or ``--full`` sync) notes "everything" instead.
"""

from __future__ import annotations

from typing import Protocol

from salesforce import schema

# The objects whose records a lead's facts read, and the column naming the lead (or contact).
WHO_COLUMN = {"Lead": "Id", "Task": "WhoId", "Event": "WhoId"}

PENDING = "_kpibot_lead_facts_pending"  # who ids changed since the last refresh; NULL: all


class Con(Protocol):
    def execute(self, query: str, parameters: object = ...) -> Con: ...
    def fetchone(self) -> tuple[object, ...] | None: ...


def _facts_select(leads_where: str) -> str:
    """Every column of the leads ``leads_where`` keeps (a predicate on "Lead" AS l), then their
    facts (schema.LEAD_FACT_FIELDS, in that order)."""
    return f"""
    SELECT any_value(COLUMNS(l.* EXCLUDE (who))),
           min(a.created) AS first_response,
           (epoch_us(min(a.created)) - epoch_us(any_value(l.CreatedDate))) / 1000000.0
             AS response_seconds,
           CAST(count(*) FILTER (WHERE a.attempt) AS INTEGER) AS attempts,
           min(a.created) FILTER (WHERE a.attempt) AS first_attempt,
           max(a.created) FILTER (WHERE a.attempt) AS last_attempt
    FROM (SELECT *, unnest([Id, ConvertedContactId]) AS who
          FROM "Lead" AS l WHERE {leads_where}) AS l
    LEFT JOIN (
        SELECT WhoId, CreatedDate AS created, TaskSubtype IN ('Call', 'Email') AS attempt
        FROM "Task" WHERE WhoId IS NOT NULL
        UNION ALL
        SELECT WhoId, CreatedDate, false FROM "Event" WHERE WhoId IS NOT NULL
    ) AS a ON a.WhoId = l.who AND a.created >= l.CreatedDate
    GROUP BY l.Id
    """


def _insert(con: Con, leads_where: str) -> None:
    con.execute(
        f'INSERT INTO "{schema.LEAD_FACTS}" BY NAME SELECT * FROM ({_facts_select(leads_where)}) '
        "ORDER BY CreatedDate, Id"
    )


def rebuild(con: Con) -> None:
    """Compute every lead's facts from scratch, ordered by lead creation (so a window on it reads
    only its part of the table)."""
    con.execute(f'DELETE FROM "{schema.LEAD_FACTS}"')
    _insert(con, "true")
    con.execute(f"DROP TABLE IF EXISTS {PENDING}")


def note_changes(
    con: Con, obj: str, stage: str, id_src: str, who_src: str | None, *, replace: bool
) -> None:
    """Before ``stage`` (text columns) is merged into ``obj``'s table: remember whose facts it
    changes — the who of each staged record as stored now and as staged. ``replace``: the table
    is replaced whole, so every lead is recomputed."""
    if obj not in WHO_COLUMN:
        return
    con.execute(f"CREATE TABLE IF NOT EXISTS {PENDING} (who VARCHAR)")
    if replace:
        con.execute(f"INSERT INTO {PENDING} VALUES (NULL)")
        return
    col = WHO_COLUMN[obj]
    con.execute(
        f'INSERT INTO {PENDING} SELECT o."{col}" FROM "{obj}" AS o '
        f'WHERE o.Id IN (SELECT NULLIF("{id_src}", \'\') FROM {stage}) AND o."{col}" IS NOT NULL'
    )
    if who_src is not None:
        con.execute(
            f"INSERT INTO {PENDING} SELECT DISTINCT NULLIF(\"{who_src}\", '') FROM {stage} "
            f"WHERE NULLIF(\"{who_src}\", '') IS NOT NULL"
        )


def refresh(con: Con) -> None:
    """Bring the facts up to date with the changes noted since the last refresh."""
    if not _exists(con, PENDING):
        return
    row = con.execute(f"SELECT count(*) FILTER (WHERE who IS NULL) FROM {PENDING}").fetchone()
    if row and row[0]:
        rebuild(con)
        return
    changed = f"(SELECT DISTINCT who FROM {PENDING})"
    con.execute(
        'CREATE OR REPLACE TEMP TABLE _kpibot_affected AS SELECT Id FROM "Lead" '
        f"WHERE Id IN {changed} OR ConvertedContactId IN {changed}"
    )
    affected = "(SELECT Id FROM _kpibot_affected)"
    con.execute(f'DELETE FROM "{schema.LEAD_FACTS}" WHERE Id IN {changed} OR Id IN {affected}')
    _insert(con, f"l.Id IN {affected}")
    con.execute("DROP TABLE _kpibot_affected")
    con.execute(f"DROP TABLE {PENDING}")


def bring_up_to_date(con: Con, *, fresh: bool) -> None:
    """At publication: rebuild for a snapshot that started empty (or lacks the table, e.g. one
    made by an older kpibot), else apply the noted changes."""
    if fresh or not _exists(con, schema.LEAD_FACTS):
        con.execute(schema.lead_facts_ddl())
        rebuild(con)
    else:
        refresh(con)


def _exists(con: Con, table: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [table]
    ).fetchone()
    return bool(row and row[0])
