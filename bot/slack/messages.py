"""Every sentence the Slack bot says, in one place per language: the ``slack`` section of the
message catalogue (i18n/en.yaml, i18n/zh.yaml), read as the fields of ``Words``.

>>> words_in(Language.ZH).BUTTON_SQL
'查看 SQL'
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache

from i18n import Language, catalogue


@dataclass(frozen=True)
class Words:
    """The Slack bot's sentences in one language; a field ``WORKING`` is the catalogue's
    ``slack.working`` (placeholders as ``str.format`` fields)."""

    EXAMPLES: tuple[str, ...]
    WORKING: str
    REFUSED_USER: str
    REFUSED_CHANNEL: str
    USER_ERROR_HEAD: str
    NO_DATA_HEAD: str
    DID_YOU_MEAN: str
    TRY_INSTEAD: str
    INTERNAL_ERROR: str
    SLACK_ERROR: str
    UPLOAD_FAILED: str
    NOT_IN_CHANNEL: str
    NO_PREVIOUS_PERIOD: str
    ERROR_TEXT: str
    SQL_INTRO: str
    CSV_COMMENT: str
    CHART_TITLE: str
    DASHBOARD_TITLE: str
    SUBSCRIBED_UNAVAILABLE: str
    STALE_BUTTON: str
    DATA_AS_OF: str
    ASKED_BY: str
    BUTTON_SQL: str
    BUTTON_PREVIOUS: str
    BUTTON_CSV: str
    BUTTON_SUBSCRIBE: str
    BUTTON_PIN: str
    PIN_MODAL_TITLE: str
    PIN_MODAL_SUBMIT: str
    PIN_MODAL_INTRO: str
    PIN_PICK: str
    PIN_PICK_HINT: str
    PIN_NEW: str
    PIN_TITLE: str
    PIN_NEED_BOARD: str
    PIN_MODAL_FAILED: str
    BOARD_NOT_HERE: str
    PIN_BAD_QUESTION: str
    BOARD_USAGE: str
    PIN_NOT_ALLOWED_THERE: str
    HELP_INTRO: str
    HELP_EXAMPLES_HEAD: str
    HELP_KPIS_HEAD: str
    HELP_PARTS: str
    HOME_TITLE: str
    TYPEAHEAD_TITLE: str
    TYPEAHEAD_CLOSE: str
    TYPEAHEAD_INTRO: str
    TYPEAHEAD_PLACEHOLDER: str
    TYPEAHEAD_ASKED: str
    HOME_RECENT_HEAD: str
    HOME_POPULAR_HEAD: str
    CANCEL: str
    PREVIOUS_SIDE: str
    EXAMPLES_CLICK: str
    HELP_TITLE: str
    DASHBOARD_BELOW: str
    SQL_FOR: str
    ROWS_COUNT: str
    UNKNOWN_TIME: str
    CHART_WORD: str
    FILE_WORD: str


@cache
def words_in(lang: Language) -> Words:
    """The Slack sentences in ``lang`` (a KeyError names a key missing from its catalogue)."""
    said = catalogue(lang)
    return Words(**{f.name: said[f"slack.{f.name.lower()}"] for f in fields(Words)})  # type: ignore[arg-type]
