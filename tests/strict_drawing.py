"""Drawing under a strict eye: any warning while a figure is built fails the test (a glyph
missing from the font warns, and would show as a tofu box), except a ResourceWarning.

A ResourceWarning is raised by the garbage collector finalising some object left open by an
earlier test in the same worker (a database connection, say); a collection falls due at any
allocation, so it can run in the middle of a drawing that has nothing to do with it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def warnings_are_errors() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("default", ResourceWarning)
        yield
