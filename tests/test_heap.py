"""A serving process freezes each snapshot's long-lived heap (values, parser, fuzzy index) out of
the garbage collector's full passes (bot/heap.py), and does it again for the next snapshot, on
the hand-made fixture org through the real RealBackend."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot import heap
from bot.backend import RealBackend
from bot.config import AppConfig
from tests.fixture_org import ORG, load_fixture_org

TODAY = date(2024, 6, 27)


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[RealBackend]:
    db = tmp_path / "org.duckdb"
    load_fixture_org(db)
    settings = yaml.safe_load((ORG / "app.yaml").read_text(encoding="utf-8"))
    yield RealBackend(
        AppConfig.model_validate({**settings, "database": str(db), "base_dir": tmp_path})
    )
    heap.unsettle()  # the rest of this test process collects as usual


def collectable(obj: object) -> bool:
    """Whether the collector's passes see ``obj`` (frozen objects are in none of them)."""
    return any(o is obj for o in gc.get_objects())


def warmed(b: RealBackend) -> None:
    thread = b.warming
    assert thread is not None
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert b.warming is thread  # the warm-up started no second one of its own


def test_a_warm_process_freezes_the_snapshots_parser_and_again_after_the_next(
    backend: RealBackend, tmp_path: Path
) -> None:
    assert collectable(backend)  # made before any settling: a control for the check itself
    backend.warm()
    warmed(backend)
    first = backend.parser()
    assert gc.get_freeze_count() > 0
    assert not collectable(first)
    assert not collectable(first.vocab)

    # Objects made while answering are collected as usual.
    reply = backend.ask("calls last 30 days", today=TODAY, with_chart=False)
    assert reply.error is None and reply.answer is not None
    assert collectable(reply.answer)

    # The next snapshot (a reload, as a sync publishes) gets its values read and its parser
    # built ahead and frozen; answers stay those of the data.
    before = backend.reader.target
    load_fixture_org(tmp_path / "org.duckdb")
    again = backend.ask("calls last 30 days", today=TODAY, with_chart=False)
    assert again.answer is not None and again.answer.rows == reply.answer.rows
    assert backend.reader.target != before
    warmed(backend)
    values = backend._current_values()  # this snapshot's, read anew
    assert not collectable(values)
    assert not collectable(backend.parser())


def test_settling_is_once_per_snapshot_and_undone_on_request(backend: RealBackend) -> None:
    backend.ask("calls last 30 days", today=TODAY, with_chart=False)
    backend.settle()
    frozen, full = gc.get_freeze_count(), gc.get_stats()[2]["collections"]
    backend.settle()  # the same snapshot: nothing more is frozen, no second full collection
    # (not "==": a frozen object left by an earlier test of this worker may be freed meanwhile)
    assert gc.get_freeze_count() <= frozen
    assert gc.get_stats()[2]["collections"] == full
    heap.unsettle()
    assert gc.get_freeze_count() == 0
    assert collectable(backend.parser())
