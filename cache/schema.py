"""The cache's tables, each owned by one source: today one per Salesforce object, fields under
their API names.

This table is the single description of the cache layout. The Data Export loader, the demo org,
the Salesforce sync and the metrics compiler all read it; docs/cache.md is written from it.
Every table names the source that owns (writes) it, so a writer can replace its own tables and
leave the others' as they are: a Data Export replaces the ``salesforce`` tables only.

Types follow Salesforce's: datetimes are ``TIMESTAMPTZ`` (instants, stored in UTC), dates are
``DATE``, checkboxes ``BOOLEAN``, currency ``DECIMAL(18,2)``. Deleted records are never stored:
the loader drops ``IsDeleted = true`` rows and the sync deletes them, so no table has
``IsDeleted``.
"""

from __future__ import annotations

from dataclasses import dataclass

# Salesforce field type → DuckDB column type.
ID = "VARCHAR"
TEXT = "VARCHAR"
DATETIME = "TIMESTAMPTZ"
DATE = "DATE"
BOOL = "BOOLEAN"
MONEY = "DECIMAL(18,2)"
INT = "INTEGER"
NUMBER = "DOUBLE"  # a number column the schema does not list (a custom field)


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool = False  # a Data Export without this column is refused
    doc: str = ""


# The sources that own cache tables.
SALESFORCE = "salesforce"
SOURCES = "sources"  # the data sources of app.yaml's sources: (kpibot import), beside Salesforce


@dataclass(frozen=True)
class SObject:
    """One cache table: a Salesforce object, or a table another source brings in."""

    name: str
    fields: tuple[Field, ...]
    # The field an incremental sync advances on (SystemModstamp, else CreatedDate).
    watermark: str = "SystemModstamp"
    doc: str = ""
    owner: str = SALESFORCE  # the source that writes this table
    # Read only by a setting that is off by default (e.g. access.rows: hierarchy reads UserRole):
    # an export without its file is not warned about unless that setting is on.
    needed_by: str = ""

    @property
    def table(self) -> str:
        return self.name

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def ddl(self, table: str | None = None, *, if_not_exists: bool = False) -> str:
        # No PRIMARY KEY on Id: DuckDB keeps such an index in its buffer pool while a table is
        # filled, and one of 50M Task Ids outgrew the loader's memory cap. The writers keep Ids
        # unique instead (load checks them, sync replaces records by Id; docs/cache.md).
        cols = ",\n  ".join(f'"{f.name}" {f.type}' for f in self.fields)
        create = "CREATE TABLE IF NOT EXISTS" if if_not_exists else "CREATE TABLE"
        return f'{create} "{table or self.table}" (\n  {cols}\n)'


def _common(*extra: Field) -> tuple[Field, ...]:
    return (
        Field("Id", ID, required=True, doc="18-character Salesforce id"),
        *extra,
        Field("CreatedDate", DATETIME, required=True),
        Field("SystemModstamp", DATETIME),
    )


