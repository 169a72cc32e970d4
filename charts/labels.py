"""Words on a chart: titles, subtitles, cut names, tick labels. Numbers go through metrics.format.

>>> cut("Acme International Holdings Ltd", 14)
'Acme Internat…'
>>> display_width("温家豪")
6
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import i18n
from i18n import Language, words
from metrics.answer import Answer, Column
from metrics.format import (
    NONE,
    format_as_of,
    format_bucket,
    format_growth,
    format_label,
    format_range,
    format_stored,
    format_value,
)
from metrics.query import Filter

GRAINS = ("day", "week", "month", "quarter", "year")
EN = Language.EN


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def display_width(text: str) -> int:
    """Width in half-width cells: a Chinese character counts 2."""
    return sum(2 if _wide(ch) else 1 for ch in text)


def cut(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` half-width cells, ending with "…" when something was dropped."""
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = 2 if _wide(ch) else 1
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out).rstrip() + "…"


def wrap(text: str, width: int, max_lines: int = 2) -> str:
    r"""Wrap on spaces (and after "/") to ``width`` cells; the last line is cut with "…".

    >>> wrap("Proposal/Price Quote", 12)
    'Proposal/\nPrice Quote'
    """
    # Tokens keep their separator so "Proposal/Price" can break after the slash.
    tokens = re.findall(r"[^\s/]+/?|/", text)
    seps = []
    pos = 0
    for t in tokens:
        pos = text.index(t, pos) + len(t)
        seps.append(" " if pos < len(text) and text[pos] == " " else "")
    lines: list[str] = []
    line = ""
    for i, t in enumerate(tokens):
        sep = seps[i - 1] if i else ""
        candidate = f"{line}{sep}{t}" if line else t
        if display_width(candidate) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = t
    lines.append(line)
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [cut(" ".join(lines[max_lines - 1 :]), width)]
    return "\n".join(cut(x, width) for x in lines)


# KPI names as table headers and panel heads where the full name would wrap or be cut.
SHORT_HEADERS = {
    "sales cycle length": "Cycle",
    "cycle length (days)": "Cycle",
    "lead response time": "Response",
    "average deal size": "Avg deal",
    "close date": "Closed",
}


def short_name(name: str) -> str:
    """'lead response time' → 'Response' (SHORT_HEADERS), else the name as a sentence."""
    return SHORT_HEADERS.get(name, sentence(name))


def sentence(name: str) -> str:
    """'connect rate' → 'Connect rate' (catalog names are lower case)."""
    return name[:1].upper() + name[1:] if name else name


def value(
    v: Any, col: Column, currency: str, short: bool = True, lang: Language = EN
) -> str:
    """A value label; ``short`` (1.2k, $3.4M) only from 10,000 up, where digits start to crowd."""
    if col.role == "growth":
        return format_growth(v)
    if short and isinstance(v, (int, float, Decimal)) and abs(float(v)) < 10_000:
        short = False
    return format_value(v, col.format, currency=currency, short=short, lang=lang)


def category(v: Any, dimension: str = "", lang: Language = EN) -> str:
    """A dimension value as a bar/axis label, whole (charts.axis fits it by measurement);
    weekdays and months in ``lang`` (周一, 1月)."""
    return format_stored(v, dimension, lang)


def tick(v: Any, grain: str, fiscal_start_month: int, lang: Language = EN) -> str:
    """A time bucket on an axis: days and weeks as '3 Mar' (3月3日), longer buckets as
    metrics.format."""
    if isinstance(v, datetime):
        v = v.date()
    if not isinstance(v, date):
        return format_label(v, lang)
    if grain in ("day", "week"):
        month = words(lang, "months")[v.month - 1]
        return i18n.t(lang, "date.day_month", day=v.day, month=month, m=v.month)
    return format_bucket(v, grain, fiscal_start_month=fiscal_start_month, lang=lang)


def unbracketed(answer: Answer) -> str:
    """The restatement as a title says it: without brackets, its groupings in the language's
    title form (``chart.title_by``: "win rate by rep", "赢单率（按销售）", not "赢单率 按 销售")."""
    return _titled_by(answer).replace("[", "").replace("]", "")


def _titled_by(answer: Answer) -> str:
    lang = answer.language
    dims = [c.spoken for c in answer.columns if c.role == "dimension"]
    text = answer.restated
    if dims:
        also = i18n.t(lang, "restate.also")
        restated_by = i18n.t(lang, "restate.by", names=also.join(f"[{d}]" for d in dims))
        title_by = i18n.t(lang, "chart.title_by", names=i18n.join(lang, dims, "and"))
        text = text.replace(" " + restated_by, title_by, 1)
    return text


def title_of(answer: Answer) -> str:
    """The restated question without its window part (the subtitle states dates) or brackets."""
    parts = [p.strip() for p in _titled_by(answer).split(" · ")]
    w = answer.window
    lang = answer.language
    if w is not None and len(parts) > 1:
        rng = format_range(w.start, w.end, lang)
        name = w.name(lang)
        said = (f"({name})", f"（{name}）")  # the window phrase's parentheses, either language
        parts = [p for p in parts if rng not in p and p != name and not any(x in p for x in said)]
    text = " · ".join(parts) if parts else _titled_by(answer)
    # A field measure's own date ("of [Opportunity] on [CloseDate]") is the text answer's to
    # state; the title keeps the object only. A date the question chose ("by close date") is
    # the title's: new opportunities by week on close date are not those created each week.
    if answer.query.anchor is None:
        text = re.sub(r" on \[[^\]]+\]", "", text)
    return sentence(text.replace("[", "").replace("]", ""))


def window_text(answer: Answer) -> str:
    """'27 May – 26 Jun 2024 (last 31 days) · vs 26 Apr – 26 May 2024'."""
    bits: list[str] = []
    w = answer.window
    lang = answer.language
    if w is not None:
        rng = format_range(w.start, w.end, lang)
        name = w.name(lang)
        said = i18n.t(lang, "chart.window", range=rng, name=name)
        bits.append(rng if name in ("", rng) else said)
    c = answer.compare_window
    if c is not None:
        extent = i18n.t(lang, f"chart.extent.{c.extent.replace(' ', '_')}") if c.extent else ""
        rng = format_range(c.start, c.end, lang)
        bits.append(i18n.t(lang, "chart.vs", range=rng, extent=extent))
    return " · ".join(bits)


def as_of_text(answer: Answer) -> str:
    """'data as of 27 Jun 2024 06:00' ('' when unknown)."""
    d = answer.data_as_of
    return "" if d is None else format_as_of(d, answer.language)


def filter_text(filters: tuple[Filter, ...], names: Callable[[str], str] = str) -> str:
    """'rep = 温家豪 · channel = inbound' for a dashboard's subtitle (``names``: a dimension's
    name in the reader's language, 团队 = outbound)."""
    ops = {"in": "=", "not_in": "≠", "gt": ">", "ge": "≥", "lt": "<", "le": "≤"}
    out = []
    for f in filters:
        vals = ", ".join(NONE if v is None else str(v) for v in f.values)
        out.append(f"{names(f.dimension)} {ops[f.op]} {vals}")
    return " · ".join(out)
