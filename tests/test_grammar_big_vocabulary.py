"""A big org's values (thousands of account names): the parser indexes them (a hash index for
exact phrases, letter triples for typos, grammar/ngrams.py) and answers as a full scan would."""

from __future__ import annotations

import random

import pytest
from rapidfuzz.distance import OSA

from grammar import Parser, warm
from grammar.ngrams import SMALL, GramIndex
from metrics.catalog_load import load_catalog
from metrics.errors import UnknownWord
from metrics.query import Filter

N = SMALL + 3_000  # past the size where pools are searched through the index
ACCOUNTS = [f"Northwind {i:05d} Traders" for i in range(N)] + ["Acme Corp", "Globex"]


@pytest.fixture(scope="module", params=["lazy", "warmed"])
def parser(request: pytest.FixtureRequest) -> Parser:
    p = Parser(load_catalog(), {"account": ACCOUNTS, "rep": ["Alice Chen", "Bob Smith"]})
    if request.param == "warmed":
        warm(p)  # the index built ahead, as `serve` does in the background
    return p


def test_an_exact_name_among_thousands_is_a_filter(parser: Parser) -> None:
    q = parser.parse("revenue won for northwind 04321 traders this year").query
    assert q.filters == (Filter("account", "in", ("Northwind 04321 Traders",)),)


def test_a_typo_in_a_big_pool_is_corrected_to_the_one_close_name(parser: Parser) -> None:
    parsed = parser.parse("revenue won for acme crop this year")
    assert parsed.query.filters == (Filter("account", "in", ("Acme Corp",)),)
    assert [(c.typed, c.meant, c.what) for c in parsed.corrections] == [
        ("acme crop", "Acme Corp", "account")
    ]


def test_an_unknown_person_still_gets_the_closest_names(parser: Parser) -> None:
    with pytest.raises(UnknownWord) as e:
        parser.parse("calls for alise")
    assert e.value.suggestions[0] == "Alice Chen"


@pytest.mark.parametrize("seed", range(5))
def test_the_triple_index_misses_no_phrase_within_the_edits(seed: int) -> None:
    # Every phrase within k edits (OSA) found by a full scan is among the index's candidates.
    rng = random.Random(seed)
    phrases = [f"{rng.choice(['acme', 'globex', 'initech'])} {rng.randrange(10**4):04d}"
               for _ in range(3_000)]
    ix = GramIndex(phrases)
    for _ in range(50):
        typed = list(rng.choice(phrases))
        for _ in range(rng.randint(0, 2)):
            k = rng.randrange(len(typed))
            typed[k] = rng.choice("abcdefgh0123456789 ")
        t = "".join(typed)
        for edits in (1, 2):
            near = ix.within(t, edits)
            if near is None:
                continue
            full = {p for p in phrases if OSA.distance(t, p) <= edits}
            assert full <= set(near)
