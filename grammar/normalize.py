"""One spelling for every question: case, widths, quotes, spaces and Chinese numerals.

The vocabulary goes through the same function, so the lexer compares like with like.

>>> normalize("  Connect Rate ， 过去三十天 ")
'connect rate,过去30天'
"""

from __future__ import annotations

import re
import unicodedata

# Longest accepted question: a keyword question is a line, not an essay; beyond this we say so.
MAX_LENGTH = 400

_QUOTES = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "「": '"',
        "」": '"',
        "『": '"',
        "』": '"',
        "‘": "'",
        "’": "'",
        "、": ",",
        "。": ".",
        "～": "~",
    }
)

_CJK = (
    (0x3040, 0x30FF),  # kana
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),  # hangul
    (0xF900, 0xFAFF),
)


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return any(lo <= o <= hi for lo, hi in _CJK)


def is_word_char(ch: str) -> bool:
    """A character that glues to its neighbours into a word (Latin script, digits); CJK does not."""
    return ch.isalnum() and not is_cjk(ch)


_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_NUMERAL = "零〇一二两三四五六七八九十百"
# Chinese numerals only become digits where a number is expected (过去三天, 前五名, 第二季度),
# so that words such as 一下 or 各次 keep their characters.
_CN_NUMBER = re.compile(
    rf"(?<=[第前后数去近来])[{_NUMERAL}]+|[{_NUMERAL}]+(?=[天周个月季年名位日号])"
)
_SPACES = re.compile(r"\s+")


def _cn_to_int(s: str) -> int:
    if all(c in _DIGITS for c in s):  # 二〇二四
        return int("".join(str(_DIGITS[c]) for c in s))
    total, cur = 0, 0
    for c in s:
        if c in _DIGITS:
            cur = _DIGITS[c]
        elif c == "十":
            total += (cur or 1) * 10
            cur = 0
        elif c == "百":
            total += (cur or 1) * 100
            cur = 0
    return total + cur


def normalize(text: str) -> str:
    """Lower-cased NFKC text, control characters as spaces, one space between Latin words and
    none next to CJK characters (Chinese has no spaces, and 按 rep 统计 = 按rep统计)."""
    if text.isascii() and text.isprintable():
        # The common case (every account name of an English org): NFKC, the quote table, the
        # numerals and the CJK rules change nothing in printable ASCII.
        return " ".join(text.lower().split())
    s = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    s = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in s)
    s = _CN_NUMBER.sub(lambda m: str(_cn_to_int(m.group())), s)
    s = _SPACES.sub(" ", s).strip()
    if " " not in s:
        return s
    out = []
    for i, c in enumerate(s):
        if c == " " and (is_cjk(s[i - 1]) or is_cjk(s[i + 1])):
            continue
        out.append(c)
    return "".join(out)
