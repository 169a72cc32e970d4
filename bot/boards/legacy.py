"""The board file of kpibot before boards moved into the state store: imported once.

Until boards were a migration of the state store, a bot whose ``state_database`` was PostgreSQL
kept its boards in ``kpibot-boards.sqlite`` in its own folder (one per replica). ``kpibot
serve`` (and the ``kpibot dashboard…`` commands) import such a file into the state store at
start-up and rename it ``kpibot-boards.sqlite.imported``, so it is read once and kept as a
backup. A board whose name is already taken in its home (another replica's file brought it
first) is left as the state store has it and logged. A SQLite state file needs nothing: its
boards were already in it.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from bot.boards.store import BoardExists, BoardStore, StoredPanel
from bot.state_connection import StateDB, is_server_url

log = logging.getLogger(__name__)

OLD_FILE = "kpibot-boards.sqlite"
DONE_SUFFIX = ".imported"


def _read(path: Path) -> list[tuple[str, str, str, list[StoredPanel]]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        boards = con.execute("SELECT id, home, name, owner FROM boards ORDER BY id").fetchall()
        out = []
        for bid, home, name, owner in boards:
            rows = con.execute(
                "SELECT position, question, chart, title FROM board_panels WHERE board_id = ?"
                " ORDER BY position",
                (bid,),
            ).fetchall()
            out.append((str(home), str(name), str(owner), [StoredPanel(*r) for r in rows]))
        return out
    finally:
        con.close()


def import_old_board_file(db: StateDB, state_location: str, local_dir: Path) -> list[str]:
    """Bring the boards of an old per-replica board file into the state store (once); what
    was done, one line each (also logged)."""
    path = local_dir / OLD_FILE
    if not is_server_url(state_location) or not path.is_file():
        return []
    try:
        boards = _read(path)
    except sqlite3.Error as e:
        line = f"{path} is not a board file kpibot can read ({e}); left as it is"
        log.warning(line)
        return [line]
    store, said = BoardStore(db), []
    for home, name, owner, panels in boards:
        try:
            board_id = store.create(home, name, owner)
        except BoardExists:
            said.append(f'board "{name}" ({home}) is already in the state store; kept that one')
            continue
        store.replace_panels(board_id, panels)
        said.append(f'board "{name}" ({home}, {len(panels)} panels) imported from {path.name}')
    try:
        path.rename(path.with_name(path.name + DONE_SUFFIX))
    except FileNotFoundError:  # another kpibot process on this machine renamed it first
        pass
    for line in said:
        log.warning(line)
    return said
