"""Dashboards as people use them: find by name, pin, rename, move, remove, show, export, import.

Every surface (Slack words, the pin modal, the CLI, digests) goes through ``Boards``:

* **Which boards a person sees** where they are: the three built-in boards (charts/
  dashboards.yaml), their own personal boards, and the boards of the channel they are in.
* **Who may change one**: its owner and admins (``access.admins``); built-in boards change only
  in charts/dashboards.yaml.
* **Every change** returns a ``Done`` whose ``detail`` goes to the audit log.

A user board becomes a ``charts.dashboards.Dashboard`` whose panels carry their question text;
the backend parses each one again when drawn, so ``last 7 days`` moves with time.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import yaml

from bot.boards import words as W
from bot.boards.store import (
    MAX_NAME,
    MAX_PANELS,
    BoardExists,
    BoardGone,
    BoardStore,
    Scope,
    StoredBoard,
    StoredPanel,
    home_of,
    name_key,
)
from charts.choose import Chart, chart_name
from charts.dashboards import Dashboard, Panel, board_from_dict, load
from i18n import Language, Lines, Msg, Term, plural
from metrics.errors import Said, UserError
from metrics.query import Query

CHARTS = frozenset({"auto", *Chart.__args__})  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Done:
    """What to tell the person, what the audit log keeps, and the board to draw (``show``)."""

    text: Said  # said in the asker's language where it is shown
    detail: str
    show: Dashboard | None = None
    asked: str = ""  # window and filters for every panel ("last quarter for 温家豪")
    built_in: str | None = None  # a built-in board's name: asked as a question


@dataclass(frozen=True)
class Viewer:
    user: str
    channel: str  # "" : a DM or the CLI (personal boards only)
    admin: bool = False


def _title(d: Dashboard) -> Term:
    """A built-in board's title in each language (KPI dashboard / KPI大屏)."""
    return Term(((Language.EN, d.title), *(((Language.ZH, d.zh),) if d.zh else ())))


def builtin_names() -> tuple[str, ...]:
    return tuple(load()[0])


def closest(name: str, names: list[str]) -> tuple[str, ...]:
    """Up to three of ``names`` close to ``name`` (case-insensitive), closest first: the
    did-you-mean of every surface (Slack, the command line)."""
    by_key = {name_key(n): n for n in names}
    close = difflib.get_close_matches(name_key(name), list(by_key), n=3, cutoff=0.6)
    return tuple(by_key[c] for c in close)


def to_dashboard(board: StoredBoard) -> Dashboard:
    """A stored board as the renderer's Dashboard: panels with their questions, no grid."""
    panels = tuple(
        Panel(
            id=str(p.position),
            title=p.title,
            chart=p.chart,
            at=None,
            query=Query(),
            question=p.question,
        )
        for p in board.panels
    )
    return Dashboard(board.name, board.name, "", None, (), (), panels)


def export_yaml(board: StoredBoard) -> str:
    """The board in the dashboards.yaml format (reviewable in git; ``import_yaml`` reads it)."""
    panels = []
    for p in board.panels:
        entry: dict[str, Any] = {"question": p.question}
        if p.chart != "auto":
            entry["chart"] = p.chart
        if p.title:
            entry["title"] = p.title
        panels.append(entry)
    data = {
        "dashboards": {
            board.name: {
                "title": board.name,
                "owner": board.owner,
                "scope": board.scope,
                **({"channel": board.channel} if board.channel else {}),
                "panels": panels,
            }
        }
    }
    head = "# A kpibot dashboard (docs/dashboards.md): `kpibot dashboard import FILE` reads it.\n"
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def open_boards(config: Any) -> Boards:
    """The boards of this install, on their own connection to the state database (the CLI,
    the engine's digests); an old per-replica board file is imported first (bot/boards/legacy)."""
    from bot.boards.legacy import import_old_board_file
    from bot.state_db import open_state_db

    db = open_state_db(config.state_location)
    import_old_board_file(db, config.state_location, config.local_dir)
    return Boards(BoardStore(db))


