"""A small deterministic backend for digest tests: hand-built Answers, values chosen per day.

It is our component standing in for the question engine (bot.backend.Backend's interface),
not a Slack mock: every value a test expects is the one the test put in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bot.backend import Reply, answer_csv
from metrics.answer import Answer, Column, ResolvedWindow, Sample
from metrics.catalog import Catalog
from metrics.catalog_load import load_catalog
from metrics.errors import UnknownWord
from metrics.query import Query

PNG = b"\x89PNG\r\n\x1a\n" + b"chart" * 20


def answer(
    question: str,
    metric: str,
    fmt: str,
    value: float | None,
    today: date,
    *,
    count: float | None = None,
    rows: int = 1,
    base: tuple[str, int] | None = None,
) -> Answer:
    """A one-KPI answer over the 7 days before ``today``; ``count`` adds a 'calls' column,
    ``base`` (noun, n) the sample the engine counts behind a rate."""
    cols = [Column(metric, "metric", fmt, metric=metric, better="higher")]  # type: ignore[arg-type]
    row: list[object] = [value]
    if count is not None:
        cols.append(Column("calls", "metric", "count", metric="calls", better="higher"))
        row.append(count)
    window = ResolvedWindow(today - timedelta(days=7), today - timedelta(days=1), "last 7 days")
    data = tuple(tuple(row) for _ in range(rows)) if value is not None or rows else ()
    return Answer(
        question=question,
        query=Query(metrics=(metric,)),
        restated=f"[{metric}] · last 7 days",
        window=window,
        compare_window=None,
        columns=tuple(cols),
        rows=data,
        sql="",
        samples=(Sample(metric, base[0], (base[1],) * len(data)),) if base else (),
    )


@dataclass
class ScriptedBackend:
    """``values(question, today)`` → the KPI value (None: no rows). Records every call."""

    values: Callable[[str, date], float | None]
    count: Callable[[str, date], float | None] = lambda q, d: None
    fmt: str = "percent"
    calls: list[tuple[str, date]] = field(default_factory=list)
    unknown: tuple[str, ...] = ("conect rate",)

    def ask(self, question: str, *, today: date | None, language: Any = None) -> Reply:
        assert today is not None
        self.calls.append((question, today))
        if any(u in question for u in self.unknown):
            return Reply(
                question=question,
                error=UnknownWord(
                    'I don\'t know "conect rate". Did you mean connect rate?', ("connect rate",)
                ),
            )
        if "dashboard" in question:
            return Reply(question=question, chart_png=PNG, dashboard=question)
        v = self.values(question, today)
        metric = question.split(" last")[0]
        a = answer(
            question,
            metric,
            self.fmt,
            v,
            today,
            count=self.count(question, today),
            rows=0 if v is None else 1,
        )
        return Reply(question=question, answer=a, chart_png=PNG)

    @property
    def catalog(self) -> Catalog:
        return load_catalog()

    def csv(self, a: Answer) -> bytes:
        return answer_csv(a)

    def previous_period(self, a: Answer, *, today: date | None) -> Reply | None:
        assert today is not None
        return self.ask(a.question, today=today - timedelta(days=7))

    def board(
        self, board: Any, asked: str, *, today: date | None, language: Any = None
    ) -> Reply:
        """User dashboards are not part of these scripts (tests/test_boards_real.py)."""
        raise AssertionError("a digest test asked for a user dashboard")


class Crash(BaseException):
    """A process dying mid-send (not an Exception: nothing in the dispatcher may catch it)."""


def cli_backend(config: object) -> ScriptedBackend:
    """For ``KPIBOT_BACKEND=tests.digest_backend:cli_backend``: 30% now, 25% a week before."""
    return ScriptedBackend(lambda q, d: 0.30 if d.day == 28 else 0.25, count=lambda q, d: 120)
