"""The state database's schema, as numbered migrations run once each (the one place tables are
added or changed, for SQLite and PostgreSQL alike).

``schema_version`` holds the numbers applied. Every process opening the database runs
``migrate``: inside one write transaction (on PostgreSQL also under an advisory lock) it applies
the missing ones in order, so N replicas starting together migrate once. A new table or column
is a new entry at the end; an applied entry is never edited. ``{serial_pk}`` in the SQL is the
dialect's auto-numbered id column.

Version 1 is the schema as it stood before migrations were numbered; its ``IF NOT EXISTS`` makes
it a no-op on a state file made by an older kpibot, and its ``fix`` adds what such files lack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.state_connection import StateDB, Tx


@dataclass(frozen=True)
class Migration:
    version: int
    what: str
    sql: str
    fix: Callable[[Tx], None] | None = None  # a data step after the SQL


def _columns(tx: Tx, table: str) -> set[str]:
    return {r["name"] for r in tx.query(tx.dialect.columns, (table,))}


def _add_reported(tx: Tx) -> None:
    """Stores made before failed sends were retried lack ``reported``; their failures were
    reported when they happened."""
    if "reported" not in _columns(tx, "digest_sends"):
        tx.execute("ALTER TABLE digest_sends ADD COLUMN reported INTEGER NOT NULL DEFAULT 0")
        tx.execute("UPDATE digest_sends SET reported = 1 WHERE status = 'failed'")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "audit log, seen events, digest sends, subscriptions",
        """
CREATE TABLE IF NOT EXISTS audit_log (
    id          {serial_pk},
    asked_at    TEXT NOT NULL,      -- UTC, ISO 8601
    user_id     TEXT NOT NULL,
    channel_id  TEXT NOT NULL,
    thread_ts   TEXT,
    source      TEXT NOT NULL,      -- mention | dm | command | button | home | options | ...
    question    TEXT NOT NULL,
    sql         TEXT,
    row_count   INTEGER,
    duration_ms DOUBLE PRECISION,
    outcome     TEXT,               -- NULL while running, then answered | user_error | ...
    detail      TEXT                -- the error's message, the refusal's reason
);
CREATE INDEX IF NOT EXISTS audit_log_asked_at ON audit_log (asked_at);
CREATE TABLE IF NOT EXISTS seen_events (
    event_id TEXT PRIMARY KEY,
    seen_at  DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS digest_sends (
    key           TEXT PRIMARY KEY,
    job           TEXT NOT NULL,
    scheduled_utc TEXT NOT NULL,
    channel       TEXT NOT NULL,
    status        TEXT NOT NULL
                  CHECK (status IN ('sending', 'sent', 'failed', 'skipped', 'unknown')),
    owner         TEXT NOT NULL,
    lease_until   TEXT NOT NULL,
    claimed_at    TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 1,
    channel_id    TEXT,
    message_ts    TEXT,
    thread_done   INTEGER NOT NULL DEFAULT 0,
    outcome       TEXT,
    error         TEXT,
    finished_at   TEXT,
    reported      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS digest_sends_job ON digest_sends (job, scheduled_utc);
CREATE TABLE IF NOT EXISTS digest_subscriptions (
    id          {serial_pk},
    channel     TEXT NOT NULL,
    schedule    TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    question    TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1
)
""",
        fix=_add_reported,
    ),
    Migration(
        2,
        "the last question of each Slack thread, for follow-ups",
        """
CREATE TABLE IF NOT EXISTS slack_conversations (
    channel     TEXT NOT NULL,
    thread_ts   TEXT NOT NULL,
    question    TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (channel, thread_ts)
)
""",
    ),
    Migration(
        3,
        "user dashboards and their panels",
        # IF NOT EXISTS: a SQLite state file of an earlier kpibot already holds these tables
        # (boards kept their own connection to it then), with the same columns.
        """
CREATE TABLE IF NOT EXISTS boards (
    id          {serial_pk},
    home        TEXT NOT NULL,          -- user:U… (personal) or channel:C… (the channel's)
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,          -- the name, case-folded: unique in its home
    owner       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (home, name_key)
);
CREATE TABLE IF NOT EXISTS board_panels (
    board_id    INTEGER NOT NULL REFERENCES boards (id),
    position    INTEGER NOT NULL,       -- 1, 2, … in drawing order
    question    TEXT NOT NULL,          -- as typed: the window moves with time
    chart       TEXT NOT NULL,          -- a chart kind (charts.choose.Chart), or auto
    title       TEXT NOT NULL,          -- '' : the question is the title
    PRIMARY KEY (board_id, position)
)
""",
    ),
    Migration(
        4,
        "scheduled runs (syncs, re-imports) claimed once per period across replicas",
        """
CREATE TABLE IF NOT EXISTS scheduled_runs (
    job         TEXT NOT NULL,          -- sync:salesforce, import:<source>
    period      TEXT NOT NULL,          -- the period's start, UTC ISO 8601
    status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    owner       TEXT NOT NULL,          -- host:pid:thread of the replica running it
    lease_until TEXT NOT NULL,          -- renewed while it runs, taken over once past
    claimed_at  TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 1,
    error       TEXT,
    finished_at TEXT,
    PRIMARY KEY (job, period)
)
""",
    ),
    Migration(
        5,
        "Slack users' e-mails, for row-level access",
        """
CREATE TABLE IF NOT EXISTS slack_identities (
    user_id     TEXT PRIMARY KEY,
    email       TEXT,               -- NULL: Slack gave no e-mail (no users:read.email, a bot)
    fetched_at  DOUBLE PRECISION NOT NULL
)
""",
    ),
)

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    what       TEXT NOT NULL,
    applied_at TEXT NOT NULL
)
"""


def migrate(db: StateDB, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Apply the migrations this database lacks, once across all processes; their versions."""
    with db.tx() as tx:
        if tx.dialect.migration_lock:
            tx.query(tx.dialect.migration_lock)
        tx.script(_VERSION_TABLE)
        done = {r["version"] for r in tx.query("SELECT version FROM schema_version")}
        applied = []
        for m in migrations:
            if m.version in done:
                continue
            tx.script(m.sql.replace("{serial_pk}", tx.dialect.serial_pk))
            if m.fix is not None:
                m.fix(tx)
            tx.execute(
                "INSERT INTO schema_version (version, what, applied_at) VALUES (?, ?, ?)",
                (m.version, m.what, datetime.now(UTC).isoformat(timespec="seconds")),
            )
            applied.append(m.version)
    return applied
