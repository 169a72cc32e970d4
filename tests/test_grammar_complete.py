"""Suggestions as you type (grammar/complete.py) over the corpus's data values."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grammar import Parser
from grammar.complete import LIMIT, Completer
from metrics.catalog import DATEPARTS, GRAINS
from metrics.catalog_load import load_catalog
from tests.corpus.loader import load

VALUES, CASES = load()
PARSER = Parser(load_catalog(), VALUES)
COMPLETER = Completer(PARSER)


@pytest.mark.parametrize(
    "partial,first",
    [
        ("conn", ["connect rate", "connected calls"]),
        ("calls by le", ["calls by lead source"]),  # after "by", a dimension first
        ("calls for wen", ["calls for 温家豪"]),  # pinyin of a rep's name
        ("win rate for ali", ["win rate for Alice Chen"]),
        ("接通", ["接通率"]),
        ("按销", ["按销售"]),
        ("calls last", ["calls last week", "calls last month", "calls last quarter"]),
        ("top 5 reps by rev", ["top 5 reps by revenue won"]),
        ("calls ", ["calls by rep", "calls this quarter"]),
        ("上个月电话", ["上个月电话"]),
        # after a dimension's name (or "dim ="), one of its values first; after "by dim" not
        ("leads lead source w", ["leads lead source Web", "leads lead source Website"]),
        ("leads lead source = p", ["leads lead source = Partner"]),
    ],
)
def test_completions(partial: str, first: list[str]) -> None:
    assert COMPLETER.complete(partial)[: len(first)] == first


def test_empty_offers_the_most_asked_kpis_by_catalog_popularity() -> None:
    got = COMPLETER.complete("")
    ranked = sorted(PARSER.catalog.metrics, key=lambda m: -m.popularity)
    assert got == [m.name for m in ranked[:LIMIT]]


def test_the_users_history_comes_first() -> None:
    past = ["win rate by rep last quarter", "connected calls by rep last month"]
    got = COMPLETER.complete("conn", history=past)
    assert got[0] == "connected calls by rep last month"
    assert "connect rate" in got


def test_what_follows_a_question_reads_and_fits_it() -> None:
    for partial in ("calls ", "revenue won by rep ", "win rate last month ", "上个月电话数"):
        got = COMPLETER.complete(partial)
        assert got
        before = PARSER.parse(partial).query
        for text in got:
            q = PARSER.parse(text).query
            assert q != before or text == partial.strip()
            for m in q.metrics:  # no slice the KPI lacks ("calls by stage")
                allowed = {*PARSER.catalog.metric(m).dimensions, *GRAINS, *DATEPARTS}
                assert set(q.groupings) <= allowed, text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60) | st.sampled_from([c.question for c in CASES]).map(lambda q: q[:-2]))
def test_never_raises_and_at_most_twenty(text: str) -> None:
    got = COMPLETER.complete(text)
    assert len(got) <= LIMIT and all(isinstance(x, str) and x for x in got)


def test_after_by_a_dimension_its_values_are_not_pushed_first() -> None:
    got = COMPLETER.complete("leads by lead source w")
    assert got[0] != "leads by lead source Web"
