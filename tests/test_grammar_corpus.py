"""Every question of tests/corpus/questions.yaml parses to its hand-written query or error."""

from __future__ import annotations

import pytest

from grammar import Parser
from metrics.catalog_load import load_catalog
from metrics.errors import UserError
from tests.corpus.loader import Case, load

VALUES, CASES = load()


@pytest.fixture(scope="module")
def parser() -> Parser:
    return Parser(load_catalog(), VALUES)


def test_corpus_is_large_and_covers_every_error_kind() -> None:
    assert len(CASES) >= 200
    assert {c.error for c in CASES} >= {"unknown_word", "ambiguous", "unsupported", "invalid"}
    assert len({c.question for c in CASES}) == len(CASES), "a question is listed twice"


@pytest.mark.parametrize("case", CASES, ids=[c.question or "<empty>" for c in CASES])
def test_question(parser: Parser, case: Case) -> None:
    if case.error is None:
        parsed = parser.parse(case.question)
        assert parsed.query == case.query
        assert parsed.corrections == case.corrections
        return
    with pytest.raises(UserError) as info:
        parser.parse(case.question)
    err = info.value
    assert err.kind == case.error, err.message
    if case.suggestions is not None:
        assert err.suggestions == case.suggestions
    if case.says is not None:
        assert case.says in err.message
    assert 1 <= len(err.suggestions) <= 3 or case.error in ("unknown_word", "invalid")


def test_suggested_questions_run(parser: Parser) -> None:
    """Ambiguous and unsupported answers offer questions: each must parse as it stands."""
    for case in CASES:
        if case.error not in ("ambiguous", "unsupported"):
            continue
        with pytest.raises(UserError) as info:
            parser.parse(case.question)
        for s in info.value.suggestions:
            parser.parse(s)
