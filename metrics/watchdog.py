"""Run DuckDB SQL with a deadline: one watchdog thread interrupts queries past it.

>>> execute(cur, "SELECT 42", {}, timeout=10.0)  # doctest: +SKIP
[(42,)]
"""

from __future__ import annotations

import threading
import time
from typing import Any

import duckdb

from i18n import Msg
from metrics.errors import InternalError, QueryTimeout

Cursor = duckdb.DuckDBPyConnection


class _Watchdog:
    """One thread interrupts queries that run past their deadline (a Timer per query would cost
    a thread start, ~0.4 ms, on every question)."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._jobs: dict[int, tuple[float, Cursor, threading.Event]] = {}
        self._next = 0
        self._thread: threading.Thread | None = None

    def arm(self, cur: Cursor, timeout: float) -> tuple[int, threading.Event]:
        fired = threading.Event()
        with self._cv:
            self._next += 1
            self._jobs[self._next] = (time.monotonic() + timeout, cur, fired)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="kpibot-watchdog", daemon=True
                )
                self._thread.start()
            self._cv.notify()
            return self._next, fired

    def disarm(self, token: int) -> None:
        with self._cv:
            self._jobs.pop(token, None)

    def _loop(self) -> None:
        with self._cv:
            while True:
                now = time.monotonic()
                for token, (deadline, cur, fired) in list(self._jobs.items()):
                    if deadline <= now:
                        del self._jobs[token]
                        fired.set()
                        cur.interrupt()
                soonest = min((d for d, _, _ in self._jobs.values()), default=None)
                self._cv.wait(None if soonest is None else max(soonest - now, 0.001))


_watchdog = _Watchdog()


def execute(cur: Cursor, sql: str, params: dict[str, Any], timeout: float) -> list[tuple[Any, ...]]:
    """Run ``sql``; past ``timeout`` seconds DuckDB is interrupted and QueryTimeout raised."""
    token, fired = _watchdog.arm(cur, timeout)
    try:
        return cur.execute(sql, params).fetchall()
    except duckdb.InterruptException:
        raise QueryTimeout(Msg.of("window.error.timeout", seconds=f"{timeout:g}")) from None
    except duckdb.Error as e:
        if fired.is_set():
            raise QueryTimeout(
                Msg.of("window.error.timeout_short", seconds=f"{timeout:g}")
            ) from None
        raise InternalError(f"the query failed: {e}") from e
    finally:
        _watchdog.disarm(token)
