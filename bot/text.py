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
from collections.abc import Callable, Sequence
from datetime import date, datetime, tzinfo
from typing import Any

from i18n import Language, t
from metrics.answer import Answer, Column
from metrics.catalog import GRAINS
from metrics.caveats import EMPTY_MARK, PROVISIONAL_MARK, SMALL_MARK, partial_label
from metrics.format import (
    CHANGE_IN_POINTS,
    change_formatter,
    format_as_of,
    format_bucket,
    format_growth,
    format_label,
    shown_points_formatter,
    stored_formatter,
    value_formatter,
)
from metrics.restate import both_named

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
    wide = _wide_chars(text)
    return len(text) + sum(map(wide.__contains__, text)) if wide else len(text)


def _wide_chars(text: str) -> frozenset[str]:
    """The characters of ``text`` a terminal shows two columns wide (each looked up once:
    a whole column's text is asked at once)."""
    return frozenset(
        ch for ch in set(text) if ch >= _FIRST_WIDE and unicodedata.east_asian_width(ch) in "WF"
    )


def cell_formatter(
    col: Column, *, currency: str = "USD", fiscal_start_month: int = 1, lang: Language = EN
) -> Callable[[Any], str]:
    """How one column's values are shown, decided once per column (tables map it down the
    column: a 700-rep table has thousands of cells and one format per column)."""
    if col.role == "growth":
        return format_growth
    if col.role == "dimension":
        if col.name in GRAINS:
            grain = col.name

            def bucket(value: Any) -> str:
                if isinstance(value, date):
                    return format_bucket(value, grain, fiscal_start_month=fiscal_start_month,
                                         lang=lang)
                return format_label(value, lang)

            return bucket
        # Mon / 周一, Jan / 1月; an empty value (none) / （空）
        return stored_formatter(col.name, lang)
    shown = value_formatter(col.format, currency=currency, lang=lang)
    if col.format == "date":
        return lambda v: v.isoformat()[:10] if isinstance(v, (date, datetime)) else shown(v)
    return shown


def format_cell(
    value: Any,
    col: Column,
    *,
    currency: str = "USD",
    fiscal_start_month: int = 1,
    lang: Language = EN,
) -> str:
    return cell_formatter(
        col, currency=currency, fiscal_start_month=fiscal_start_month, lang=lang
    )(value)


def change_parts(answer: Answer, growth: Column) -> tuple[int, int, str]:
    """(current index, previous index, KPI format) of a growth column; (-1, -1, "") if unknown."""
    cur = answer.companion(growth, "metric")
    prev = answer.companion(growth, "previous")
    if cur is None or prev is None:
        return -1, -1, ""
    return cur, prev, answer.columns[cur].format


def answer_columns(
    answer: Answer,
    rows: Sequence[tuple[Any, ...]],
    *,
    currency: str = "USD",
    fiscal_start_month: int = 1,
) -> list[list[str]]:
    """Every cell as people read it, column by column; a rate's change in percentage points
    from its row."""
    lang = answer.language
    values = list(zip(*rows, strict=True)) if rows else [()] * len(answer.columns)
    out: list[list[str]] = []
    for i, c in enumerate(answer.columns):
        cur, prev, fmt = change_parts(answer, c) if c.role == "growth" else (-1, -1, "")
        if cur >= 0 and fmt in CHANGE_IN_POINTS and max(cur, prev) < i:
            # points read off the two rates as shown just above (each formatted once)
            out.append(list(map(shown_points_formatter(lang), out[cur], out[prev])))
            continue
        if cur >= 0 and fmt in CHANGE_IN_POINTS:
            out.append(list(map(change_formatter(fmt, lang), values[i], values[cur], values[prev])))
            continue
        show = cell_formatter(c, currency=currency, fiscal_start_month=fiscal_start_month,
                              lang=lang)
        out.append(list(map(show, values[i])))
    return out


def right_aligned(col: Column) -> bool:
    return col.role in ("metric", "previous", "growth") or col.format not in ("text", "date")


