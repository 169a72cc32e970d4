"""Answer each Slack event once, however often Slack delivers it.

Slack redelivers an event (with ``X-Slack-Retry-Num``) when the first delivery was not
acknowledged within 3 s, and bolt does not de-duplicate. The event_ids we have seen live in
the state database, so two bot processes behind one load balancer dedupe too. A retry of an
event we never saw is let through: it means we were down when it first came.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse

from bot.state_connection import StateDB

log = logging.getLogger(__name__)

KEEP_SECONDS = 24 * 3600  # Slack stops retrying after about 6 minutes; a day is plenty
_PRUNE_EVERY = 1000


class SeenEvents:
    def __init__(self, db: StateDB):
        self.db = db
        self._inserts = 0

    def first_time(self, event_id: str) -> bool:
        """True exactly once per event_id, across threads and processes."""
        now = time.time()
        changed = self.db.execute(
            "INSERT INTO seen_events (event_id, seen_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (event_id, now),
        )
        self._inserts += 1
        if self._inserts % _PRUNE_EVERY == 0:
            self.db.execute("DELETE FROM seen_events WHERE seen_at < ?", (now - KEEP_SECONDS,))
        return changed == 1

    def middleware(self) -> Callable[..., Any]:
        """A bolt global middleware: acknowledge a repeated event and run no listener."""

        def dedupe_events(
            request: BoltRequest, body: dict[str, Any], next: Callable[[], BoltResponse]
        ) -> BoltResponse | None:
            event_id = body.get("event_id") if isinstance(body, dict) else None
            retry = request.headers.get("x-slack-retry-num", [None])[0]
            if retry and retry != "0":  # Socket Mode sends retry_attempt 0 on first deliveries
                reason = request.headers.get("x-slack-retry-reason", ["?"])[0]
                log.info("Slack retry %s (%s) of event %s", retry, reason, event_id)
            if event_id and not self.first_time(str(event_id)):
                log.info("event %s already handled; acknowledged and skipped", event_id)
                return BoltResponse(status=200, body="")
            return next()

        return dedupe_events
