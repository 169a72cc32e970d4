"""The /kpi search box: `/kpi` with no text opens a modal whose search field is an
external_select fed by the bot's options endpoint. Each keystroke asks for up to 20
completions of the partial question (grammar/complete.py, ranked by the catalog's popularity
and the asker's own past questions); choosing one asks it in the channel where /kpi was typed,
and the modal says so.

Every request — opening, each keystroke, the choice — passes the bot's single access gate
(bot/slack/router.py) like a question: someone not allowed gets no suggestions and no answer.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from bot.audit import AuditLog
from bot.slack.handlers import Asker
from bot.slack.messages import words_in
from i18n import Language

log = logging.getLogger(__name__)

CALLBACK_ID = "kpi_typeahead"
BLOCK_ID = "kpi_search"
ACTION_ID = "kpi_typeahead"
# Block Kit limits of an option (text 75 characters, value 150).
_TEXT, _VALUE = 75, 150
# Slack waits 3 s for options; past this budget a keystroke gets none (the work goes on and
# warms the parser for the next one: only the first keystroke after a new snapshot is slow).
BUDGET_S = 1.5


def search_view(channel: str, lang: Language = Language.EN) -> dict[str, Any]:
    """The modal: one search field; the channel to answer in travels in private_metadata."""
    M = words_in(lang)
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": channel,
        "title": {"type": "plain_text", "text": M.TYPEAHEAD_TITLE},
        "close": {"type": "plain_text", "text": M.TYPEAHEAD_CLOSE},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": M.TYPEAHEAD_INTRO}},
            {
                "type": "actions",
                "block_id": BLOCK_ID,
                "elements": [
                    {
                        "type": "external_select",
                        "action_id": ACTION_ID,
                        "min_query_length": 1,
                        "placeholder": {"type": "plain_text", "text": M.TYPEAHEAD_PLACEHOLDER},
                    }
                ],
            },
        ],
    }


def asked_view(question: str, channel: str, lang: Language = Language.EN) -> dict[str, Any]:
    """The modal after a choice: what was asked and where the answer goes."""
    view = search_view(channel, lang)
    said = words_in(lang).TYPEAHEAD_ASKED.format(question=question, channel=channel)
    view["blocks"] = [{"type": "section", "text": {"type": "mrkdwn", "text": said}}]
    return view


def options(completions: list[str]) -> list[dict[str, Any]]:
    return [
        {"text": {"type": "plain_text", "text": c[:_TEXT]}, "value": c[:_VALUE]}
        for c in completions
        if c.strip()
    ]


class Typeahead:
    def __init__(self, asker: Asker, audit: AuditLog):
        self.asker = asker
        self.audit = audit
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kpi-complete")

    def warm(self) -> None:
        """Build the parser and the completer before the first question or keystroke needs
        them (a failure, e.g. no cache yet, is left to the first question to report)."""
        complete = getattr(self.asker.backend, "complete", None)
        if complete is not None:
            self._pool.submit(complete, "", 1, ())

    def suggest(self, user: str, typed: str) -> list[dict[str, Any]]:
        """Options for one keystroke (none when the backend completes nothing: a test one)."""
        complete = getattr(self.asker.backend, "complete", None)
        if complete is None:
            return []
        history = self.audit.recent_questions(user)
        future = self._pool.submit(complete, typed, 20, history)
        try:
            return options(list(future.result(timeout=BUDGET_S)))
        except FutureTimeout:
            log.warning(
                "completing %r took over %.1f s; no options this keystroke", typed, BUDGET_S
            )
            return []
        except Exception:  # noqa: BLE001 - a keystroke must never break the search box
            log.exception("completing %r failed", typed)
            return []