def _padded(head: str, cells: Sequence[str], right: bool, separator: bool) -> list[str]:
    """A column's header, dashes and cells padded to its width (a column without wide
    characters, most of a big table, pads by length in C; others by display width)."""
    column = [head, *cells]
    text = "".join(column)
    wide = frozenset() if text.isascii() else _wide_chars(text)
    if not wide:  # every character one column: pad by length, in C
        width = max(map(len, column))
        padded = [c.rjust(width) for c in column] if right else [c.ljust(width) for c in column]
    else:
        used = _widths(column, text, wide)
        width = max(used)
        # pad to ``width`` display columns: ``used - len`` of them are taken by wide characters
        if right:
            padded = [c.rjust(width - u + len(c)) for c, u in zip(column, used, strict=True)]
        else:
            padded = [c.ljust(width - u + len(c)) for c, u in zip(column, used, strict=True)]
    if separator:
        padded.insert(1, "-" * width)
    return padded


def _widths(column: Sequence[str], text: str, wide: frozenset[str]) -> list[int]:
    """Each cell's display width. When every non-ASCII character of the column is a wide one
    of three UTF-8 bytes (Chinese names beside Latin ones), a cell's width is (characters +
    bytes) / 2, counted in C; otherwise its wide characters are counted one by one."""
    if all("\u0800" <= ch <= "\uffff" for ch in wide) and wide.issuperset(
        ch for ch in set(text) if ch > "\x7f"
    ):
        return [(len(c) + len(c.encode())) >> 1 for c in column]
    return [len(c) + sum(map(wide.__contains__, c)) for c in column]


def render_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: Sequence[bool] | None = None,
    *,
    separator: bool = True,
) -> str:
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(header)
    return render_columns(header, columns, right, separator=separator)


def render_columns(
    header: Sequence[str],
    columns: Sequence[Sequence[str]],
    right: Sequence[bool] | None = None,
    *,
    separator: bool = True,
) -> str:
    """``render_table`` of cells given column by column (as tables are formatted)."""
    right = right or [False] * len(header)
    padded = [
        _padded(h, col, r, separator) for h, col, r in zip(header, columns, right, strict=True)
    ]
    return "\n".join("  ".join(line).rstrip() for line in zip(*padded, strict=True))


def base_header(answer: Answer, col: Column, taken: Sequence[str]) -> str:
    """The column beside a rate or mean saying how many records it stands on: its base noun
    ("closed deals"), or "n (win rate)" when another column already has that name."""
    sample = answer.sample(col.metric)
    assert sample is not None
    taken = [*taken, *(c.shown for c in answer.columns)]
    header = t(answer.language, "text.base_header", noun=sample.noun)
    return header if header not in taken else t(answer.language, "text.n_of", metric=col.shown)


def table_cells(
    answer: Answer,
    *,
    currency: str = "USD",
    fiscal_start_month: int = 1,
    max_rows: int | None = None,
) -> tuple[list[str], list[list[str]], list[bool]]:
    """Header, cells (row by row) and right alignment of the answer as people read it: every
    rate or mean followed by its base (``min_sample_size``: marked †), provisional values
    marked ~ and a partial time bucket labelled "(to date)". Text, Slack and digests all use
    this; only the first ``max_rows`` rows are formatted when a surface shows no more."""
    header, columns, right = table_columns(
        answer, currency=currency, fiscal_start_month=fiscal_start_month, max_rows=max_rows
    )
    return header, [list(r) for r in zip(*columns, strict=True)], right


