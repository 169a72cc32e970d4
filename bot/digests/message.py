"""A digest as Slack messages: a headline of KPIs in the channel, charts and details in its thread.

The headline is native text (searchable, readable on a phone): one line per question with the
value and ▲/▼ against the previous period. Each question's chart and first rows go in the thread
so the channel gets one message a day, not ten.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol

from bot.digests.sends import Message, Part
from bot.text import answer_table, of_base
from i18n import Language, t
from metrics.answer import Answer, Column
from metrics.caveats import PROVISIONAL_MARK
from metrics.format import (
    CHANGE_IN_POINTS,
    format_as_of,
    format_change,
    format_date,
    format_range,
    format_value,
)

log = logging.getLogger(__name__)
THREAD_ROWS = 10  # rows of a table answer shown as text in the thread


class ReplyLike(Protocol):
    """What a digest reads of ``bot.backend.Reply``."""

    question: str
    answer: Answer | None
    chart_png: bytes | None
    error: Any


class BackendLike(Protocol):
    def ask(self, question: str, *, today: date | None, language: Language | None = None) -> Any:
        ...


def with_filters(question: str, filters: Sequence[str]) -> str:
    return " ".join([question.strip(), *(f.strip() for f in filters)])


def dashboard_question(name: str) -> str:
    name = name.strip()
    return (
        name if name.lower().endswith("dashboard") or name.endswith("大屏") else f"{name} dashboard"
    )


def _metric_columns(answer: Answer) -> list[tuple[int, Column]]:
    return [(i, c) for i, c in enumerate(answer.columns) if c.role == "metric"]


def _growth_of(answer: Answer, metric: str, row: tuple[Any, ...]) -> Any:
    for i, c in enumerate(answer.columns):
        if c.role == "growth" and c.metric == metric:
            return row[i]
    return None


def _has_growth(answer: Answer) -> bool:
    return any(c.role == "growth" for c in answer.columns)


def growth(current: Any, previous: Any) -> float | None:
    """kpis.md: (current − previous) ÷ previous; no value when previous is 0 or missing."""
    if current is None or previous in (None, 0):
        return None
    return (float(current) - float(previous)) / float(previous)


def headline_line(
    reply: Any, *, currency: str, previous: Any = None, lang: Language = Language.EN
) -> str:
    """One mrkdwn line for the headline. ``previous``: a Reply for the period before, if asked."""
    if reply.error is not None:
        return t(lang, "digest.error", question=reply.question, error=reply.error.text(lang))
    answer: Answer | None = reply.answer
    if answer is None:  # a dashboard: named as its image is titled
        named = reply.dashboard_name if reply.dashboard else reply.question
        return t(lang, "digest.image", question=named)
    lang = answer.language
    window = ""
    if answer.window:
        window = " · " + format_range(answer.window.start, answer.window.end, lang)
    if not answer.rows:
        return t(lang, "digest.no_data", question=answer.restated or reply.question, window=window)
    if len(answer.rows) > 1:
        return t(lang, "digest.rows", question=answer.restated, rows=len(answer.rows))
    row = answer.rows[0]
    prev_row = None
    if (
        previous is not None
        and getattr(previous, "answer", None) is not None
        and previous.answer.rows
    ):
        prev_row = previous.answer.rows[0]
    pieces = []
    for i, col in _metric_columns(answer):
        value = format_value(row[i], col.format, currency=currency, lang=lang)
        mark = PROVISIONAL_MARK if answer.provisional(col.metric, 0) else ""
        text = f"*{col.spoken}* {mark}{value}{of_base(answer, col)}"
        g = _growth_of(answer, col.name, row) if _has_growth(answer) else None
        p = answer.companion(col, "previous")
        before = row[p] if p is not None else None
        if before is None and prev_row is not None and i < len(prev_row):
            before = prev_row[i]
        if g is None:
            g = growth(row[i], before)
        if g is not None or (col.format in CHANGE_IN_POINTS and before is not None):
            text += f" {format_change(g, row[i], before, col.format, lang)}"
        pieces.append(text)
    return "• " + ", ".join(pieces) + window


def details_text(answer: Answer, *, currency: str) -> str:
    """The first rows of a table answer as a monospace block (the text beside the chart), the
    same table as `kpibot ask` and Slack: bases beside rates, marks, partial buckets; then the
    answer's notes (the rules those marks follow)."""
    table = answer_table(answer, currency=currency, max_rows=THREAD_ROWS, separator=False)
    notes = "".join(f"\n_{n}_" for n in (*answer.notes, *answer.caveats))
    return "```\n" + table + "\n```" + notes


def thread_part(reply: Any, *, currency: str) -> Part | None:
    """The thread message of one question: its chart (with the restatement) or its rows."""
    answer: Answer | None = reply.answer
    if reply.error is not None or (answer is not None and not answer.rows):
        return None
    title = (
        answer.restated
        if answer is not None
        else reply.dashboard_name if reply.dashboard else reply.question
    )
    text = f"*{title}*"
    if answer is not None and answer.rows:
        text += "\n" + details_text(answer, currency=currency)
    if reply.chart_png:
        return Part(text=text, image=reply.chart_png, image_title=title)
    section = {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}
    return Part(text=text[:3900], blocks=(section,))


def is_empty(replies: Sequence[Any]) -> bool:
    """No question produced a row or an image (errors do not count as content)."""
    for r in replies:
        if r.error is not None:
            continue
        if r.answer.rows if r.answer is not None else r.chart_png:  # a dashboard is an image
            return False
    return True


def digest_message(
    name: str,
    replies: Sequence[Any],
    *,
    today: date,
    currency: str,
    previous: Sequence[Any | None] | None = None,
    lang: Language = Language.EN,
) -> Message:
    """The headline and thread of one digest, in ``lang``. ``previous[i]`` is the period before
    reply i."""
    prev = list(previous) if previous is not None else [None] * len(replies)
    lines = [
        headline_line(r, currency=currency, previous=p, lang=lang)
        for r, p in zip(replies, prev, strict=True)
    ]
    title = f"{name} · {format_date(today, lang)}"
    as_of = [r.answer.data_as_of for r in replies if r.answer is not None and r.answer.data_as_of]
    context = t(lang, "digest.thread")
    if as_of:
        context = t(lang, "digest.as_of", as_of=format_as_of(min(as_of), lang), then=context)
    blocks: tuple[dict[str, Any], ...] = (
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
    )
    text = title + "\n" + "\n".join(lines)
    thread = tuple(p for r in replies if (p := thread_part(r, currency=currency)) is not None)
    return Message(headline=Part(text=text[:3900], blocks=blocks), thread=thread)


def ask_all(
    backend: BackendLike,
    questions: Sequence[str],
    today: date,
    language: Language | None = None,
    scope: dict[str, Any] | None = None,
) -> tuple[list[Any], list[Any]]:
    """Each question's reply (in ``language``; None: each question's own) and, for one-row
    answers without a comparison, the previous period (in the answer's scope). ``scope``: the
    row-level scope keyword (bot/rows.py, ``scoped``)."""
    replies, previous = [], []
    for q in questions:
        reply = backend.ask(q, today=today, language=language, **(scope or {}))
        replies.append(reply)
        prev = None
        a = reply.answer if reply.error is None else None
        if (
            a is not None
            and len(a.rows) == 1
            and not _has_growth(a)
            and hasattr(backend, "previous_period")
        ):
            prev = backend.previous_period(a, today=today)
        previous.append(prev)
    return replies, previous