class Boards:
    def __init__(self, store: BoardStore):
        self.store = store

    def close(self) -> None:
        """Close the state connection (only for boards made by ``open_boards``)."""
        self.store.db.close()

    # ---- finding ----

    def visible(self, who: Viewer) -> list[StoredBoard]:
        homes = [home_of("personal", who.user, "")]
        if who.channel:
            homes.append(home_of("channel", who.user, who.channel))
        return self.store.boards(homes)

    def find(self, name: str, who: Viewer) -> StoredBoard | str:
        """The board called ``name`` that ``who`` sees (a built-in: its key); UserError else."""
        key = name_key(name).removesuffix(" dashboard").removesuffix("大屏").strip()
        mine = self.visible(who)
        hits = [b for b in mine if name_key(b.name) == key]
        if hits:  # a personal and a channel board of one name: the channel's is the team's
            return sorted(hits, key=lambda b: b.scope != "channel")[0]
        for built, d in load()[0].items():
            if key in (built, d.title.lower()) or name.strip() in (d.zh, d.zh.removesuffix("大屏")):
                return built
        suggestions = closest(key, [b.name for b in mine] + list(builtin_names()))
        hint = Msg.of("boards.did_you_mean", name=suggestions[0]) if suggestions else ""
        raise UserError(Msg.of("boards.not_here", name=name, hint=hint), suggestions)

    def match(self, text: str, who: Viewer | None) -> tuple[StoredBoard, str] | None:
        """``Team East dashboard last quarter for 温家豪`` → (the board, the rest), when the
        text starts with the name of a user board ``who`` sees (None: any board; digests and
        the CLI), followed by dashboard/大屏."""
        low = " ".join(text.split()).casefold()
        seen = self.store.boards() if who is None else self.visible(who)
        for b in sorted(seen, key=lambda b: -len(b.name)):
            for word in (" dashboard", "大屏", " 大屏"):
                head = name_key(b.name) + word
                if low.startswith(head) and (len(low) == len(head) or low[len(head)] == " "):
                    return b, " ".join(text.split())[len(head) :].strip()
        return None

    def lookup(self, text: str, who: Viewer | None) -> tuple[StoredBoard, str] | None:
        """A user board named in a question: ``Team East dashboard last quarter`` or
        ``dashboard "Team East" last quarter`` (what subscriptions store); None otherwise."""
        hit = self.match(text, who)
        if hit is not None:
            return hit
        command = W.read(text)
        if isinstance(command, W.Edit) and command.action == "show":
            seen = self.store.boards() if who is None else self.visible(who)
            for b in seen:
                if name_key(b.name) == name_key(command.name):
                    return b, command.text
        return None

    def hidden(self, text: str, who: Viewer) -> str | None:
        """The name of a user board ``text`` names that ``who`` may not open here (a
        subscription must not send someone else's board), or None."""
        low = " ".join(text.split()).casefold()
        named = {
            name_key(b.name): b.name
            for b in self.store.boards()
            if re.search(  # quoted, or followed by dashboard: "win" is not "win rate"
                rf"[\"“「]{re.escape(name_key(b.name))}[\"”」]"
                rf"|(?:^|\s){re.escape(name_key(b.name))}\s*(?:dashboard|大屏)",
                low,
            )
        }
        seen = {name_key(b.name) for b in self.visible(who)}
        if not named or set(named) & seen:
            return None
        return next(iter(named.values()))

    def near_miss(self, text: str, who: Viewer) -> UserError | None:
        """``Tean East dashboard``: no board by that name, but one close to it that ``who``
        sees; the did-you-mean to say (None when the words before "dashboard" name nothing
        close, e.g. a built-in board or a question)."""
        low = " ".join(text.split()).casefold()
        for word in (" dashboard", "大屏"):
            if word in low:
                cut = len(low.split(word, 1)[0])
                head = " ".join(text.split())[:cut].strip()
                names = {name_key(b.name): b.name for b in self.visible(who)}
                if name_key(head) in builtin_names() or not names:
                    return None
                close = difflib.get_close_matches(name_key(head), list(names), n=1, cutoff=0.75)
                if close:
                    return UserError(
                        Msg.of(
                            "boards.not_here_close",
                            name=head,
                            hint=Msg.of("boards.did_you_mean", name=names[close[0]]),
                        ),
                        (Msg.of("grammar.try.dashboard", dashboard=names[close[0]]),),
                    )
        return None

    @staticmethod
    @contextmanager
    def _still_there(board: StoredBoard) -> Iterator[None]:
        """A change to a board someone deleted since it was found (on any replica): said."""
        try:
            yield
        except BoardGone:
            raise UserError(Msg.of("boards.deleted_meanwhile", name=board.name)) from None

    def _own(self, name: str, who: Viewer) -> StoredBoard:
        found = self.find(name, who)
        if isinstance(found, str):
            raise UserError(Msg.of("boards.built_in", title=_title(load()[0][found])))
        if found.owner != who.user and not who.admin:
            raise UserError(Msg.of("boards.not_owner", owner=found.owner, name=found.name))
        return found

    # ---- commands ----

    def handle(self, command: W.Command, who: Viewer) -> Done:
        if isinstance(command, W.ListBoards):
            return Done(self.listing(who), "dashboards listed")
        if isinstance(command, W.NewBoard):
            return self.new(command.name, who, personal=command.personal)
        if isinstance(command, W.Pin):
            return self.pin(command.name, command.question, who)
        return self.edit(command, who)

    def listing(self, who: Viewer) -> Said:
        lines: list[Said] = [Msg("boards.list.head")]
        for key, d in load()[0].items():
            lines.append(Msg.of("boards.list.built_in", title=_title(d), key=key))
        for b in self.visible(who):
            where = (
                Msg.of("boards.list.channel", channel=b.channel)
                if b.scope == "channel"
                else Msg("boards.list.personal")
            )
            lines.append(
                Msg.of(
                    "boards.list.board",
                    name=b.name,
                    panels=plural("boards.panels", len(b.panels)),
                    where=where,
                    owner=b.owner,
                )
            )
        lines.append(Msg("boards.list.foot"))
        return Lines(tuple(lines))

    def new(self, name: str, who: Viewer, *, personal: bool = False) -> Done:
        name = " ".join(name.split()).strip('"“”「」')
        if not name or len(name) > MAX_NAME:
            raise UserError(Msg.of("boards.bad_name", max=MAX_NAME))
        if name_key(name) in builtin_names():
            raise UserError(Msg.of("boards.name_built_in", name=name))
        scope: Scope = "personal" if personal or not who.channel else "channel"
        try:
            self.store.create(home_of(scope, who.user, who.channel), name, who.user)
        except BoardExists:
            raise UserError(Msg.of("boards.exists", name=name)) from None
        where = (
            Msg.of("boards.made_for_channel", channel=who.channel)
            if scope == "channel"
            else Msg("boards.made_for_you")
        )
        return Done(
            Msg.of("boards.made", name=name, where=where), f"dashboard {name}: created ({scope})"
        )

    def pin(
        self, name: str, question: str, who: Viewer, *, title: str = "", chart: str = "auto"
    ) -> Done:
        board = self._own(name, who)
        if chart not in CHARTS:
            kinds = ", ".join(sorted(CHARTS))
            raise UserError(Msg.of("boards.bad_chart", chart=chart, kinds=kinds))
        with self._still_there(board):
            n = self.store.add_panel(board.id, StoredPanel(0, question, chart, title.strip()))
        if n is None:
            raise UserError(Msg.of("boards.full", name=board.name, max=MAX_PANELS))
        return Done(
            Msg.of("boards.pinned", name=board.name, n=n, question=question),
            f"dashboard {board.name}: pinned #{n} {question}",
        )

    def edit(self, e: W.Edit, who: Viewer) -> Done:
        if e.action == "show":
            return self.show(e.name, e.text, who)
        board = self._own(e.name, who)
        with self._still_there(board):
            return self._change(board, e)

    def _change(self, board: StoredBoard, e: W.Edit) -> Done:
        if e.action == "remove":
            gone = self.store.remove_panel(board.id, e.args[0])
            if gone is None:
                raise self._no_panel(board, e.args[0])
            return Done(
                Msg.of("boards.removed", n=e.args[0], question=gone.question, name=board.name),
                f"dashboard {board.name}: removed #{e.args[0]} {gone.question}",
            )
        if e.action == "move":
            if not self.store.move_panel(board.id, *e.args):
                raise self._no_panel(board, max(e.args))
            return Done(
                Msg.of("boards.moved", n=e.args[0], to=e.args[1], name=board.name),
                f"dashboard {board.name}: moved #{e.args[0]} to #{e.args[1]}",
            )
        if e.action == "rename":
            new = " ".join(e.text.split())
            if not new or len(new) > MAX_NAME or name_key(new) in builtin_names():
                raise UserError(Msg.of("boards.bad_new_name", max=MAX_NAME))
            try:
                self.store.rename(board.id, new)
            except BoardExists:
                raise UserError(Msg.of("boards.exists", name=new)) from None
            return Done(
                Msg.of("boards.renamed", name=board.name, new=new),
                f"dashboard {board.name}: renamed to {new}",
            )
        if e.action == "chart":  # e.text: the chart the panel's answer gets (bot/slack/app.py)
            if e.text not in CHARTS:
                raise UserError(Msg("boards.pin_chart_unknown"))
            if self.store.set_chart(board.id, e.args[0], e.text) is None:
                raise self._no_panel(board, e.args[0])
            return Done(
                Msg.of("boards.chart_set", n=e.args[0], name=board.name, chart=chart_name(e.text)),
                f"dashboard {board.name}: panel #{e.args[0]} as {e.text}",
            )
        self.store.delete(board.id)  # "delete"
        return Done(Msg.of("boards.deleted", name=board.name), f"dashboard {board.name}: deleted")

    def _no_panel(self, board: StoredBoard, n: int) -> UserError:
        count = len(board.panels)
        if not count:
            return UserError(Msg.of("boards.no_panels", name=board.name))
        return UserError(Msg.of("boards.no_panel", name=board.name, n=n, count=count))

    def show(self, name: str, asked: str, who: Viewer) -> Done:
        """The board to draw; an unquoted name may carry a window (``Team East last quarter``)."""
        found = self._find_with_rest(name, asked, who)
        board, rest = found
        if isinstance(board, str):
            return Done("", f"dashboard {board}", built_in=board, asked=rest)
        if not board.panels:
            raise UserError(Msg.of("boards.empty", name=board.name))
        return Done("", f"dashboard {board.name}", show=to_dashboard(board), asked=rest)

    def _find_with_rest(self, name: str, asked: str, who: Viewer) -> tuple[StoredBoard | str, str]:
        if asked:
            return self.find(name, who), asked
        hit = self.match(f"{name} dashboard", who) or self.match(name, who)
        if hit is not None:
            return hit
        words = name.split()
        for cut in range(len(words), 0, -1):  # the longest leading words that name a board
            try:
                return self.find(" ".join(words[:cut]), who), " ".join(words[cut:])
            except UserError:
                continue
        return self.find(name, who), ""

    # ---- files ----

    def export(self, name: str, who: Viewer) -> str:
        found = self.find(name, who)
        if isinstance(found, str):
            from importlib import resources

            text = resources.files("charts").joinpath("dashboards.yaml").read_text("utf-8")
            data = yaml.safe_load(text)
            block = {"dashboards": {found: data["dashboards"][found]}}
            return yaml.safe_dump(block, allow_unicode=True, sort_keys=False, width=100)
        return export_yaml(found)

    def import_yaml(self, text: str, who: Viewer) -> list[Done]:
        """Boards from a dashboards.yaml-format file: created, or their panels replaced."""
        try:
            data = yaml.safe_load(text) or {}
            entries = data["dashboards"].items()
        except (yaml.YAMLError, KeyError, TypeError, AttributeError):
            raise UserError(Msg("boards.not_a_file")) from None
        done = []
        for name, spec in entries:
            d = board_from_dict(str(name), spec or {})
            if any(not p.question for p in d.panels):
                raise UserError(Msg.of("boards.panel_needs_question", name=name))
            owner = str((spec or {}).get("owner") or who.user)
            channel = str((spec or {}).get("channel") or "")
            scope: Scope = (
                "channel" if (spec or {}).get("scope") == "channel" and channel else "personal"
            )
            home = home_of(scope, owner, channel)
            panels = [
                StoredPanel(i + 1, p.question, str(p.chart), p.title if p.title else "")
                for i, p in enumerate(d.panels)
            ]
            existing = [
                b for b in self.store.boards([home]) if name_key(b.name) == name_key(d.name)
            ]
            if existing:
                self.store.replace_panels(existing[0].id, panels)
                board_id = existing[0].id
            else:
                board_id = self.store.create(home, d.name, owner)
                self.store.replace_panels(board_id, panels)
            done.append(
                Done(
                    Msg.of(
                        "boards.imported",
                        name=d.name,
                        panels=plural("boards.panels", len(panels)),
                        scope=Msg(f"boards.scope.{scope}"),
                    ),
                    f"dashboard {d.name}: imported #{board_id}",
                )
            )
        return done
