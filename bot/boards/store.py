"""User dashboards in the state database: boards and their pinned panels.

The tables are the state store's (migration 3 in ``bot/state_schema.py``), so boards live with
everything else the bot remembers — a SQLite file on one machine, one PostgreSQL database shared
by replicas — and every replica sees every board at once.

A board lives in a *home*: ``user:U123`` (personal) or ``channel:C123`` (the channel's). Its
name is unique in its home, compared case-insensitively (a unique index). Panels are numbered
from 1 in the order they are drawn. Every change is one write transaction that first locks the
board's row (``BEGIN IMMEDIATE`` on SQLite, ``SELECT … FOR UPDATE`` on PostgreSQL), reads the
panels as they are *now*, changes them and renumbers them: two replicas editing one board apply
their edits one after the other, never losing one or leaving a gap. An edit of a board deleted
meanwhile is refused (``BoardGone``), never written into nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from bot.state_connection import StateDB, Tx, is_unique_violation

Scope = Literal["personal", "channel"]
MAX_PANELS = 12
MAX_NAME = 60


@dataclass(frozen=True)
class StoredPanel:
    position: int
    question: str
    chart: str = "auto"
    title: str = ""


@dataclass(frozen=True)
class StoredBoard:
    id: int
    home: str
    name: str
    owner: str
    updated_at: str
    panels: tuple[StoredPanel, ...]

    @property
    def scope(self) -> Scope:
        return "channel" if self.home.startswith("channel:") else "personal"

    @property
    def channel(self) -> str:
        return self.home.removeprefix("channel:") if self.scope == "channel" else ""


def home_of(scope: Scope, user: str, channel: str) -> str:
    return f"channel:{channel}" if scope == "channel" else f"user:{user}"


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


class BoardExists(Exception):
    """A board of that name is already in that home."""


class BoardGone(Exception):
    """The board was deleted (by someone else, perhaps on another replica) before this change."""


_BOARD = "SELECT id, home, name, owner, updated_at FROM boards"
_PANELS = (
    "SELECT position, question, chart, title FROM board_panels WHERE board_id = ? ORDER BY position"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class BoardStore:
    """Boards on a state database connection (``open_state_db``); the caller closes it."""

    def __init__(self, db: StateDB):
        self.db = db

    # ---- reading ----

    @staticmethod
    def _panels(tx: Tx, board_id: int) -> list[StoredPanel]:
        return [
            StoredPanel(int(r["position"]), str(r["question"]), str(r["chart"]), str(r["title"]))
            for r in tx.query(_PANELS, (board_id,))
        ]

    def _board(self, tx: Tx, r: dict[str, object]) -> StoredBoard:
        bid = int(r["id"])  # type: ignore[call-overload]
        return StoredBoard(
            bid,
            str(r["home"]),
            str(r["name"]),
            str(r["owner"]),
            str(r["updated_at"]),
            tuple(self._panels(tx, bid)),
        )

    def boards(self, homes: list[str] | None = None) -> list[StoredBoard]:
        """Boards in ``homes`` (None: every board), by name; read in one transaction, so a
        board and its panels are as one moment left them."""
        sql = _BOARD
        params: tuple[str, ...] = ()
        if homes is not None:
            if not homes:
                return []
            sql += f" WHERE home IN ({', '.join('?' for _ in homes)})"
            params = tuple(homes)
        with self.db.read() as tx:
            return [self._board(tx, r) for r in tx.query(sql + " ORDER BY name_key, id", params)]

    def get(self, board_id: int) -> StoredBoard | None:
        with self.db.read() as tx:
            r = tx.one(_BOARD + " WHERE id = ?", (board_id,))
            return self._board(tx, r) if r else None

    # ---- changing (each one transaction, the board's row locked first) ----

    def _locked(self, tx: Tx, board_id: int) -> list[StoredPanel]:
        """Lock the board's row for this transaction; its panels as they are now."""
        lock = "SELECT id FROM boards WHERE id = ?" + tx.dialect.for_update
        if tx.one(lock, (board_id,)) is None:
            raise BoardGone(board_id)
        return self._panels(tx, board_id)

    def create(self, home: str, name: str, owner: str, now: datetime | None = None) -> int:
        stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        with self.db.tx() as tx:
            row = tx.one(
                "INSERT INTO boards (home, name, name_key, owner, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                (home, name, name_key(name), owner, stamp, stamp),
            )
            if row is None:  # the unique (home, name_key): there already, or made just now
                raise BoardExists(name)
            return int(row["id"])

    @staticmethod
    def _rewrite(tx: Tx, board_id: int, panels: list[StoredPanel]) -> None:
        tx.execute("DELETE FROM board_panels WHERE board_id = ?", (board_id,))
        for i, p in enumerate(panels, start=1):
            tx.execute(
                "INSERT INTO board_panels (board_id, position, question, chart, title)"
                " VALUES (?, ?, ?, ?, ?)",
                (board_id, i, p.question, p.chart, p.title),
            )
        tx.execute("UPDATE boards SET updated_at = ? WHERE id = ?", (_now(), board_id))

    def add_panel(self, board_id: int, panel: StoredPanel) -> int | None:
        """The new panel's number, or None when the board is full (MAX_PANELS)."""
        with self.db.tx() as tx:
            panels = self._locked(tx, board_id)
            if len(panels) >= MAX_PANELS:
                return None
            self._rewrite(tx, board_id, [*panels, panel])
            return len(panels) + 1

    def remove_panel(self, board_id: int, position: int) -> StoredPanel | None:
        with self.db.tx() as tx:
            panels = self._locked(tx, board_id)
            if not 1 <= position <= len(panels):
                return None
            gone = panels.pop(position - 1)
            self._rewrite(tx, board_id, panels)
            return gone

    def move_panel(self, board_id: int, position: int, to: int) -> bool:
        with self.db.tx() as tx:
            panels = self._locked(tx, board_id)
            if not (1 <= position <= len(panels) and 1 <= to <= len(panels)):
                return False
            panels.insert(to - 1, panels.pop(position - 1))
            self._rewrite(tx, board_id, panels)
            return True

    def set_chart(self, board_id: int, position: int, chart: str) -> StoredPanel | None:
        """Panel ``position`` drawn as ``chart`` from now on; the panel, or None: no such panel."""
        with self.db.tx() as tx:
            panels = self._locked(tx, board_id)
            if not 1 <= position <= len(panels):
                return None
            tx.execute(
                "UPDATE board_panels SET chart = ? WHERE board_id = ? AND position = ?",
                (chart, board_id, position),
            )
            tx.execute("UPDATE boards SET updated_at = ? WHERE id = ?", (_now(), board_id))
            return panels[position - 1]

    def rename(self, board_id: int, name: str) -> None:
        try:
            with self.db.tx() as tx:
                self._locked(tx, board_id)
                tx.execute(
                    "UPDATE boards SET name = ?, name_key = ?, updated_at = ? WHERE id = ?",
                    (name, name_key(name), _now(), board_id),
                )
        except Exception as e:
            if is_unique_violation(e):  # another board of this home has that name
                raise BoardExists(name) from None
            raise

    def replace_panels(self, board_id: int, panels: list[StoredPanel]) -> None:
        with self.db.tx() as tx:
            self._locked(tx, board_id)
            self._rewrite(tx, board_id, panels[:MAX_PANELS])

    def delete(self, board_id: int) -> None:
        with self.db.tx() as tx:
            self._locked(tx, board_id)
            tx.execute("DELETE FROM board_panels WHERE board_id = ?", (board_id,))
            tx.execute("DELETE FROM boards WHERE id = ?", (board_id,))
