"""The message catalogues (i18n/en.yaml, i18n/zh.yaml): every key in both languages with the
same placeholders, every key used by the code, and the language rules of docs/languages.md."""

from __future__ import annotations

import re
import string
from dataclasses import fields
from pathlib import Path

import pytest

from bot.slack.messages import Words, words_in
from i18n import Language, Msg, catalogue, choose, detect, join, t, words

ROOT = Path(__file__).resolve().parent.parent
CODE = ("bot", "charts", "grammar", "metrics", "i18n", "cache", "salesforce", "sources")


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_key_is_in_both_languages() -> None:
    en, zh = catalogue(Language.EN), catalogue(Language.ZH)
    assert sorted(set(en) - set(zh)) == [], "missing in zh.yaml"
    assert sorted(set(zh) - set(en)) == [], "missing in en.yaml"


# Dates are said with different parts (27 May 2024 / 2024年5月27日: a month's name or its
# number, a year said once or twice); the code passes them all.
CALENDAR_PARTS = {"day", "d", "month", "m", "year"} | {
    "d1", "d2", "mon1", "mon2", "m1", "m2", "y1", "y2"
}


def test_both_languages_fill_the_same_placeholders() -> None:
    en, zh = catalogue(Language.EN), catalogue(Language.ZH)
    wrong = []
    for key, text in en.items():
        other = zh[key]
        if isinstance(text, str) != isinstance(other, str):
            wrong.append(f"{key}: a list in one language only")
        elif isinstance(text, str) and isinstance(other, str):
            if _fields(text) - CALENDAR_PARTS != _fields(other) - CALENDAR_PARTS:
                wrong.append(f"{key}: {sorted(_fields(text))} vs {sorted(_fields(other))}")
    assert wrong == []


def test_lists_that_index_the_calendar_are_whole() -> None:
    for lang in Language:
        assert len(words(lang, "weekdays")) == 7
        assert len(words(lang, "months")) == 12


def _source() -> str:
    return "\n".join(
        p.read_text(encoding="utf-8")
        for pkg in CODE
        for p in sorted((ROOT / pkg).rglob("*.py"))
    )


def test_every_key_is_used() -> None:
    """A key is used when the code names it ("date.range.since"), names its family with a
    part filled in (f"window.this.{unit}"), or is a Slack sentence (``slack.working``: the
    field WORKING of bot/slack/messages.Words) the bot reads (``M.WORKING``)."""
    code = _source()
    families = set(re.findall(r"""f["']([a-z_][a-z0-9_.]*)\.\{""", code))
    slack = {f.name for f in fields(Words)}

    def used(key: str) -> bool:
        if key.startswith("slack."):
            name = key.removeprefix("slack.").upper()
            return name in slack and f".{name}" in code
        head, _, last = key.rpartition(".")
        return (
            f'"{key}"' in code
            or f"'{key}'" in code
            or any(key.startswith(f + ".") for f in families)
            or (last in ("one", "other") and f'plural("{head}"' in code)  # i18n.plural
        )

    assert [key for key in catalogue(Language.EN) if not used(key)] == []


def test_the_slack_sentences_are_the_catalogues() -> None:
    assert {f"slack.{f.name.lower()}" for f in fields(Words)} == {
        k for k in catalogue(Language.EN) if k.startswith("slack.")
    }
    for lang in Language:
        assert words_in(lang).BUTTON_SQL  # every field loads in every language


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("上季度 赢单率 按销售", Language.ZH),
        ("win rate by rep last quarter", Language.EN),
        ("按星期统计 connect rate", Language.ZH),  # 5 characters × 3 ≥ 11 letters
        ("win rate for 温家豪 last quarter", Language.EN),  # 3 × 3 < 22 letters
        ("2024", None),
    ],
)
def test_a_question_is_in_the_language_it_is_mostly_written_in(
    question: str, expected: Language | None
) -> None:
    assert detect(question) is expected


def test_the_reply_language_rules() -> None:
    # app.yaml's fixed language wins over everything
    assert choose("上季度 赢单率", setting="en", locale="zh-CN") is Language.EN
    assert choose("win rate", setting="zh") is Language.ZH
    # a Chinese question is answered in Chinese whatever the locale
    assert choose("上季度 赢单率", locale="en-US") is Language.ZH
    # Latin text is not decisive: the Slack locale decides
    assert choose("win rate", locale="zh-CN") is Language.ZH
    assert choose("win rate", locale="en-GB") is Language.EN
    assert choose("win rate") is Language.EN
    assert choose("42", locale=None) is Language.EN


def test_messages_and_lists_are_said_in_the_readers_language() -> None:
    assert t(Language.ZH, "as_of", date="2026年12月5日", time="18:00", zone="CST") == (
        "数据截至 2026年12月5日 18:00 CST"
    )
    assert join(Language.EN, ["a", "b", "c"]) == "a, b or c"
    assert join(Language.ZH, ["甲", "乙", "丙"], "and") == "甲、乙和丙"
    assert Msg.of("date.range.since", date="x").say(Language.ZH) == "x起"
