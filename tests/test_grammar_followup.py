"""Follow-ups read against the question before (grammar/followup.py), and every corpus query
written back as a keyword question that parses to the same query."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grammar import Parser
from grammar.followup import keyword_text, merge
from metrics.catalog_load import load_catalog
from metrics.errors import UserError
from tests.corpus.loader import load

VALUES, CASES = load()
PREVIOUS = "revenue won by rep last month"
PARSER = Parser(load_catalog(), VALUES)


@pytest.fixture(scope="module")
def parser() -> Parser:
    return PARSER


@pytest.mark.parametrize(
    "fragment,merged",
    [
        ("by lead source", "revenue won by lead source last month"),
        ("and last quarter?", "revenue won by rep last quarter"),
        ("only 温家豪", 'revenue won by rep rep = "温家豪" last month'),
        ("for web", 'revenue won by rep lead source = "Web" last month'),
        ("vs last year", "revenue won by rep last month vs last year"),
        ("as a line", "revenue won by rep last month as line"),
        ("top 5", "top 5 revenue won by rep last month"),
        ("按渠道", "revenue won by channel last month"),
        ("同比", "revenue won by rep last month vs last year"),
        ("上个月呢", "revenue won by rep last month"),
        ("今年呢", "revenue won by rep this year"),
        ("what about this quarter?", "revenue won by rep this quarter"),
        ("instead by type", "revenue won by type last month"),
        ("换成按月", "revenue won by month last month"),
    ],
)
def test_fragment_merges_into_the_question_before(
    parser: Parser, fragment: str, merged: str
) -> None:
    assert merge(PREVIOUS, fragment, parser) == merged


def test_a_filter_on_the_same_dimension_replaces_the_one_before(parser: Parser) -> None:
    before = "calls for alice last week"
    assert merge(before, "only bob", parser) == 'calls rep = "Bob Smith" last week'
    assert merge(before, "for web", parser) == (
        'calls rep = "Alice Chen" lead source = "Web" last week'
    )


def test_a_full_question_starts_afresh(parser: Parser) -> None:
    for q in ("calls by rep", "what about connect rate", "kpi dashboard", "help"):
        assert merge(PREVIOUS, q, parser) == q


def test_a_fragment_on_a_dashboard(parser: Parser) -> None:
    assert merge("inbound leads dashboard", "last quarter", parser) == (
        "inbound leads dashboard last quarter"
    )


def test_an_unreadable_fragment_says_why(parser: Parser) -> None:
    with pytest.raises(UserError):
        merge(PREVIOUS, "by zzyzx", parser)


def test_every_corpus_query_round_trips_as_keywords(parser: Parser) -> None:
    cases = [c for c in CASES if c.query is not None]
    assert len(cases) >= 300
    for case in cases:
        text = keyword_text(case.query)  # type: ignore[arg-type]
        assert parser.parse(text).query == case.query, (case.question, text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([c.question for c in CASES if c.query is not None]),
    st.text(max_size=40) | st.sampled_from([c.question for c in CASES]),
)
def test_merge_only_ever_says_why(previous: str, fragment: str) -> None:
    """Whatever the fragment, a merged question or a UserError — never anything else."""
    parser = PARSER
    try:
        merged = merge(previous, fragment, parser)
    except UserError as e:
        assert e.message
        return
    assert isinstance(merged, str) and merged
