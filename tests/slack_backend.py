"""A small deterministic backend for the Slack tests: hand-built answers, a tiny real PNG.

It is our own component standing in for the question engine (not a mock of Slack libraries),
so the Slack tests can check the bot's behaviour with numbers written by hand. Select it with
``KPIBOT_BACKEND=tests.slack_backend:FixedBackend``.

Questions it knows (case-insensitive, spaces normalised): see ``QUESTIONS``; anything else is
an unknown word. ``boom`` raises an internal error; ``slow …`` waits 0.3 s first.
"""

from __future__ import annotations

import struct
import time
import zlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.backend import Reply, answer_csv
from metrics.answer import Answer, Column, ResolvedWindow
from metrics.catalog import Catalog
from metrics.catalog_load import load_catalog
from metrics.errors import NoData, UnknownWord, Unsupported
from metrics.query import Comparison, Query, WindowSpec

# As the engine hands it over: in the org zone (00:30 UTC = 08:30 in Asia/Shanghai).
AS_OF = datetime(2024, 6, 27, 0, 30, tzinfo=UTC).astimezone(ZoneInfo("Asia/Shanghai"))
TODAY = date(2024, 6, 27)


def tiny_png(width: int = 4, height: int = 3) -> bytes:
    """A real, valid PNG (grey pixels), built by hand: enough to exercise the upload flow."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PNG = tiny_png()

LAST_31 = ResolvedWindow(date(2024, 5, 27), date(2024, 6, 26), "last 31 days", "rolling", "day", 31)
PREV_31 = ResolvedWindow(date(2024, 4, 26), date(2024, 5, 26), "between 2024-04-26 and 2024-05-26")
THIS_Q = ResolvedWindow(date(2024, 4, 1), date(2024, 6, 27), "this quarter", "to_date", "quarter")
PREV_Q = ResolvedWindow(
    date(2024, 1, 1), date(2024, 3, 28), "previous period", "to_date", "quarter"
)

# connect rate by weekday, last 31 days: connected / calls per weekday, counted by hand.
WEEKDAY_CALLS = (
    ("Mon", 12, 48),
    ("Tue", 10, 50),
    ("Wed", 15, 45),
    ("Thu", 7, 39),
    ("Fri", 20, 40),
    ("Sat", 0, 3),
    ("Sun", None, 0),
)


def _rate(connected: int | None, calls: int) -> float | None:
    return None if not calls else (connected or 0) / calls


def _answer(
    question: str,
    query: Query,
    restated: str,
    window: ResolvedWindow | None,
    columns: tuple[Column, ...],
    rows: list[tuple[Any, ...]],
    sql: str,
    compare: ResolvedWindow | None = None,
) -> Answer:
    return Answer(
        question=question,
        query=query,
        restated=restated,
        window=window,
        compare_window=compare,
        columns=columns,
        rows=tuple(rows),
        sql=sql,
        data_as_of=AS_OF,
    )


def connect_rate_by_weekday(question: str) -> Answer:
    return _answer(
        question,
        Query(("connect rate",), ("weekday",), WindowSpec("last", n=31, unit="day")),
        "[connect rate] by [weekday] · 27 May – 26 Jun 2024 (last 31 days)",
        LAST_31,
        (
            Column("weekday", "dimension", "text"),
            Column("connect rate", "metric", "percent", "connect rate", "higher"),
        ),
        [(d, _rate(c, n)) for d, c, n in WEEKDAY_CALLS],
        "SELECT weekday, count(*) FILTER (WHERE connected) / count(*)"
        ' AS "connect rate"\nFROM calls\n'
        "WHERE call_date BETWEEN $cur_start AND $cur_end\nGROUP BY weekday",
    )


def revenue_vs_previous(question: str) -> Answer:
    m = "revenue won"
    return _answer(
        question,
        Query((m,), window=WindowSpec("this", unit="quarter"), comparison=Comparison("previous")),
        "[revenue won] · 1 Apr – 27 Jun 2024 (this quarter)"
        " vs 1 Jan – 28 Mar 2024 (previous period)",
        THIS_Q,
        (
            Column(m, "metric", "currency", m, "higher"),
            Column(f"{m} (previous)", "previous", "currency", m, "higher"),
            Column(f"{m} growth", "growth", "percent", m, "higher"),
        ),
        [(48250.0, 40000.0, 0.20625)],
        "SELECT sum(amount) FROM opportunities"
        " WHERE is_won AND close_date BETWEEN $cur_start AND $cur_end",
        compare=PREV_Q,
    )


REPS = [f"Rep {i:02d}" for i in range(1, 38)] + ["王伟", "李娜", "张敏"]


def win_rate_by_rep(question: str) -> Answer:
    # won i of 40 decided deals for rep i: a simple, checkable pattern.
    rows = [(name, (i + 1) / 40) for i, name in enumerate(REPS)]
    rows.sort(key=lambda r: -r[1])
    return _answer(
        question,
        Query(("win rate",), ("rep",), WindowSpec("this", unit="quarter")),
        "[win rate] by [rep] · 1 Apr – 27 Jun 2024 (this quarter)",
        THIS_Q,
        (
            Column("rep", "dimension", "text"),
            Column("win rate", "metric", "percent", "win rate", "higher"),
        ),
        rows,
        'SELECT rep, won / decided AS "win rate" FROM deals GROUP BY rep',
    )


def calls_this_week(question: str) -> Answer:
    week = ResolvedWindow(date(2024, 6, 24), date(2024, 6, 27), "this week", "to_date", "week")
    return _answer(
        question,
        Query(("calls",), window=WindowSpec("this", unit="week")),
        "[calls] · 24 – 27 Jun 2024 (this week)",
        week,
        (Column("calls", "metric", "count", "calls", "higher"),),
        [(1234,)],
        "SELECT count(*) AS calls FROM calls WHERE call_date BETWEEN $cur_start AND $cur_end",
    )


QUESTIONS = {
    "connect rate by weekday last 31 days": connect_rate_by_weekday,
    "revenue won this quarter vs previous period": revenue_vs_previous,
    "win rate by rep this quarter": win_rate_by_rep,
    "本季度 按销售代表 赢单率": win_rate_by_rep,
    "calls this week": calls_this_week,
}


class FixedBackend:
    def __init__(self, config: Any = None):
        self._catalog = load_catalog()

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def ask(self, question: str, *, today: date | None, language: Any = None) -> Reply:
        """Canned English answers whatever ``language`` (the real engine's are tested in
        tests/test_slack_languages.py)."""
        key = " ".join(question.lower().split())
        if key.startswith("slow "):
            time.sleep(0.3)
            key = key.removeprefix("slow ")
        if key == "boom":
            raise RuntimeError("the engine fell over (test)")
        if key == "kpi dashboard":
            return Reply(question, chart_png=PNG, dashboard="kpi")
        if key in QUESTIONS:
            answer = QUESTIONS[key](question)
            return Reply(question, answer=answer, chart_png=PNG)
        if key.startswith("conect rate"):
            return Reply(
                question,
                error=UnknownWord(
                    'I don\'t know "conect rate".', ("connect rate",), word="conect rate"
                ),
            )
        if key.startswith("forecast"):
            return Reply(
                question,
                error=Unsupported(
                    "I can't forecast; I answer from recorded data only.",
                    ("revenue won this quarter vs previous period", "calls this week"),
                ),
            )
        if key == "leads yesterday":
            return Reply(question, error=NoData("No data for leads in 26 Jun 2024 (yesterday)."))
        return Reply(question, error=UnknownWord(f'I don\'t know "{question}".', (), word=question))

    def previous_period(self, answer: Answer, *, today: date | None) -> Reply | None:
        if answer.window is None or answer.window.start is None or answer.window.end is None:
            return None
        if answer.compare_window is not None:
            prev = answer.compare_window
        else:
            span = answer.window.end - answer.window.start + timedelta(days=1)
            prev = ResolvedWindow(
                answer.window.start - span,
                answer.window.start - timedelta(days=1),
                "previous period",
            )
        # The previous period's numbers: hand-written for connect rate, else 80% of the current.
        if answer.columns[-1].name == "connect rate":
            rows = [
                (d, r)
                for d, r in zip(
                    ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
                    (0.2, 0.25, 0.3, 0.1, 0.4, None, None),
                    strict=True,
                )
            ]
        else:
            rows = [
                tuple(v * 0.8 if isinstance(v, float | int) else v for v in r) for r in answer.rows
            ]
        keep = [i for i, c in enumerate(answer.columns) if c.role not in ("previous", "growth")]
        rows = [tuple(r[i] for i in keep) for r in rows]
        restated = (
            answer.restated.split(" · ")[0]
            + f" · {prev.start:%-d %b %Y} – {prev.end:%-d %b %Y} (previous period)"
        )
        prev_answer = replace(
            answer,
            window=prev,
            compare_window=None,
            rows=tuple(rows),
            restated=restated,
            columns=tuple(answer.columns[i] for i in keep),
        )
        return Reply(answer.question, answer=prev_answer, chart_png=PNG)

    def csv(self, answer: Answer) -> bytes:
        return answer_csv(answer)

    def board(
        self, board: Any, asked: str, *, today: date | None, language: Any = None
    ) -> Reply:
        """A user board: the tiny PNG; each panel's question must be one this backend knows
        (the real engine draws the real board: tests/test_boards_real.py)."""
        for p in board.panels:
            reply = self.ask(p.question, today=today)
            if reply.error is not None:
                return Reply(p.question, error=reply.error)
        return Reply(f"{board.name} dashboard {asked}".strip(), chart_png=PNG, dashboard=board.name)
