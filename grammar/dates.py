"""Dates, months, quarters, years and numbers written in a question, read at one position.

Each form is a regular expression plus a builder; the lexer asks for the longest match.

>>> read_literal("2024-05-01 to 2024-05-31", 0)
(10, 'DATE', datetime.date(2024, 5, 1))
>>> read_literal("q2 2024", 0)
(7, 'QUARTER_SPEC', (2024, 2))
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from grammar.normalize import is_word_char

_MONTHS = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}
_MON = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_Y = r"((?:19|20)\d\d)"
_FULL_NAMES = [k for k in _MONTHS if len(k) > 3 or k == "may"]
_FULL_MON = "(" + "|".join(sorted(_FULL_NAMES, key=len, reverse=True)) + ")"
_D = r"(\d{1,2})(?:st|nd|rd|th)?"


class BadDate(ValueError):
    """A date-shaped literal that is no date (2024-02-30); the parser says so."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


def _date(y: str, m: str | int, d: str) -> date:
    return date(int(y), int(m), int(d))


def _number(s: str) -> float:
    mult = 1.0
    if s[-1] in "km":
        mult = 1000.0 if s[-1] == "k" else 1_000_000.0
        s = s[:-1]
    return float(s.replace(",", "")) * mult


_Builder = Callable[[re.Match[str]], Any]
# (token type, pattern, builder); the longest match wins, earlier rows win ties.
_FORMS: list[tuple[str, re.Pattern[str], _Builder]] = [
    ("DATE", re.compile(_Y + r"[-/.](\d{1,2})[-/.](\d{1,2})"), lambda m: _date(*m.groups())),
    ("DATE", re.compile(_Y + r"年(\d{1,2})月(\d{1,2})[日号]?"), lambda m: _date(*m.groups())),
    (
        "DATE",
        re.compile(_MON + r" ?" + _D + r",? ?" + _Y),
        lambda m: _date(m[3], _MONTHS[m[1]], m[2]),
    ),
    (
        "DATE",
        re.compile(_D + r" ?" + _MON + r",? ?" + _Y),
        lambda m: _date(m[3], _MONTHS[m[2]], m[1]),
    ),
    ("MONTH_SPEC", re.compile(_Y + r"[-/](\d{1,2})(?![\d])"), lambda m: (int(m[1]), int(m[2]))),
    ("MONTH_SPEC", re.compile(_Y + r"年(\d{1,2})月(?:份)?"), lambda m: (int(m[1]), int(m[2]))),
    ("MONTH_SPEC", re.compile(_MON + r",? ?" + _Y), lambda m: (int(m[2]), _MONTHS[m[1]])),
    ("QUARTER_SPEC", re.compile(r"q([1-4]) ?(?:fy ?)?" + _Y), lambda m: (int(m[2]), int(m[1]))),
    (
        "QUARTER_SPEC",
        re.compile(r"(?:fy ?)?" + _Y + r" ?q([1-4])"),
        lambda m: (int(m[1]), int(m[2])),
    ),
    (
        "QUARTER_SPEC",
        re.compile(r"(?:fy ?)?" + _Y + r"(?:年|财年)?第?([1-4])季度?"),
        lambda m: (int(m[1]), int(m[2])),
    ),
    # Without a year (Q2, May, 5月): the most recent one up to today (metrics.windows); only
    # full month names, as "mar"/"jan" alone are too often something else.
    ("QUARTER_SPEC", re.compile(r"q([1-4])"), lambda m: (None, int(m[1]))),
    ("QUARTER_SPEC", re.compile(r"第?([1-4])季度"), lambda m: (None, int(m[1]))),
    ("MONTH_SPEC", re.compile(_FULL_MON), lambda m: (None, _MONTHS[m[1]])),
    ("MONTH_SPEC", re.compile(r"(\d{1,2})月份?"), lambda m: (None, int(m[1]))),
    ("YEAR", re.compile(r"(?:fy|fiscal year|fiscal) ?" + _Y), lambda m: int(m[1])),
    ("YEAR", re.compile(_Y + r"(?:年|财年)"), lambda m: int(m[1])),
    ("YEAR", re.compile(_Y), lambda m: int(m[1])),
    (
        "NUMBER",
        # ".5" is a number too: dropping its point would read 5.
        re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?[km]?|\d+(?:\.\d+)?[km]?|\.\d+[km]?"),
        lambda m: _number(m[0]),
    ),
]


def read_literal(s: str, i: int) -> tuple[int, str, Any] | None:
    """The longest date/number literal at ``i``: (end, token type, value), or None.

    Raises BadDate for a literal shaped like a date that does not exist."""
    if i > 0 and is_word_char(s[i - 1]):
        return None
    best: tuple[int, str, re.Match[str], _Builder] | None = None
    for ttype, pattern, build in _FORMS:
        m = pattern.match(s, i)
        if m is None:
            continue
        end = m.end()
        if end < len(s) and is_word_char(s[end - 1]) and is_word_char(s[end]):
            continue  # "2024abc", "q2 2024x": not a literal
        if best is None or end > best[0]:
            best = (end, ttype, m, build)
    if best is None:
        return None
    end, ttype, m, build = best
    try:
        return end, ttype, build(m)
    except ValueError:
        raise BadDate(m[0]) from None
