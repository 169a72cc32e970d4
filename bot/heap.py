"""A serving process's long-lived heap, kept out of the garbage collector's full passes.

A snapshot's filter values, the parser built on them and its fuzzy index are hundreds of
thousands of objects that live until the next snapshot. CPython's full collection walks every
tracked object, and it lands on about one question in twenty: on the 10M-Task demo org that
question paid ~77 ms (more under load) for a pass that found nothing to free. ``gc.freeze()``
moves what is alive now into a permanent generation the collector skips. Before the next
snapshot's heap is frozen, the last one is given back to the collector, so what the old
snapshot left behind is still freed (docs/benchmarks.md, "Asking questions").
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_settled_for: object = None


def settle(snapshot: object) -> None:
    """Freeze what is alive now as the long-lived heap of ``snapshot`` (once per snapshot).

    Call it once the snapshot's values, parser and fuzzy index are built: objects made later are
    collected as usual."""
    global _settled_for
    with _lock:
        if _settled_for == snapshot:
            return
        gc.unfreeze()  # the last snapshot's heap: collectable again
        gc.collect()
        gc.freeze()
        _settled_for = snapshot


def unsettle() -> None:
    """Give every frozen object back to the collector (a process that stops serving)."""
    global _settled_for
    with _lock:
        gc.unfreeze()
        _settled_for = None
