"""The board store and the words: two processes editing one board, panel limits, the layout
rules, and every /kpi form read into its command (a new form is one line in WORDS)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.boards import words as W
from bot.boards.service import Boards, Viewer
from bot.boards.store import MAX_PANELS, BoardStore
from charts.layout import GRID, Need, plan
from i18n import Language
from metrics.errors import UserError
from tests.state_connections import Opener

ROOT = Path(__file__).resolve().parent.parent

WORDS = {
    "dashboards": W.ListBoards(),
    "大屏列表": W.ListBoards(),
    'dashboard new "Team East"': W.NewBoard("Team East", False),
    "dashboard new Team East personal": W.NewBoard("Team East", True),
    '新建大屏 "华东"': W.NewBoard("华东", False),
    'pin win rate by rep this quarter to "Team East"': W.Pin(
        "Team East", "win rate by rep this quarter"
    ),
    '加到大屏 "华东" 赢单率 本季度': W.Pin("华东", "赢单率 本季度"),
    '赢单率 本季度 加到大屏 "华东"': W.Pin("华东", "赢单率 本季度"),
    'dashboard "Team East"': W.Edit("Team East", "show"),
    'dashboard "Team East" last quarter for 温家豪': W.Edit(
        "Team East", "show", text="last quarter for 温家豪"
    ),
    'dashboard "Team East" remove 3': W.Edit("Team East", "remove", (3,)),
    'dashboard "Team East" move 3 to 1': W.Edit("Team East", "move", (3, 1)),
    "dashboard Team East move 3 to 1": W.Edit("Team East", "move", (3, 1)),
    'dashboard "Team East" rename "Team West"': W.Edit("Team East", "rename", text="Team West"),
    'dashboard "Team East" delete': W.Edit("Team East", "delete"),
    '大屏 "华东" 移动 3 到 1': W.Edit("华东", "move", (3, 1)),
    '大屏 "华东" 删除 2': W.Edit("华东", "remove", (2,)),
    '大屏 "华东" 改名 "华南"': W.Edit("华东", "rename", text="华南"),
    'dashboard "Team East" chart 3 as bars': W.Edit("Team East", "chart", (3,), text="bar"),
    '大屏 "华东" 图表 2 表格': W.Edit("华东", "chart", (2,), text="table"),
    "pin": None,
    "win rate this quarter": None,
}


@pytest.mark.parametrize("text", list(WORDS))
def test_words(text: str) -> None:
    assert W.read(text) == WORDS[text]


EDITOR = """
import sys
from bot.boards.service import Boards, Viewer
from bot.boards.store import BoardStore
from bot.state_db import open_state_db
from bot.boards.words import Edit
from metrics.errors import UserError
boards = Boards(BoardStore(open_state_db(sys.argv[1])))
who = Viewer("UALICE", "CSALES")
for i in range(6):
    boards.pin("Team East", f"calls this week {sys.argv[2]}{i}", who)
    try:  # the other process may not have pinned yet: then there is no panel 2
        boards.edit(Edit("Team East", "move", (1, 2)), who)
    except UserError:
        pass
