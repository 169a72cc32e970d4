"""Every sentence a person reads, in one message catalogue per language (``en.yaml``, ``zh.yaml``).

The code names a message by key and passes its values; the catalogue holds the words, so a
difference between languages is data, never an ``if``. This package imports nothing of kpibot's,
so every stage (``metrics``, ``grammar``, ``charts``, ``bot``) may use it.

>>> t(Language.ZH, "date.range.all_time")
'全部时间'
>>> t(Language.EN, "as_of", date="5 Dec 2026", time="18:00", zone="CST")
'data as of 5 Dec 2026 18:00 CST'
>>> words(Language.ZH, "weekdays")[0]
'周一'
>>> detect("上季度 赢单率 按销售")
<Language.ZH: 'zh'>

A message whose values must themselves be said in the reader's language is a ``Msg``: it is
rendered when the language is known (a user error raised deep in the compiler, shown in Slack).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import yaml

__all__ = [
    "Capitalized",
    "Joined",
    "Lines",
    "Language",
    "Msg",
    "Sayable",
    "catalogue",
    "choose",
    "detect",
    "from_locale",
    "join",
    "plural",
    "say",
    "t",
    "Term",
    "Word",
    "words",
]

_HERE = Path(__file__).resolve().parent


class Language(StrEnum):
    """A reply language; its value names its catalogue file (``zh`` → ``zh.yaml``)."""

    EN = "en"
    ZH = "zh"


DEFAULT = Language.EN


class Sayable(Protocol):
    """Anything that can be put into words once the language is known."""

    def say(self, lang: Language) -> str: ...


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in tree.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = tuple(str(x) for x in v) if isinstance(v, list) else str(v)
    return out


@cache
def catalogue(lang: Language) -> Mapping[str, str | tuple[str, ...]]:
    """The language's messages by dotted key (``restate.by``); lists stay tuples."""
    with open(_HERE / f"{lang.value}.yaml", encoding="utf-8") as f:
        # the C loader when PyYAML has it: 5 ms instead of 25 for a language's messages
        return _flatten(yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {})


def _render(lang: Language, value: object) -> object:
    if hasattr(value, "say"):
        return value.say(lang)
    return value


def t(lang: Language, key: str, /, **params: object) -> str:
    """The message ``key`` in ``lang`` with ``params`` filled in (``{name}`` placeholders);
    a param that is a ``Msg`` (or anything with ``say``) is said in ``lang`` too. A missing key
    is a bug and raises KeyError (tests/test_i18n.py checks both catalogues hold every key)."""
    text = catalogue(lang)[key]
    if not isinstance(text, str):
        raise TypeError(f"{key} is a list; use words()")
    if not params:
        return text
    return text.format_map({k: _render(lang, v) for k, v in params.items()})


def words(lang: Language, key: str, /) -> tuple[str, ...]:
    """A list message: weekday names, month names, example questions."""
    value = catalogue(lang)[key]
    if isinstance(value, str):
        raise TypeError(f"{key} is a single message; use t()")
    return value


def join(lang: Language, items: list[str] | tuple[str, ...], conj: str = "or") -> str:
    """``a, b or c`` / ``a、b或c``: a list said as a sentence does (``conj``: or, and)."""
    items = list(items)
    if len(items) == 1:
        return items[0]
    return t(lang, f"list.{conj}", head=t(lang, "list.sep").join(items[:-1]), last=items[-1])


@dataclass(frozen=True)
class Msg:
    """A message to say later, when the reader's language is known.

    >>> Msg("date.range.all_time").say(Language.ZH)
    '全部时间'
    """

    key: str
    params: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def of(cls, key: str, /, **params: object) -> Msg:
        return cls(key, params)

    def say(self, lang: Language) -> str:
        return t(lang, self.key, **self.params)


def plural(key: str, n: int, /, **params: object) -> Msg:
    """A count said with its noun (``key.one`` for 1, else ``key.other``; ``{n}`` is the count).

    >>> plural("units.day", 3).say(Language.EN)
    '3 days'
    """
    return Msg.of(f"{key}.{'one' if n == 1 else 'other'}", n=n, **params)


@dataclass(frozen=True)
class Joined:
    """A list said in the reader's language (``a, b or c``); items may be Sayable."""

    items: tuple[object, ...]
    conj: str = "or"

    def say(self, lang: Language) -> str:
        return join(lang, [str(_render(lang, i)) for i in self.items], self.conj)


@dataclass(frozen=True)
class Lines:
    """Messages said one under another (a listing); an item may be plain text."""

    items: tuple[str | Sayable, ...]

    def say(self, lang: Language) -> str:
        return "\n".join(say(lang, i) for i in self.items)


@dataclass(frozen=True)
class Word:
    """One item of a list message said later: ``Word("months", 4)`` is May / 5月."""

    key: str
    index: int

    def say(self, lang: Language) -> str:
        return words(lang, self.key)[self.index]


@dataclass(frozen=True)
class Term:
    """A name with its form in each language (a KPI: win rate / 赢单率), said in the reader's;
    a language without a form gets the first one."""

    forms: tuple[tuple[Language, str], ...]

    @classmethod
    def same(cls, name: str) -> Term:
        """A name said alike in every language (a rep's name, a stored value)."""
        return cls(((DEFAULT, name),))

    def say(self, lang: Language) -> str:
        return dict(self.forms).get(lang, self.forms[0][1])

    def __str__(self) -> str:
        return self.forms[0][1]


@dataclass(frozen=True)
class Capitalized:
    """Another message at the start of a sentence (``str.capitalize``: "Next month"; Chinese
    has no capitals and is unchanged)."""

    inner: Sayable

    def say(self, lang: Language) -> str:
        return self.inner.say(lang).capitalize()


def say(lang: Language, text: str | Sayable) -> str:
    """Plain text as it is; a ``Msg`` in ``lang``."""
    return text if isinstance(text, str) else text.say(lang)


# How much a Chinese character weighs against a Latin letter when deciding a question's
# language: a character is about a word, an English word about five letters, and Chinese
# questions carry English KPI names and abbreviations (CAC, MQL), so a third of the letters'
# weight in characters already reads as Chinese ("按星期统计 connect rate" → zh).
_HAN_WEIGHT = 3


def _han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"


def detect(text: str) -> Language | None:
    """The language a question is mostly written in; None when it has no words to tell by
    (``/kpi`` with digits only)."""
    han = sum(1 for ch in text if _han(ch))
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    if han == 0 and latin == 0:
        return None
    return Language.ZH if han * _HAN_WEIGHT >= latin else Language.EN


def from_locale(locale: str | None) -> Language | None:
    """A Slack locale (``zh-CN``, ``zh-TW``, ``en-US``, ``ja-JP``) as a reply language: Chinese
    for any Chinese locale, English for every other (our only other catalogue)."""
    if not locale:
        return None
    return Language.ZH if locale.lower().startswith("zh") else Language.EN


def choose(
    question: str, *, setting: str = "auto", locale: str | None = None
) -> Language:
    """The reply language (docs/languages.md):

    1. a fixed ``language: en | zh`` in app.yaml (a subscription's over its digest's over the
       top-level one) wins;
    2. else a question mostly in Chinese is answered in Chinese;
    3. else the asker's Slack locale decides (Chinese locales read Chinese even when they type
       an English KPI name);
    4. else the question's language, English when it has no words.
    """
    if setting != "auto":
        return Language(setting)
    asked = detect(question)
    if asked is Language.ZH:
        return asked
    return from_locale(locale) or asked or DEFAULT
