"""Each asker's reply language in Slack (docs/languages.md).

i18n.choose decides from app.yaml's ``language``, the question and the asker's Slack locale;
the locale comes from ``users.info`` (``include_locale=true``: Slack leaves it out otherwise),
cached per user. A failed look-up is not cached and counts as no locale: the question's own
language decides, never an error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from i18n import Language, choose

log = logging.getLogger(__name__)

LOCALE_TTL_SECONDS = 3600.0


class Languages:
    """``of(user, question)``: the language to answer ``user`` in."""

    def __init__(
        self,
        client: Any = None,
        setting: str = "auto",
        ttl: float = LOCALE_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.client = client
        self.setting = setting
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def of(self, user: str, question: str = "") -> Language:
        # A fixed language needs no look-up.
        locale = self.locale(user) if self.setting == "auto" else None
        return choose(question, setting=self.setting, locale=locale)

    def locale(self, user: str) -> str | None:
        """The user's Slack locale ("zh-CN"), None when unknown."""
        if self.client is None or not user:
            return None
        with self._lock:
            hit = self._cache.get(user)
        if hit is not None and self.clock() - hit[0] < self.ttl:
            return hit[1]
        from slack_sdk.errors import SlackClientError

        try:
            said = self.client.users_info(user=user, include_locale=True)["user"].get("locale")
        except (SlackClientError, OSError) as e:
            log.warning("users.info for %s failed (%s): the question's language decides", user, e)
            return None
        with self._lock:
            self._cache[user] = (self.clock(), said or None)
        return said or None
