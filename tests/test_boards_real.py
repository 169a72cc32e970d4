"""User dashboards on the real engine over the hand-made fixture org: a pinned panel gives the
answer its question gives, a panel that breaks says why in its cell while the rest draw, the
window and filters asked for apply to every panel, and export → import draws the same bytes."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import config as app_config
from bot.backend import RealBackend
from bot.boards.service import Boards, Viewer, to_dashboard
from bot.boards.store import BoardStore, StoredBoard, StoredPanel
from bot.state_db import open_state_db
from charts.dashboards import figure_for_board
from metrics.answer import Answer
from metrics.query import Query
from tests.cli_run import run_kpibot
from tests.fixture_org import load_fixture_org

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2024, 6, 27)
QUESTIONS = (
    "win rate vs previous period",
    "revenue won by rep",
    "connect rate by weekday",
    "top deals",
)


class Recording(RealBackend):
    """The real engine, keeping every answer it gave (to compare panels with questions)."""

    def __init__(self, cfg: Any):
        super().__init__(cfg)
        self.answers: list[Answer] = []

    def _run(self, query: Any, question: str, today: date | None, *scope: Any) -> Answer:
        answer = super()._run(query, question, today, *scope)
        self.answers.append(answer)
        return answer


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_fixture_org(tmp_path_factory.mktemp("org") / "kpibot.duckdb")


@pytest.fixture()
def backend(org: Path, tmp_path: Path) -> Recording:
    cfg = app_config.load(ROOT / "tests" / "fixtures" / "org" / "app.yaml", str(org))
    cfg = cfg.model_copy(update={"state_database": str(tmp_path / "state.sqlite")})
    return Recording(cfg)


def board(*questions: str) -> StoredBoard:
    panels = tuple(StoredPanel(i + 1, q) for i, q in enumerate(questions))
    return StoredBoard(1, "channel:CSALES", "Team East", "UALICE", "", panels)


def texts(fig: Any) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]


def test_a_pinned_panel_is_the_answer_its_question_gives(backend: Recording) -> None:
    spec = backend.panel_queries(to_dashboard(board(*QUESTIONS)))
    figure_for_board(spec, Query(), lambda q: backend._run(q, "board", TODAY))
    on_board = list(backend.answers)
    backend.answers.clear()
    asked = [backend.ask(q, today=TODAY).answer for q in QUESTIONS]
    assert len(on_board) == len(QUESTIONS)
    # Panels run concurrently, so they finish in any order: pair them by the SQL they ran.
    by_sql = {a.sql: a for a in on_board}
    assert len(by_sql) == len(QUESTIONS)
    for alone in asked:
        assert alone is not None
        panel = by_sql[alone.sql]
        assert panel.rows == alone.rows
        assert [c.name for c in panel.columns] == [c.name for c in alone.columns]
        assert panel.window == alone.window


def test_a_broken_panel_says_why_and_the_rest_draw(backend: Recording) -> None:
    spec = backend.panel_queries(to_dashboard(board("banana split by rep", *QUESTIONS)))
    fig = figure_for_board(spec, Query(), lambda q: backend._run(q, "board", TODAY))
    words = "\n".join(texts(fig))
    # The cell is titled by its question and says the grammar's own sentence, wrapped to it.
    assert "Banana split by rep" in words and 'I don\'t know the KPI "banana"' in words.replace(
        "\n", " "
    )
    assert len(backend.answers) == len(QUESTIONS)  # every other panel ran and drew
    assert "Revenue won by rep" in words and "Connect rate by weekday" in words


def test_the_window_and_filters_asked_apply_to_every_panel(backend: Recording) -> None:
    reply = backend.board(to_dashboard(board(*QUESTIONS)), "last quarter", today=TODAY)
    assert reply.error is None and reply.chart_png
    # last quarter of 27 Jun 2024 is 1 Jan – 31 Mar 2024, on every panel
    windows = {(a.window.start, a.window.end) for a in backend.answers if a.window}
    assert windows == {(date(2024, 1, 1), date(2024, 3, 31))}


def test_export_import_draws_the_same_image(org: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for folder in (one, two):
        folder.mkdir()
        cfg = yaml.safe_load((ROOT / "tests" / "fixtures" / "org" / "app.yaml").read_text())
        cfg.update({"database": str(org), "state_database": str(folder / "state.sqlite")})
        (folder / "app.yaml").write_text(yaml.safe_dump(cfg))
    boards = Boards(BoardStore(open_state_db(one / "state.sqlite")))
    who = Viewer("UALICE", "CSALES")
    boards.new("Team East", who)
    for q in QUESTIONS:
        boards.pin("Team East", q, who, title="Deals" if q == "top deals" else "")
    boards.close()

    def kpibot(folder: Path, *args: str) -> str:
        r = run_kpibot(*args, "--config", str(folder / "app.yaml"), cwd=folder)
        assert r.returncode == 0, r.stderr
        return r.stdout

    exported = kpibot(one, "dashboard", "export", "Team East")
    (tmp_path / "team-east.yaml").write_text(exported)
    assert yaml.safe_load(exported)["dashboards"]["Team East"]["panels"][3] == {
        "question": "top deals",
        "title": "Deals",
    }
    assert kpibot(two, "dashboard", "import", str(tmp_path / "team-east.yaml")).startswith(
        'Imported "Team East" (4 panels, channel).'
    )
    assert kpibot(two, "dashboard", "export", "Team East") == exported
    for folder in (one, two):
        kpibot(folder, "dashboard", "Team East", "--out", "b.png", "--today", TODAY.isoformat())
    assert (one / "b.png").read_bytes() == (two / "b.png").read_bytes()
    listed = kpibot(two, "dashboards")
    assert "Team East\t4 panels\tchannel CSALES\tby UALICE" in listed
    # `kpibot board show NAME`: the panels as text; a misspelt name gets a did-you-mean
    # (before any query runs), drawing or not.
    shown = kpibot(two, "board", "show", "team east").splitlines()
    assert shown[0] == "Team East\tchannel CSALES\tby UALICE"
    assert shown[4] == "4\ttop deals\tDeals"
    for args in (("board", "show", "Tean East"), ("dashboard", "Tean East", "--out", "x.png")):
        r = run_kpibot(*args, "--config", str(two / "app.yaml"), cwd=two)
        assert r.returncode == 1 and not (two / "x.png").exists()
        assert r.stderr == (
            'There is no dashboard called "Tean East". Did you mean "Team East"? '
            "`kpibot dashboards` lists them.\n"
        )
    # The same commands in Chinese (--lang zh, or app.yaml's `language: zh`)
    listed = kpibot(two, "dashboards", "--lang", "zh")
    assert "kpi\t（内置）" in listed
    assert "Team East\t4 个面板\t频道 CSALES\t创建者 UALICE" in listed
    shown = kpibot(two, "board", "show", "team east", "--lang", "zh").splitlines()
    assert shown[0] == "Team East\t频道 CSALES\t创建者 UALICE"
    assert shown[4] == "4\ttop deals\tDeals"
    args = ("board", "show", "Tean East", "--lang", "zh", "--config", str(two / "app.yaml"))
    r = run_kpibot(*args, cwd=two)
    assert r.returncode == 1
    assert r.stderr == (
        "没有叫“Tean East”的大屏。你是不是要找“Team East”？`kpibot dashboards` 列出全部。\n"
    )
    cfg = yaml.safe_load((two / "app.yaml").read_text())
    (two / "app.yaml").write_text(yaml.safe_dump({**cfg, "language": "zh"}))
    said = kpibot(two, "dashboard", "import", str(tmp_path / "team-east.yaml"))
    assert said == "已导入“Team East”（4 个面板，频道）。\n"  # its panels replaced
    r = run_kpibot("dashboard", "export", "East", "--config", str(two / "app.yaml"), cwd=two)
    assert r.stderr == "没有叫“East”的大屏。`kpibot dashboards` 列出全部。\n"


def test_a_digest_and_a_subscription_send_a_user_board(org: Path, tmp_path: Path) -> None:
    """`dashboards: ["Team East"]` in a digest draws the user's board (a dry run writes what
    Slack would get), and the subscription form `dashboard "Team East"` names the same board."""
    cfg = yaml.safe_load((ROOT / "tests" / "fixtures" / "org" / "app.yaml").read_text())
    cfg.update(
        {
            "database": str(org),
            "state_database": str(tmp_path / "state.sqlite"),
            "digests": [
                {
                    "name": "east",
                    "channel": "#sales",
                    "schedule": "weekly mon 09:00",
                    "dashboards": ["Team East"],
                }
            ],
        }
    )
    (tmp_path / "app.yaml").write_text(yaml.safe_dump(cfg))
    boards = Boards(BoardStore(open_state_db(tmp_path / "state.sqlite")))
    who = Viewer("UALICE", "CSALES")
    boards.new("Team East", who)
    boards.pin("Team East", "revenue won by rep", who)
    boards.close()
    r = run_kpibot(
        "digest",
        "run",
        "east",
        "--dry-run",
        "--out",
        "out",
        "--config",
        "app.yaml",
        "--today",
        "2024-06-24",  # a Monday
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    pngs = list((tmp_path / "out").glob("*.png"))
    assert len(pngs) == 1 and pngs[0].stat().st_size > 10_000
    written = "\n".join(p.read_text() for p in (tmp_path / "out").glob("*.json"))
    assert "Team East" in written
    cfg_obj = app_config.load(tmp_path / "app.yaml", str(org))
    backend = RealBackend(cfg_obj)
    for form in ('dashboard "Team East"', "Team East dashboard", "team east dashboard"):
        assert backend.ask(form, today=TODAY).dashboard == "Team East", form
    # The backend opened its own state connection for the user board; close() closes it.
    opened = backend._boards.store.db
    backend.close()
    assert opened.closed
