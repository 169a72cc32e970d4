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

from metrics.answer import Answer, Column
from metrics.catalog import GRAINS
from metrics.format import (
    format_as_of,
    format_bucket,
    format_change,
    format_growth,
    format_label,
    format_value,
)

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
    value: Any, col: Column, *, currency: str = "USD", fiscal_start_month: int = 1
) -> str:
    if col.role == "growth":
        return format_growth(value)
    if col.role == "dimension":
        if col.name in GRAINS and isinstance(value, date):
            return format_bucket(value, col.name, fiscal_start_month=fiscal_start_month)
        return format_label(value)
    if col.format == "date" and isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    return format_value(value, col.format, currency=currency)


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
    changes = {i: change_parts(answer, c) for i, c in enumerate(cols) if c.role == "growth"}
    return [
        [
            format_change(v, row[changes[i][0]], row[changes[i][1]], changes[i][2])
            if i in changes and changes[i][0] >= 0
            else format_cell(v, c, currency=currency, fiscal_start_month=fiscal_start_month)
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


def answer_table(
    answer: Answer,
    *,
    currency: str = "USD",
    fiscal_start_month: int = 1,
    max_rows: int | None = None,
) -> str:
    """The answer's rows as an aligned text table (``max_rows`` cuts it with a closing line)."""
    cols = answer.columns
    rows = answer.rows if max_rows is None else answer.rows[:max_rows]
    cells = answer_cells(answer, rows, currency=currency, fiscal_start_month=fiscal_start_month)
    text = render_table([c.shown for c in cols], cells, [right_aligned(c) for c in cols])
    hidden = len(answer.rows) - len(rows)
    if hidden > 0:
        text += f"\n… {hidden} more row{'s' if hidden != 1 else ''}"
    return text


def data_as_of_text(answer: Answer, tz: tzinfo | None = None) -> str | None:
    """'data as of 2024-06-27 08:00 Asia/Shanghai', in the org time zone."""
    if answer.data_as_of is None:
        return None
    when = answer.data_as_of
    if tz is not None and when.tzinfo is not None:
        when = when.astimezone(tz)
    return format_as_of(when)


def answer_text(
    answer: Answer, *, currency: str = "USD", fiscal_start_month: int = 1, tz: tzinfo | None = None
) -> str:
    """Everything `kpibot ask` prints for an answer."""
    parts = [answer.restated]
    parts.extend(f"note: {n}" for n in answer.notes)
    as_of = data_as_of_text(answer, tz)
    if as_of:
        parts.append(as_of)
    parts.append("")
    parts.append(answer_table(answer, currency=currency, fiscal_start_month=fiscal_start_month))
    return "\n".join(parts)