OBJECTS: tuple[SObject, ...] = (
    SObject(
        "User",
        _common(
            Field("Name", TEXT, required=True, doc="shown as the rep"),
            Field("Email", TEXT),
            Field("Department", TEXT, doc="team, e.g. Outbound / Inbound"),
            Field("IsActive", BOOL),
            Field("UserRoleId", ID, doc="place in the role hierarchy (row-level access)"),
            Field("ManagerId", ID, doc="the user's manager (row-level access, optional)"),
        ),
        doc="Sales reps; Rep = a record's OwnerId shown as User.Name.",
    ),
    SObject(
        "Account",
        _common(
            Field("Name", TEXT, required=True),
            Field("Industry", TEXT),
            Field("OwnerId", ID),
        ),
    ),
    SObject(
        "Contact",
        _common(
            Field("Name", TEXT),
            Field("AccountId", ID),
            Field("OwnerId", ID),
            Field("Email", TEXT),
            Field("LeadSource", TEXT),
        ),
    ),
    SObject(
        "Lead",
        _common(
            Field("Name", TEXT),
            Field("Company", TEXT),
            Field("OwnerId", ID, required=True),
            Field("LeadSource", TEXT),
            Field("Status", TEXT),
            Field("IsConverted", BOOL, required=True),
            Field("ConvertedDate", DATE),
            Field("ConvertedOpportunityId", ID),
            Field("ConvertedContactId", ID),
            Field("ConvertedAccountId", ID),
        ),
    ),
    SObject(
        "Opportunity",
        _common(
            Field("Name", TEXT, required=True),
            Field("AccountId", ID),
            Field("OwnerId", ID, required=True),
            Field("LeadSource", TEXT),
            Field("StageName", TEXT, required=True),
            Field("Type", TEXT),
            Field("Amount", MONEY),
            Field("CloseDate", DATE, required=True),
            Field("IsClosed", BOOL, required=True),
            Field("IsWon", BOOL, required=True),
        ),
    ),
    SObject(
        "OpportunityHistory",
        _common(
            Field("OpportunityId", ID, required=True),
            Field("StageName", TEXT, required=True),
            Field("Amount", MONEY),
            Field("CloseDate", DATE),
        ),
        doc="One row per change of an opportunity; time in stage is derived from it.",
    ),
    SObject(
        "Task",
        _common(
            Field("WhoId", ID, doc="lead or contact"),
            Field("WhatId", ID),
            Field("OwnerId", ID, required=True),
            Field("Subject", TEXT),
            Field("TaskSubtype", TEXT, doc="Call, Email, Task, …"),
            Field("Type", TEXT),
            Field("CallType", TEXT, doc="Inbound, Outbound, Internal"),
            Field("CallDisposition", TEXT),
            Field("CallDurationInSeconds", INT),
            Field("ActivityDate", DATE),
            Field("Status", TEXT),
        ),
    ),
    SObject(
        "Event",
        _common(
            Field("WhoId", ID),
            Field("WhatId", ID),
            Field("OwnerId", ID, required=True),
            Field("Subject", TEXT),
            Field("Type", TEXT, doc="Meeting, Demo, …"),
            Field("StartDateTime", DATETIME),
            Field("EndDateTime", DATETIME),
            Field("ActivityDate", DATE),
        ),
    ),
    SObject(
        "UserRole",
        _common(
            Field("Name", TEXT, required=True),
            Field("ParentRoleId", ID, doc="the role above; empty at the top"),
        ),
        doc="The role hierarchy: who sees whose records under access.rows: hierarchy.",
        needed_by="access.rows: hierarchy",
    ),
)

BY_NAME: dict[str, SObject] = {o.name: o for o in OBJECTS}

# Tables the data sources beside Salesforce fill (app.yaml sources:, `kpibot import`). Each source
# names the table it fills and which of its columns become these fields; the KPIs that read them
# (CAC, quota attainment, …) are catalog entries. The tables always exist, empty until imported,
# so the catalog's start-up check plans against them with or without sources; a Data Export and a
# sync replace the Salesforce tables only and leave these as they are.
_REP = (  # a rep, linked to a User by Id, email or name (app.yaml sources: rep:)
    Field("rep", TEXT, required=True, doc="the rep as the source wrote it (Id, email or name)"),
    Field("rep_id", ID, doc="the User it links to; empty when it matches no User"),
)
SOURCE_TABLES: tuple[SObject, ...] = (
    SObject(
        "marketing_spend",
        (
            Field(
                "date",
                DATE,
                required=True,
                doc="the day the money was spent (or its month's first day)",
            ),
            Field("channel", TEXT, required=True, doc="a channel of app.yaml's channels:"),
            Field("amount", MONEY, required=True, doc="spend in the org currency"),
            Field("source", TEXT, doc="the source that brought the row in"),
        ),
        watermark="date",
        doc="Marketing spend by channel and day or month; CAC divides it by new customers won.",
        owner=SOURCES,
    ),
    SObject(
        "quota",
        (
            *_REP,
            Field("period_start", DATE, required=True, doc="first day of the quota period"),
            Field("period_end", DATE, doc="last day of the quota period"),
            Field("amount", MONEY, required=True, doc="revenue the rep is to win in the period"),
            Field("source", TEXT),
        ),
        watermark="period_start",
        doc="Sales quota by rep and period (month, quarter or year).",
        owner=SOURCES,
    ),
    SObject(
        "call_target",
        (
            *_REP,
            Field("calls_per_day", "DOUBLE", required=True, doc="outbound calls a workday"),
            Field("source", TEXT),
        ),
        watermark="rep",
        doc="Outbound calls each rep is to make a workday (the calls dashboard's gauge targets).",
        owner=SOURCES,
    ),
)

