"""An answer as plain text: the restatement, notes, "data as of" and a readable aligned table.

Used by `kpibot ask` and anywhere a monospace table is wanted (Slack code blocks, digest
details). Values are formatted by metrics.format, so every surface shows the same number.

>>> print(render_table(["rep", "calls"], [["Alice", "1,204"], ["温家豪", "87"]]))  # doctest: +SKIP
rep     calls
------  -----
Alice   1,204
温家豪     87
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from typing import Any

from i18n import Language, t
from metrics.answer import Answer, Column
from metrics.catalog import GRAINS
from metrics.caveats import PROVISIONAL_MARK, SMALL_MARK, partial_label
from metrics.format import (
    format_as_of,
    format_bucket,
    format_change,
    format_growth,
    format_label,
    format_value,
    format_weekday,
)

EN = Language.EN

# The first code point this Python's Unicode table calls wide or full-width: characters below
# it (Latin, digits, punctuation) skip the lookup and count one column.
_FIRST_WIDE = chr(
    next((i for i in range(0x1100) if unicodedata.east_asian_width(chr(i)) in "WF"), 0x1100)
)


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters are two wide."""
    if text.isascii():  # most cells; a 700-rep table has ~5,000 of them
        return len(text)
    return len(text) + sum(
        1 for ch in text if ch >= _FIRST_WIDE and unicodedata.east_asian_width(ch) in "WF"
    )


def _pad(text: str, width: int, right: bool, used: int | None = None) -> str:
    gap = " " * max(0, width - (display_width(text) if used is None else used))
    return gap + text if right else text + gap


def format_cell(
    value: Any,
    col: Column,
    *,
    currency: str = "USD",
    fiscal_start_month: int = 1,
    lang: Language = EN,
) -> str:
    if col.role == "growth":
        return format_growth(value)
    if col.role == "dimension":
        if col.name in GRAINS and isinstance(value, date):
            return format_bucket(value, col.name, fiscal_start_month=fiscal_start_month, lang=lang)
        if col.name == "weekday":
            return format_weekday(value, lang)
        return format_label(value)
    if col.format == "date" and isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    return format_value(value, col.format, currency=currency, lang=lang)


def change_parts(answer: Answer, growth: Column) -> tuple[int, int, str]:
    """(current index, previous index, KPI format) of a growth column; (-1, -1, "") if unknown."""
    cur = answer.companion(growth, "metric")
    prev = answer.companion(growth, "previous")
    if cur is None or prev is None:
        return -1, -1, ""
    return cur, prev, answer.columns[cur].format


def answer_cells(
    answer: Answer,
    rows: Sequence[tuple[Any, ...]],
    *,
    currency: str = "USD",
    fiscal_start_month: int = 1,
) -> list[list[str]]:
    """Every cell as people read it; a rate's change in percentage points from its row."""
    cols = answer.columns
    lang = answer.language
    changes = {i: change_parts(answer, c) for i, c in enumerate(cols) if c.role == "growth"}
    return [
        [
            format_change(v, row[changes[i][0]], row[changes[i][1]], changes[i][2], lang)
            if i in changes and changes[i][0] >= 0
            else format_cell(
                v, c, currency=currency, fiscal_start_month=fiscal_start_month, lang=lang
            )
            for i, (v, c) in enumerate(zip(row, cols, strict=True))
        ]
        for row in rows
    ]


def right_aligned(col: Column) -> bool:
    return col.role in ("metric", "previous", "growth") or col.format not in ("text", "date")


def render_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: Sequence[bool] | None = None,
    *,
    separator: bool = True,
) -> str:
    right = right or [False] * len(header)
    widths = [display_width(h) for h in header]
    used = [[display_width(cell) for cell in row] for row in rows]  # measured once per cell
    for row_used in used:
        for i, w in enumerate(row_used):
            widths[i] = max(widths[i], w)
    lines = ["  ".join(_pad(h, widths[i], right[i]) for i, h in enumerate(header)).rstrip()]
    if separator:
        lines.append("  ".join("-" * w for w in widths))
    for row, row_used in zip(rows, used, strict=True):
        cells = (_pad(c, widths[i], right[i], row_used[i]) for i, c in enumerate(row))
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def base_header(answer: Answer, col: Column, taken: Sequence[str]) -> str:
    """The column beside a rate or mean saying how many records it stands on: its base noun
    ("closed deals"), or "n (win rate)" when another column already has that name."""
    sample = answer.sample(col.metric)
    assert sample is not None
    taken = [*taken, *(c.shown for c in answer.columns)]
    header = t(answer.language, "text.base_header", noun=sample.noun)
    return header if header not in taken else t(answer.language, "text.n_of", metric=col.shown)