def table_columns(
    answer: Answer,
    *,
    currency: str = "USD",
    fiscal_start_month: int = 1,
    max_rows: int | None = None,
) -> tuple[list[str], list[list[str]], list[bool]]:
    """``table_cells`` column by column."""
    rows = answer.rows if max_rows is None else answer.rows[:max_rows]
    shown = answer_columns(answer, rows, currency=currency, fiscal_start_month=fiscal_start_month)
    header: list[str] = []
    right: list[bool] = []
    columns: list[list[str]] = []
    for c, cells in zip(answer.columns, shown, strict=True):
        header.append(c.shown)
        right.append(right_aligned(c))
        if c.role == "dimension" and c.name in GRAINS:
            cells = [text + partial_label(answer, i) for i, text in enumerate(cells)]
        sample = answer.sample(c.metric)
        if c.role == "previous" and sample is not None and sample.previous:
            # The compared value's own base, marked as the current one is.
            columns.append(_small_marked(cells, answer.small_previous_rows(c.metric)))
            header.append(previous_base_header(answer, sample.noun))
            right.append(True)
            columns.append([f"{n:,}" for n in sample.previous[: len(rows)]])
            continue
        if c.role == "growth" and sample is not None:
            # A change is as shaky as the smaller of its two bases.
            small = [a or b for a, b in zip(answer.small_rows(c.metric),
                                            answer.small_previous_rows(c.metric), strict=True)]
            columns.append(_small_marked(cells, small))
            continue
        if c.role != "metric":
            columns.append(cells)
            continue
        columns.append(_marked(answer, c, cells))
        if sample is not None:
            header.append(base_header(answer, c, header))
            right.append(True)
            columns.append([f"{n:,}" for n in sample.counts[: len(rows)]])
    return header, columns, right


def previous_base_header(answer: Answer, noun: str) -> str:
    """The header of the compared value's base: "closed deals (previous)", or by the other
    window's name when the user named both ("closed deals (2025)")."""
    lang = answer.language
    base = t(lang, "text.base_header", noun=noun)
    if answer.sides is not None and both_named(answer.query):
        return t(lang, "column.side", metric=base, side=answer.sides[1])
    return t(lang, "column.previous", metric=base)


def _small_marked(cells: list[str], small: list[bool]) -> list[str]:
    """Cells followed by † where their base is small (no value, —, has nothing to mark); an
    unmarked one keeps the mark's room, so the digits of the right-aligned column line up."""
    marked = [mark and text != EMPTY_MARK for text, mark in zip(cells, small, strict=False)]
    if not any(marked):
        return cells  # nothing to mark, no room to keep
    none = " " * (1 + len(SMALL_MARK))
    return [
        text + (f" {SMALL_MARK}" if mark else none)
        for text, mark in zip(cells, marked, strict=False)  # the cells may be the first rows only
    ]


def _marked(answer: Answer, col: Column, cells: list[str]) -> list[str]:
    """A KPI's cells with their marks: ~ before a provisional value, † after one on a small
    sample."""
    if answer.sample(col.metric) is None and not answer.unsettled:
        return cells
    smalls = answer.small_rows(col.metric)[: len(cells)]
    provisional = answer.provisional_rows(col.metric)
    if not any(smalls) and not any(provisional[: len(cells)]):
        return cells
    # the column is right-aligned: an unmarked value leaves the mark's room, so digits line up
    none = " " * (1 + len(SMALL_MARK)) if any(smalls) else ""
    return [
        (PROVISIONAL_MARK if provisional else "") + text + (f" {SMALL_MARK}" if small else none)
        for text, provisional, small in zip(
            cells, provisional, smalls,
            strict=False,  # the cells may be the first rows only
        )
    ]


def of_base(answer: Answer, col: Column, row: int = 0, *, previous: bool = False) -> str:
    """' of 4,110 outbound calls' after a rate or mean's value, marked † when that is few;
    '' for counts and sums. Single values in Slack and digest headlines say it this way.
    ``previous``: the base of the compared value (none without a comparison)."""
    sample = answer.sample(col.metric)
    counts = sample.previous if previous and sample is not None else getattr(sample, "counts", ())
    if sample is None or not counts:
        return ""
    few = answer.small_previous if previous else answer.small
    small = f" {SMALL_MARK}" if few(col.metric, row) else ""
    n = counts[row]
    return t(answer.language, "text.of_base", n=f"{n:,}", noun=sample.counted(n), small=small)


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
    header, columns, right = table_columns(
        answer, currency=currency, fiscal_start_month=fiscal_start_month, max_rows=max_rows
    )
    text = render_columns(header, columns, right, separator=separator)
    hidden = 0 if max_rows is None else max(0, len(answer.rows) - max_rows)
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
