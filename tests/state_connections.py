"""The state database's connections in tests: ``open_state`` (tests/conftest.py) opens them and
closes them when the test ends, and a test that leaves one open fails (``left_open``).

A connection dropped open is finalised by the garbage collector at some later moment, in
whatever test runs then; its ResourceWarning once failed an unrelated chart test.
"""

from __future__ import annotations

import gc
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.state_connection import StateDB
from bot.state_db import open_state_db

# The ResourceWarnings of a connection dropped open: kpibot's own (bot/state_connection.py, both
# engines), psycopg's, and sqlite3's from Python 3.13 on.
DROPPED = r"state database connection to |<psycopg\.Connection |unclosed database in <sqlite3"

_blocks = 0  # ``left_open`` blocks entered and not yet left


class Opener:
    """``open_state_db``, each connection it opened closed by ``close_all()``."""

    def __init__(self) -> None:
        self.opened: list[StateDB] = []

    def __call__(self, location: str | Path, *, upgrade: bool = True) -> StateDB:
        db = open_state_db(location, upgrade=upgrade)
        self.opened.append(db)
        return db

    def close_all(self) -> None:
        for db in self.opened:
            db.close()


@contextmanager
def left_open() -> Iterator[list[str]]:
    """The state connections dropped open inside the block, as their warnings say (the list is
    filled when the block ends, after a garbage collection).

    What is alive when the block starts is frozen out of the collector (``gc.freeze``) until it
    ends, so a collection inside it finalises only what the block made: a connection an earlier
    test dropped is never blamed on this one, and the pass at the end costs milliseconds where
    one over a test process's whole heap (Spark, parsers, fixture orgs) costs ~0.5 s. A heap that
    bot/heap.py froze is given back to the collector with the rest."""
    global _blocks
    dropped: list[str] = []
    if _blocks == 0:  # a block inside another (a test's own, in the fixture's) keeps its freeze
        gc.freeze()
    _blocks += 1
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.filterwarnings("always", DROPPED, ResourceWarning)
            try:
                yield dropped
            finally:
                gc.collect()  # what the block left in reference cycles (a store in a Dispatcher)
    finally:
        _blocks -= 1
        if _blocks == 0:
            gc.unfreeze()
    for w in caught:
        if issubclass(w.category, ResourceWarning) and re.match(DROPPED, str(w.message)):
            dropped.append(str(w.message))
        else:  # any other warning goes on to pytest's summary, as without this block
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