"""


def test_two_processes_editing_one_board(state_database: str, open_state: Opener) -> None:
    """Each process pins 6 panels and moves one after every pin, at the same time: all 12
    pins are there, numbered 1–12 without a gap or a duplicate, and a 13th is refused (one
    SQLite state file, or one PostgreSQL database as replicas share it)."""
    boards = Boards(BoardStore(open_state(state_database)))
    who = Viewer("UALICE", "CSALES")
    boards.new("Team East", who)
    procs = [
        subprocess.Popen([sys.executable, "-c", EDITOR, state_database, tag], cwd=ROOT)
        for tag in ("a", "b")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    [board] = boards.visible(who)
    assert [p.position for p in board.panels] == list(range(1, MAX_PANELS + 1))
    assert sorted(p.question for p in board.panels) == sorted(
        f"calls this week {t}{i}" for t in "ab" for i in range(6)
    )
    with pytest.raises(UserError, match="already has 12 panels") as refused:
        boards.pin("Team East", "calls this week", who)
    assert refused.value.text(Language.ZH) == (  # the 12-panel cap in a Chinese reply
        "“Team East”已经有 12 个面板；请先删掉一个（`/kpi 大屏 \"Team East\" 删除 N`）。"
    )


def test_only_the_owner_or_an_admin_changes_a_board(tmp_path: Path, open_state: Opener) -> None:
    boards = Boards(BoardStore(open_state(tmp_path / "s.sqlite")))
    alice, bob = Viewer("UALICE", "CSALES"), Viewer("UBOB", "CSALES")
    boards.new("Team East", alice)
    boards.new("Mine", Viewer("UALICE", ""))
    with pytest.raises(UserError, match="Only <@UALICE>"):
        boards.pin("Team East", "calls this week", bob)
    boards.pin("Team East", "calls this week", Viewer("UBOB", "CSALES", admin=True))
    # Bob sees the channel's board, not Alice's personal one; the built-ins are nobody's.
    assert [b.name for b in boards.visible(bob)] == ["Team East"]
    with pytest.raises(UserError, match='no dashboard called "Mine"'):
        boards.find("Mine", bob)
    with pytest.raises(UserError, match="built in"):
        boards.pin("kpi", "calls this week", alice)
    with pytest.raises(UserError, match='Did you mean "Team East"'):
        boards.find("Team Eats", alice)


MIXED = [
    "kpi",
    "bars",
    "columns",
    "table",
    "line",
    "kpi",
    "gauge",
    "funnel",
    "panels",
    "kpi",
    "message",
    "donut",
]


@pytest.mark.parametrize("n", [1, 4, 7, 12])
def test_layout_rows_span_the_page_and_cards_come_first(n: int) -> None:
    needs = [Need(str(i), k, columns=6, rows=5) for i, k in enumerate(MIXED[:n])]
    p = plan(needs)
    rows: dict[int, list[tuple[int, int]]] = {}
    for row, col, _, span in p.at.values():
        rows.setdefault(row, []).append((col, span))
    for cells in rows.values():  # every row is filled edge to edge, no overlap
        cells.sort()
        assert cells[0][0] == 0 and sum(s for _, s in cells) == GRID
        assert all(a + s == b for (a, s), (b, _) in zip(cells, cells[1:], strict=False))
    cards = [p.at[x.id][0] for x in needs if x.kind == "kpi"]
    assert all(r == 0 for r in cards) or len(cards) == 0
    assert len(p.rows) == len(rows)


def test_a_subscription_may_not_name_a_board_hidden_from_its_maker(
    tmp_path: Path, open_state: Opener
) -> None:
    boards = Boards(BoardStore(open_state(tmp_path / "s.sqlite")))
    boards.new("Team East", Viewer("UALICE", "CSALES"))
    boards.new("Private", Viewer("UALICE", ""))
    text = 'subscribe weekly mon 09:00 dashboard "Team East"'
    assert boards.hidden(text, Viewer("UBOB", "CSALES")) is None  # the channel's: Bob sees it
    assert boards.hidden(text, Viewer("UBOB", "COTHER")) == "Team East"
    assert boards.hidden("subscribe daily 09:00 Private dashboard", Viewer("UBOB", "")) == (
        "Private"
    )
    assert boards.hidden("subscribe daily 09:00 calls this week", Viewer("UBOB", "")) is None
    boards.new("win", Viewer("UALICE", ""))  # a board named like a KPI's first word
    assert boards.hidden("subscribe daily 09:00 win rate this quarter", Viewer("UBOB", "")) is None


def test_an_edit_of_a_board_deleted_meanwhile_is_refused_in_words(
    state_database: str, open_state: Opener
) -> None:
    """Two connections, as two replicas: Bob (an admin) deletes the board Alice is editing."""
    mine = Boards(BoardStore(open_state(state_database)))
    theirs = Boards(BoardStore(open_state(state_database)))
    alice, admin = Viewer("UALICE", "CSALES"), Viewer("UBOB", "CSALES", admin=True)
    mine.new("Team East", alice)
    mine.pin("Team East", "calls this week", alice)
    board = mine.store.boards()[0]
    theirs.edit(W.Edit("Team East", "delete"), admin)
    with pytest.raises(UserError, match='"Team East" was deleted a moment ago'):
        with mine._still_there(board):
            mine.store.add_panel(board.id, board.panels[0])
    # nothing was written into the void: no panel rows without their board
    assert mine.store.db.query("SELECT * FROM board_panels") == []
    # the same name made on both at once: one board, the other told it exists
    mine.new("Team West", alice)
    with pytest.raises(UserError, match='already a dashboard called "team west"'):
        theirs.new("team west", alice)


def test_an_old_per_replica_board_file_is_imported_once(
    tmp_path: Path, state_database: str, open_state: Opener
) -> None:
    """Before boards were in the state store, a PostgreSQL-state bot kept them in
    kpibot-boards.sqlite in its folder; it is imported once and renamed (SQLite: nothing to do,
    the boards were in the state file already)."""
    import sqlite3

    from bot.boards.legacy import OLD_FILE, import_old_board_file

    old = tmp_path / OLD_FILE
    con = sqlite3.connect(old)
    con.executescript(
        "CREATE TABLE boards (id INTEGER PRIMARY KEY, home TEXT, name TEXT, name_key TEXT,"
        " owner TEXT, created_at TEXT, updated_at TEXT);"
        "CREATE TABLE board_panels (board_id INTEGER, position INTEGER, question TEXT,"
        " chart TEXT, title TEXT);"
        "INSERT INTO boards VALUES (7, 'channel:CSALES', 'Team East', 'team east', 'UALICE',"
        " '2026-01-05T09:00:00+00:00', '2026-01-05T09:00:00+00:00');"
        "INSERT INTO board_panels VALUES (7, 1, 'calls this week', 'auto', '');"
        "INSERT INTO board_panels VALUES (7, 2, 'win rate by rep', 'bars', 'Win rate');"
    )
    con.commit()
    con.close()
    db = open_state(state_database)
    said = import_old_board_file(db, state_database, tmp_path)
    boards = BoardStore(db).boards()
    if not state_database.startswith("postgresql"):
        assert said == [] and boards == [] and old.exists()
        return
    assert said == [
        'board "Team East" (channel:CSALES, 2 panels) imported from kpibot-boards.sqlite'
    ]
    [board] = boards
    assert (board.home, board.name, board.owner) == ("channel:CSALES", "Team East", "UALICE")
    assert [(p.position, p.question, p.chart, p.title) for p in board.panels] == [
        (1, "calls this week", "auto", ""),
        (2, "win rate by rep", "bars", "Win rate"),
    ]
    assert not old.exists() and (tmp_path / (OLD_FILE + ".imported")).exists()
    assert import_old_board_file(db, state_database, tmp_path) == []  # once
