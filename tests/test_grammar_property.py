"""Whatever the text, the parser answers with a Parsed or a UserError, and the whole question
path with an answer or a UserError: never anything else (an "internal" error)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import config
from bot.backend import RealBackend
from grammar import Parser
from metrics.catalog_load import load_catalog
from metrics.errors import UserError
from metrics.query import Parsed
from tests.corpus.loader import load
from tests.fixture_org import load_fixture_org

VALUES, CASES = load()
PHRASINGS = yaml.safe_load((Path(__file__).parent / "corpus" / "phrasings.yaml").read_text("utf-8"))
# The keyword corpus and the everyday phrasings (with their keyword forms), to mutate and splice.
QUESTIONS = [c.question for c in CASES if c.question.strip()] + [
    q for p in PHRASINGS["pairs"] for q in (p["say"], p["means"])
]
PARSER = Parser(load_catalog(), VALUES)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters the parser treats specially, so that random text reaches its corners.
ALPHABET = st.sampled_from(
    list("abcdefghijklmnopqrstuvwxyz0123456789 -,()\"'=<>!?.%/:;年月日天周季度按每各前后的包含为不")
    + [
        "\x00",
        "\x1b",
        "\u200b",
        "\ufeff",
        "\U0001f600",
        "\ud7ff",
        "（",
        "，",
        "“",
        "”",
        "Ⅻ",
        "ｑ",
        "２",
    ]
)


def check(text: str) -> None:
    said = PARSER.reply_text(text)  # help and definitions: words or None, never an error
    assert said is None or (isinstance(said, str) and said)
    try:
        result = PARSER.parse(text)
    except UserError as e:
        assert e.message and isinstance(e.suggestions, tuple)
        return
    assert isinstance(result, Parsed)


@SETTINGS
@given(st.text(max_size=120))
def test_any_unicode_text(text: str) -> None:
    check(text)


@SETTINGS
@given(st.text(alphabet=ALPHABET, max_size=80))
def test_text_of_meaningful_characters(text: str) -> None:
    check(text)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    q = draw(st.sampled_from(QUESTIONS))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["insert", "delete", "swap", "splice", "repeat", "case"]))
        pos = draw(st.integers(0, len(q)))
        if op == "insert":
            q = q[:pos] + draw(ALPHABET) + q[pos:]
        elif op == "delete" and q:
            q = q[:pos] + q[pos + 1 :]
        elif op == "swap" and len(q) > pos + 1:
            q = q[:pos] + q[pos + 1] + q[pos] + q[pos + 2 :]
        elif op == "splice":
            other = draw(st.sampled_from(QUESTIONS))
            q = q[:pos] + " " + other
        elif op == "repeat":
            q = q + " " + q
        elif op == "case":
            q = q.upper()
    return q


@SETTINGS
@given(mutated())
def test_mutated_corpus_questions(text: str) -> None:
    check(text)


@pytest.mark.parametrize(
    "text",
    [
        "calls " * 500,
        "x" * 10_000,
        "\x00\x01\x02",
        "SELECT * FROM leads; DROP TABLE leads; --",
        "calls' OR '1'='1",
        'rep = "',
        '"""',
        "((((",
        "calls top 99999999999999999999",
        "calls last 1e309 days",
        "calls 2024-13",
        "calls 9999-99-99",
        "calls amount > 1,000,000,000,000,000",
        "按" * 100,
        "\ud800",
    ],
)
def test_hostile_text(text: str) -> None:
    check(text)


# -- the whole question path: grammar → windows → engine, on a real DuckDB cache ---------------
# A question can only end in an answer or a UserError; anything else would reach the user as
# kind "internal" (as `calls last 99999 years` did, a ValueError from date arithmetic).

ORG_CONFIG = Path(__file__).parent / "fixtures" / "org" / "app.yaml"
TODAY = date(2024, 6, 27)


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealBackend]:
    db = load_fixture_org(tmp_path_factory.mktemp("org") / "k.duckdb")
    b = RealBackend(config.load(ORG_CONFIG, db=str(db)))
    yield b
    b.close()  # also the state connection a mutated question naming a dashboard opened


def answered(backend: RealBackend, text: str) -> None:
    reply = backend.ask(text, today=TODAY, with_chart=False)  # raises on a bug
    # an answer or an error, else a dashboard or a text reply (help: "what can I ask")
    assert (reply.answer is None) != (reply.error is None) or reply.dashboard is not None \
        or bool(reply.text)
    if reply.error is not None:
        assert isinstance(reply.error, UserError) and reply.error.message


NUMBERS = st.one_of(
    st.integers(-(10**6), 10**13), st.sampled_from([0, 1, 99, 100, 101, 9999, 99999, 10**9])
)


@st.composite
def windowed(draw: st.DrawFn) -> str:
    metric = draw(st.sampled_from(["calls", "revenue won", "win rate", "leads", "top deals"]))
    kind = draw(st.sampled_from(["last", "next", "past", "top", "过去", "未来"]))
    unit = draw(st.sampled_from(["days", "weeks", "months", "quarters", "years", "天", "年"]))
    tail = draw(
        st.sampled_from(["", " by month", " by year", " vs previous period", " vs last year"])
    )
    return f"{metric} {kind} {draw(NUMBERS)} {unit}{tail}"


@SETTINGS
@given(windowed())
def test_windows_of_any_size_are_answered_or_refused(backend: RealBackend, text: str) -> None:
    answered(backend, text)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated())
def test_mutated_questions_never_fail_inside(backend: RealBackend, text: str) -> None:
    answered(backend, text)


@pytest.mark.parametrize(
    "text",
    [
        "calls last 99999 years",
        "calls next 99999 years",
        "calls since 1900-01-01 vs previous period",
        "calls by week last 99999 weeks",
        "calls next 100 years",
        "calls 1900 vs last year",
    ],
)
def test_windows_past_the_supported_dates_name_the_range(backend: RealBackend, text: str) -> None:
    reply = backend.ask(text, today=TODAY, with_chart=False)
    assert reply.error is not None and reply.error.kind == "invalid"
    assert "1 Jan 1900 to 31 Dec 2099" in reply.error.message


@pytest.mark.parametrize(
    "text",
    ["x follow-up rate by attempt x", "F FOLLOW-UP RATE BY ATTEMPT F FOLLOW-UP RATE BY ATTEMPT"],
)
def test_an_unknown_word_after_a_long_phrase_ends(text: str) -> None:
    # Found by test_mutated_corpus_questions: the correction restarted at the phrase before the
    # unknown word, stopped short of it, and the lexer corrected the same span forever.
    check(text)
