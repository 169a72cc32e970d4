"""The bot's state database (bot/state_connection.py: one SQLite file or one PostgreSQL server),
opened with its schema brought up to date (bot/state_schema.py).

>>> db = open_state_db("data/kpibot-state.sqlite")       # or "postgresql://kpibot@db/kpibot"
>>> db.query("SELECT version FROM schema_version")
"""

from __future__ import annotations

from pathlib import Path

from bot.state_connection import StateDB, connect
from bot.state_schema import migrate


def open_state_db(location: str | Path, *, upgrade: bool = True) -> StateDB:
    """Connect to the state database and bring its schema up to date (once, under a lock);
    ``upgrade=False``: a process that knows it was migrated at start-up only connects."""
    db = connect(location)
    if not upgrade:
        return db
    try:
        migrate(db)
    except BaseException:
        db.close()
        raise
    return db