# Every cache table, whichever source owns it.
TABLES: tuple[SObject, ...] = OBJECTS + SOURCE_TABLES
TABLE_BY_NAME: dict[str, SObject] = {o.name: o for o in TABLES}


def owned_by(owner: str) -> tuple[SObject, ...]:
    """The tables one source writes, in registry order."""
    return tuple(o for o in TABLES if o.owner == owner)


# Bookkeeping tables, one row per object and one per snapshot. Names start with an underscore so
# they can never collide with a Salesforce object.
META_OBJECTS = "_kpibot_objects"
META_SNAPSHOT = "_kpibot_snapshot"
META_LABELS = "_kpibot_labels"
META_PICKLISTS = "_kpibot_picklist_labels"
PICKLIST_LABELS_DDL = f"""CREATE TABLE IF NOT EXISTS {META_PICKLISTS} (
  object VARCHAR NOT NULL,
  field VARCHAR NOT NULL,
  value VARCHAR NOT NULL,           -- as stored in the records
  label VARCHAR NOT NULL,           -- as the org shows it, in its language (已赢单)
  PRIMARY KEY (object, field, value)
)"""
META_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {META_OBJECTS} (
  object VARCHAR PRIMARY KEY,
  source VARCHAR NOT NULL,          -- 'demo', 'export:<path>', 'salesforce:<instance>'
  refreshed_at TIMESTAMPTZ NOT NULL,-- when this object's data was last brought in
  row_count BIGINT NOT NULL,
  watermark TIMESTAMPTZ             -- sync: the highest SystemModstamp/CreatedDate seen
)""",
    f"""CREATE TABLE IF NOT EXISTS {META_SNAPSHOT} (
  created_at TIMESTAMPTZ NOT NULL,  -- when this snapshot was published
  source VARCHAR NOT NULL,
  data_as_of TIMESTAMPTZ NOT NULL   -- the oldest refreshed_at of its objects
)""",
    f"""CREATE TABLE IF NOT EXISTS {META_LABELS} (
  object VARCHAR NOT NULL,
  field VARCHAR NOT NULL,           -- '' for the object's own label
  label VARCHAR NOT NULL,           -- in the org's language, as its describe gives it
  reference VARCHAR,                -- a lookup field's target object
  PRIMARY KEY (object, field)
)""",
    PICKLIST_LABELS_DDL,
)


# Derived from the objects when a snapshot is published (cache/derived.py): every Lead
# with its activity facts, so lead KPIs read one table and never join activities at question time.
LEAD_FACTS = "_kpibot_lead_facts"
LEAD_FACT_FIELDS: tuple[Field, ...] = (
    Field("first_response", DATETIME, doc="earliest activity at or after the lead's CreatedDate"),
    Field("response_seconds", "DOUBLE", doc="first_response − CreatedDate, in seconds"),
    Field("attempts", INT, doc="contact attempts: Call and Email Tasks"),
    Field("first_attempt", DATETIME),
    Field("last_attempt", DATETIME),
)


def lead_facts_ddl() -> str:
    cols = [*BY_NAME["Lead"].fields, *LEAD_FACT_FIELDS]
    body = ",\n  ".join(f'"{f.name}" {f.type}' for f in cols)
    return f'CREATE TABLE IF NOT EXISTS "{LEAD_FACTS}" (\n  {body}\n)'


STAGE_VISITS = "_kpibot_stage_visits"
STAGE_VISITS_DDL = f"""CREATE TABLE IF NOT EXISTS "{STAGE_VISITS}" (
  OpportunityId VARCHAR,  -- the opportunity whose OpportunityHistory this visit is read from
  StageName VARCHAR,      -- the stage visited
  started TIMESTAMPTZ,    -- CreatedDate of the history row that entered it
  ended TIMESTAMPTZ,      -- CreatedDate of the next row with another stage (unfinished: no row)
  days DOUBLE             -- ended - started, in days
)"""


# Tasks counted per day (in the org's time zone ``tz``, given by the writer that built it), owner
# and the columns call KPIs filter on: activity KPIs over weeks and months read ~5× fewer rows.
TASK_DAYS = "_kpibot_task_days"
TASK_DAYS_DDL = f"""CREATE TABLE IF NOT EXISTS "{TASK_DAYS}" (
  day DATE,               -- CreatedDate's date in the time zone tz
  tz VARCHAR,             -- the time zone the days are in (the same on every row)
  OwnerId VARCHAR,
  TaskSubtype VARCHAR,
  CallType VARCHAR,
  CallDisposition VARCHAR,
  n BIGINT                -- Tasks with these values created that day
)"""

LEAD_MONTHS = "_kpibot_lead_months"
LEAD_MONTHS_DDL = f"""CREATE TABLE IF NOT EXISTS "{LEAD_MONTHS}" (
  month DATE,             -- the first day of CreatedDate's month in the time zone tz
  tz VARCHAR,             -- the time zone the months are in (the same on every row)
  month_start TIMESTAMPTZ,  -- the month's first midnight in tz
  month_end TIMESTAMPTZ,    -- the next month's first midnight in tz
  OwnerId VARCHAR,
  LeadSource VARCHAR,
  Status VARCHAR,
  IsConverted BOOLEAN,
  converted BOOLEAN,      -- ConvertedOpportunityId IS NOT NULL
  n BIGINT                -- Leads with these values created that month
)"""


ACTIVITY_ACCOUNTS = "_kpibot_activity_accounts"
ACTIVITY_ACCOUNTS_DDL = f"""CREATE TABLE IF NOT EXISTS "{ACTIVITY_ACCOUNTS}" (
  Id VARCHAR,             -- a Task's or Event's Id
  CreatedDate TIMESTAMPTZ,  -- the activity's, so a window's join reads only its part
  AccountId VARCHAR,      -- WhatId's account (an account, an opportunity's), else WhoId contact's
  AccountName VARCHAR     -- that account's Name
)"""


# Row-level access (cache/owner_keys.py): users numbered in the role tree's depth-first order,
# and the tables of owned records keep their owner's number.
OWNER_KEYS = "_kpibot_owner_keys"
OWNER_KEY = "_kpibot_owner_key"
KEYED_TABLES = ("Lead", "Opportunity", "Task", "Event", LEAD_FACTS, TASK_DAYS, LEAD_MONTHS)


def add_owner_key(con: object, table: str) -> None:
    """The owner-key column on a keyed table (empty until keys are given)."""
    sql = f'ALTER TABLE "{table}" ADD COLUMN IF NOT EXISTS "{OWNER_KEY}" INTEGER'
    con.execute(sql)  # type: ignore[attr-defined]


def create_all(con: object, *, objects: tuple[SObject, ...] = OBJECTS) -> None:
    """Create every object table, the source tables and the bookkeeping tables on a DuckDB
    connection."""
    for obj in (*objects, *SOURCE_TABLES):
        con.execute(obj.ddl())  # type: ignore[attr-defined]
    for ddl in META_DDL:
        con.execute(ddl)  # type: ignore[attr-defined]
    con.execute(lead_facts_ddl())  # type: ignore[attr-defined]
    con.execute(STAGE_VISITS_DDL)  # type: ignore[attr-defined]
    con.execute(TASK_DAYS_DDL)  # type: ignore[attr-defined]
    con.execute(LEAD_MONTHS_DDL)  # type: ignore[attr-defined]
    con.execute(ACTIVITY_ACCOUNTS_DDL)  # type: ignore[attr-defined]
    names = {o.name for o in objects} | {LEAD_FACTS, TASK_DAYS, LEAD_MONTHS}
    for table in KEYED_TABLES:
        if table in names:
            add_owner_key(con, table)