def table_cells(
    answer: Answer, *, currency: str = "USD", fiscal_start_month: int = 1
) -> tuple[list[str], list[list[str]], list[bool]]:
    """Header, cells and right alignment of the answer as people read it: every rate or mean
    followed by its base (``min_sample_size``: marked †), provisional values marked ~ and a
    partial time bucket labelled "(to date)". Text, Slack and digests all use this."""
    header: list[str] = []
    right: list[bool] = []
    for c in answer.columns:
        header.append(c.shown)
        right.append(right_aligned(c))
        if c.role == "metric" and answer.sample(c.metric) is not None:
            header.append(base_header(answer, c, header))
            right.append(True)
    shown = answer_cells(
        answer, answer.rows, currency=currency, fiscal_start_month=fiscal_start_month
    )
    rows: list[list[str]] = []
    for i in range(len(answer.rows)):
        cells: list[str] = []
        for k, c in enumerate(answer.columns):
            text = shown[i][k]
            if c.role == "dimension" and c.name in GRAINS:
                text += partial_label(answer, i)
            sample = answer.sample(c.metric) if c.role == "metric" else None
            if c.role == "metric" and answer.provisional(c.metric, i):
                text = PROVISIONAL_MARK + text
            if sample is None:
                cells.append(text)
                continue
            cells.append(text + (f" {SMALL_MARK}" if answer.small(c.metric, i) else ""))
            cells.append(f"{sample.counts[i]:,}")
        rows.append(cells)
    return header, rows, right


def of_base(answer: Answer, col: Column, row: int = 0) -> str:
    """' of 4,110 outbound calls' after a rate or mean's value, marked † when that is few;
    '' for counts and sums. Single values in Slack and digest headlines say it this way."""
    sample = answer.sample(col.metric)
    if sample is None:
        return ""
    small = f" {SMALL_MARK}" if answer.small(col.metric, row) else ""
    return t(
        answer.language, "text.of_base", n=f"{sample.counts[row]:,}", noun=sample.noun, small=small
    )


def answer_table(
    answer: Answer,
    *,
    currency: str = "USD",
    fiscal_start_month: int = 1,
    max_rows: int | None = None,
    separator: bool = True,
) -> str:
    """The answer's rows as an aligned text table (``max_rows`` cuts it with a closing line;
    ``separator``: a dashed line under the header, as the terminal shows it)."""
    header, cells, right = table_cells(
        answer, currency=currency, fiscal_start_month=fiscal_start_month
    )
    rows = answer.rows if max_rows is None else answer.rows[:max_rows]
    text = render_table(header, cells[: len(rows)], right, separator=separator)
    hidden = len(answer.rows) - len(rows)
    if hidden > 0:
        text += "\n" + t(answer.language, f"text.more_rows.{'one' if hidden == 1 else 'other'}",
                         n=hidden)
    return text


def data_as_of_text(answer: Answer, tz: tzinfo | None = None) -> str | None:
    """'data as of 2024-06-27 08:00 Asia/Shanghai', in the org time zone."""
    if answer.data_as_of is None:
        return None
    when = answer.data_as_of
    if tz is not None and when.tzinfo is not None:
        when = when.astimezone(tz)
    return format_as_of(when, answer.language)


def answer_text(
    answer: Answer, *, currency: str = "USD", fiscal_start_month: int = 1, tz: tzinfo | None = None
) -> str:
    """Everything `kpibot ask` prints for an answer."""
    parts = [answer.restated]
    parts.extend(t(answer.language, "text.note", note=n) for n in (*answer.notes, *answer.caveats))
    as_of = data_as_of_text(answer, tz)
    if as_of:
        parts.append(as_of)
    parts.append("")
    parts.append(answer_table(answer, currency=currency, fiscal_start_month=fiscal_start_month))
    return "\n".join(parts)
