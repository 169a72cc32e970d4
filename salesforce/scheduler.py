"""Scheduled syncs for `kpibot serve`: a thread syncing every ``sync_every`` that never dies of it.

>>> loop = SyncLoop.from_settings(db_path, settings)  # doctest: +SKIP
>>> loop.start(); ...; loop.stop()                  # doctest: +SKIP

A failed sync is logged and the next one runs on schedule; "data as of" keeps showing the last
completed one (the snapshot's ``data_as_of``), so users see how old the numbers are.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path

from cache.lake import LakeTarget
from cache.snapshot import WriterBusy
from salesforce.client import Api
from salesforce.credentials import Credentials
from salesforce.errors import SyncError
from salesforce.settings import SalesforceSettings, parse_duration
from salesforce.sync import Observer, Syncer, SyncResult

log = logging.getLogger(__name__)


def run_sync_from_env(
    db_path: Path,
    settings: SalesforceSettings,
    *,
    full: bool = False,
    env: Mapping[str, str] | None = None,
    observer: Observer | None = None,
    warned: set[str] | None = None,
    tz: str | None = None,
    lake: LakeTarget | None = None,
) -> SyncResult:
    """Log in with the SF_* environment variables and sync once. Raises SyncError subclasses.
    ``tz``: the org's time zone (derived tables of days; None keeps the zone they have)."""
    creds = Credentials.from_env(env)
    api = Api(creds, version=settings.api_version)
    syncer = Syncer(api, settings, observer=observer, warned=warned, tz=tz, lake=lake)
    return syncer.run(db_path, full=full)


class NotDue:
    """What a ``run_once`` returns when it checked and nothing was due (with several replicas,
    another one runs this period's sync: bot/scheduled_runs.py). Nothing is logged."""

    def __repr__(self) -> str:
        return "NOT_DUE"


NOT_DUE = NotDue()


class SyncLoop(threading.Thread):
    """Run ``run_once`` now and then every ``every``, until ``stop()``.

    ``clock`` and ``sleep`` are injectable: the default sleep waits on the stop event, so
    ``stop()`` ends the thread at once. A run that takes longer than ``every`` is followed
    immediately by the next one (runs never overlap).
    """

    def __init__(
        self,
        run_once: Callable[[], object],
        every: timedelta,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] | None = None,
        logger: logging.Logger = log,
    ):
        super().__init__(name="kpibot-sync", daemon=True)
        self.run_once = run_once
        self.every = every.total_seconds()
        self.clock = clock
        self._halt = threading.Event()
        self.sleep = sleep or self._halt.wait
        self.logger = logger
        self.runs = 0
        self.failures = 0
        self.last_error: BaseException | None = None

    @classmethod
    def from_settings(
        cls, db_path: Path, settings: SalesforceSettings, lake: LakeTarget | None = None
    ) -> SyncLoop | None:
        """The loop `kpibot serve` starts, or None when ``sync_every`` is off."""
        if not settings.sync_every:
            return None
        warned: set[str] = set()  # warn about a hidden field once per process, not every run
        env = dict(os.environ)
        return cls(
            lambda: run_sync_from_env(db_path, settings, env=env, warned=warned, lake=lake),
            parse_duration(settings.sync_every),
        )

    def stop(self) -> None:
        self._halt.set()

    @property
    def stopped(self) -> bool:
        return self._halt.is_set()

    def run(self) -> None:
        while not self._halt.is_set():
            began = self.clock()
            self.tick()
            if self._halt.is_set():
                break
            self.sleep(max(0.0, self.every - (self.clock() - began)))

    def tick(self) -> None:
        """One scheduled sync (or a check that found none due), whatever happens in it."""
        try:
            result = self.run_once()
        except WriterBusy as e:
            self.runs += 1
            self.logger.info("scheduled sync skipped: %s", e)
            return
        except SyncError as e:
            self._failed(e, "scheduled sync failed: %s")
            return
        except Exception as e:  # a bug must not stop future syncs; the trace goes to the log
            self._failed(e, None)
            return
        if result is NOT_DUE:
            return
        error = getattr(result, "error", None)
        if error is not None:
            self._failed(error, "scheduled sync stopped early: %s")
            return
        self.runs += 1
        self.last_error = None
        self.logger.info("scheduled sync done")

    def _failed(self, error: BaseException, message: str | None) -> None:
        self.runs += 1
        self.failures += 1
        self.last_error = error
        if message is None:
            self.logger.exception("scheduled sync crashed")
        else:
            self.logger.warning(message, error)
