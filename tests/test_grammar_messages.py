"""What users read when the parser cannot answer: every error message of the corpus and every
typo correction, as one reviewed file per language (tests/corpus/messages.txt, messages.zh.txt;
KPIBOT_UPDATE_SNAPSHOTS=1 rewrites them). A change of wording shows up as a diff."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grammar import Parser
from i18n import Language, Msg, words
from metrics.catalog_load import load_catalog
from metrics.errors import Ambiguous, Invalid, UnknownWord, Unsupported, UserError
from tests.corpus.loader import load

SNAPSHOT = Path(__file__).parent / "corpus" / "messages.txt"
SNAPSHOT_ZH = Path(__file__).parent / "corpus" / "messages.zh.txt"


def render_in(lang: Language) -> str:
    """Every error of the corpus as a reader of ``lang`` sees it, with its suggestions."""
    values, cases = load()
    parser = Parser(load_catalog(), values)
    out: list[str] = []
    for case in cases:
        try:
            parser.parse(case.question)
        except UserError as e:
            out.append(f"> {case.question}")
            out.append(f"  {e.kind}: {e.text(lang)}")
            out += [f"  - {s}" for s in e.suggestions_in(lang)]
            out.append("")
    return "\n".join(out)


def test_chinese_messages_snapshot() -> None:
    text = render_in(Language.ZH)
    if os.environ.get("KPIBOT_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT_ZH.write_text(text, encoding="utf-8")
    assert SNAPSHOT_ZH.read_text(encoding="utf-8") == text, (
        f"{SNAPSHOT_ZH} changed; rerun with KPIBOT_UPDATE_SNAPSHOTS=1 and review the diff"
    )
    assert "I don't" not in text and "Did you mean" not in text  # no English left over


# Errors whose suggestions are whole questions (did-you-mean ones are words to put in).
_QUESTIONS_SUGGESTED = (Invalid, Unsupported, Ambiguous)


@pytest.mark.parametrize("lang", list(Language))
def test_suggested_questions_run_as_they_are(lang: Language) -> None:
    """A suggestion in Chinese is a Chinese question the parser reads, like the English one."""
    values, cases = load()
    parser = Parser(load_catalog(), values)
    asked = list(words(lang, "grammar.examples"))
    for case in cases:
        try:
            parser.parse(case.question)
        except UserError as e:
            if isinstance(e, _QUESTIONS_SUGGESTED) and not isinstance(e, UnknownWord):
                asked += e.suggestions_in(lang)
    asked.append(Msg.of("grammar.try.next_90_days", metric="open pipeline").say(lang))
    failed = []
    for q in dict.fromkeys(asked):
        if q.startswith(("between ", "2")):  # a window to put into the question, not one
            continue
        try:
            parser.parse(q)
        except UserError as e:
            failed.append(f"{q}: {e.message}")
    assert failed == []


def render() -> str:
    values, cases = load()
    parser = Parser(load_catalog(), values)
    out: list[str] = []
    for case in cases:
        if case.error is None and not case.corrections:
            continue
        out.append(f"> {case.question}")
        try:
            parsed = parser.parse(case.question)
        except UserError as e:
            out.append(f"  {e.kind}: {e.message}")
            out += [f"  - {s}" for s in e.suggestions]
        else:
            out += [f"  {c}" for c in parsed.corrections]
        out.append("")
    return "\n".join(out)


def test_messages_snapshot() -> None:
    text = render()
    if os.environ.get("KPIBOT_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert SNAPSHOT.exists(), f"{SNAPSHOT} is missing; run with KPIBOT_UPDATE_SNAPSHOTS=1"
    assert SNAPSHOT.read_text(encoding="utf-8") == text, (
        f"{SNAPSHOT} changed; rerun with KPIBOT_UPDATE_SNAPSHOTS=1 and review the diff"
    )
