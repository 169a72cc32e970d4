"""tests/corpus/phrasings.yaml: every everyday phrasing means its plain keyword question — the
same query, and on the fixture org the real engine gives both the same rows (or the same
refusal); help and definition requests give the same words."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from cache.snapshot import SnapshotReader
from grammar import Parser
from metrics.catalog import Catalog
from metrics.catalog_load import load_catalog
from metrics.engine import run
from metrics.errors import UserError
from metrics.values import load_values
from tests.fixture_org import fixture_settings, load_fixture_org

CORPUS = Path(__file__).parent / "corpus" / "phrasings.yaml"
PAIRS = [(p["say"], p["means"]) for p in yaml.safe_load(CORPUS.read_text("utf-8"))["pairs"]]
TODAY = date(2024, 6, 27)


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> SnapshotReader:
    db = tmp_path_factory.mktemp("phrasings") / "kpibot.duckdb"
    load_fixture_org(db)
    return SnapshotReader(db)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def parser(reader: SnapshotReader, catalog: Catalog) -> Parser:
    return Parser(catalog, load_values(reader.cursor(), catalog, fixture_settings().channels))


def test_corpus_size() -> None:
    assert len(PAIRS) >= 300
    assert len({s for s, _ in PAIRS}) == len(PAIRS), "a phrasing is listed twice"
    assert sum(any("\u4e00" <= c <= "\u9fff" for c in s) for s, _ in PAIRS) >= 60  # Chinese


def _outcome(parser: Parser, reader: SnapshotReader, catalog: Catalog, text: str) -> Any:
    """What a user gets: words (help, definitions), or the query with the engine's rows (or
    its refusal)."""
    said = parser.reply_text(text)
    if said is not None:
        return ("text", said)
    query = parser.parse(text).query
    if query.dashboard is not None:
        return ("dashboard", query)
    try:
        answer = run(
            query, catalog=catalog, settings=fixture_settings(), reader=reader, today=TODAY
        )
    except UserError as e:
        return ("refused", query, e.kind, e.message)
    # The window as dates: "in march" and "2024-03" are one window on 27 Jun 2024.
    w = answer.window
    return (
        "rows",
        replace(query, window=None),
        answer.columns,
        answer.rows,
        w and (w.start, w.end),
    )


@pytest.mark.parametrize("say,means", PAIRS, ids=[s for s, _ in PAIRS])
def test_phrasing_means_its_keyword_form(
    parser: Parser, reader: SnapshotReader, catalog: Catalog, say: str, means: str
) -> None:
    assert _outcome(parser, reader, catalog, say) == _outcome(parser, reader, catalog, means)
