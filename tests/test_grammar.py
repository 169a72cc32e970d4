"""Parser behaviour beyond the corpus: vocabulary from the catalog, value matching rules,
caching, and the vocabulary tables' consistency."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from grammar import Parser, parse, parser_for
from grammar.normalize import normalize
from grammar.vocabulary import keyword_table
from metrics.catalog import GRAINS
from metrics.catalog_load import load_catalog
from metrics.errors import Ambiguous, UnknownWord
from metrics.query import Correction, Filter, Query, Ranking, WindowSpec

EXTRA = """
metrics:
  - name: customer lifetime value
    synonyms: [ltv, lifetime value]
    zh: [客户终身价值, 终身价值]
    records: opportunity_by_region
    format: currency
    better: lower
    dimensions: [rep, lead source, region]
    sql: {agg: avg, expr: r.Amount, where: r.IsWon}
dimensions:
  - name: region
    synonyms: [regions, territory]
    zh: [区域, 大区]
    kind: category
records:
  # A record set of the user's own; the region here stands in for an imported territory table.
  opportunity_by_region:
    from: '"Opportunity"'
    anchors:
      close: {sql: r.CloseDate, type: date}
    joins:
      owner: 'LEFT JOIN "User" AS owner ON owner.Id = r.OwnerId'
      acct: 'LEFT JOIN "Account" AS acct ON acct.Id = r.AccountId'
    dimensions:
      rep: owner.Name
      lead source: r.LeadSource
      region: acct.Industry
"""


@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    return load_catalog()


def test_a_kpi_added_to_an_extra_catalog_is_askable_without_code(tmp_path: Path, catalog) -> None:  # type: ignore[no-untyped-def]
    values = {"region": ["EMEA", "North America", "华东"], "rep": ["Alice Chen"]}
    with pytest.raises(UnknownWord):
        parse("ltv by region last quarter", catalog, values)
    extra = tmp_path / "catalog.yaml"
    extra.write_text(EXTRA, encoding="utf-8")
    cat = load_catalog(extra)
    p = Parser(cat, values)
    q = p.parse("ltv by region last quarter").query
    assert q == Query(
        metrics=("customer lifetime value",),
        groupings=("region",),
        window=WindowSpec("previous", unit="quarter"),
    )
    assert p.parse("客户终身价值 按区域 华东").query == Query(
        metrics=("customer lifetime value",),
        groupings=("region",),
        filters=(Filter("region", "in", ("华东",)),),
    )
    assert p.parse("top 3 regions by lifetime value emea").query == Query(
        metrics=("customer lifetime value",),
        groupings=("region",),
        filters=(Filter("region", "in", ("EMEA",)),),
        ranking=Ranking("top", 3),
    )
    typo = p.parse("custmer lifetime value by rep")
    assert typo.query.metrics == ("customer lifetime value",)
    assert typo.corrections == (
        Correction("custmer lifetime value", "customer lifetime value", "metric"),
    )


def test_a_prefix_is_not_a_match(catalog) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownWord) as e:
        parse("leads lead source = web", catalog, {"lead source": ["Website"]})
    assert "Website" in e.value.suggestions


def test_an_exact_value_wins_over_a_close_one(catalog) -> None:  # type: ignore[no-untyped-def]
    parsed = parse("leads webb", catalog, {"lead source": ["Web", "Webb"]})
    assert parsed.query.filters == (Filter("lead source", "in", ("Webb",)),)
    assert parsed.corrections == ()


def test_values_keep_their_stored_spelling(catalog) -> None:  # type: ignore[no-untyped-def]
    parsed = parse("LEADS  web ", catalog, {"lead source": [" Web "]})
    assert parsed.query.filters == (Filter("lead source", "in", (" Web ",)),)


def test_two_values_of_one_dimension_are_asked_about(catalog) -> None:  # type: ignore[no-untyped-def]
    values = {"rep": ["Alice Chen", "Alice Wong"]}
    with pytest.raises(Ambiguous) as e:
        parse("calls alice last week", catalog, values)
    assert e.value.suggestions == (
        'calls rep = "Alice Chen" last week',
        'calls rep = "Alice Wong" last week',
    )
    for s, who in zip(e.value.suggestions, ("Alice Chen", "Alice Wong"), strict=True):
        assert parse(s, catalog, values).query.filters == (Filter("rep", "in", (who,)),)


def test_a_close_value_of_a_far_dimension_is_no_correction(catalog) -> None:  # type: ignore[no-untyped-def]
    # Two close values in two dimensions: no clear match, so the parser asks.
    values = {"rep": ["Dana Lee"], "account": ["Dana Lea"]}
    with pytest.raises(Ambiguous):
        parse("deals won dana le", catalog, values)


def test_parsers_are_cached_per_catalog_and_values(catalog) -> None:  # type: ignore[no-untyped-def]
    a = parser_for(catalog, {"rep": ["Alice Chen"]})
    assert parser_for(catalog, {"rep": ["Alice Chen"]}) is a
    assert parser_for(catalog, {"rep": ["Alice Chen", "Bob Smith"]}) is not a


def test_corrections_are_said_in_words() -> None:
    assert str(Correction("conect rate", "connect rate", "metric")) == (
        'Read "conect rate" as "connect rate".'
    )
    assert str(Correction("alise", "Alice Wang", "rep")) == 'Read "alise" as rep "Alice Wang".'
    assert str(Correction("webb", "Web", "lead source")) == 'Read "webb" as lead source "Web".'


def test_no_phrase_has_two_keyword_meanings() -> None:
    meanings = defaultdict(set)
    for phrase, m in keyword_table():
        meanings[phrase].add((m.type, m.name))
    assert {p: v for p, v in meanings.items() if len(v) > 1} == {}


def test_catalog_words_overlap_keywords_only_for_time_units(catalog) -> None:  # type: ignore[no-untyped-def]
    keywords = {p: m for p, m in keyword_table()}
    clashes = {
        normalize(w): e.name
        for e in (*catalog.metrics, *catalog.dimensions)
        for w in e.words
        if normalize(w) in keywords
    }
    assert set(clashes.values()) <= set(GRAINS)
    assert all(keywords[p].type == "UNIT" and keywords[p].name == n for p, n in clashes.items())
