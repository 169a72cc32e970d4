"""One root exception; user errors and internal errors are different types.

A ``UserError`` is the user's to fix (a typo, an ambiguous name, a request we cannot serve) and
is shown as friendly text with suggestions. Anything else is ours: the user gets a short apology
and the trace goes to the log. Message texts live in ``metrics/messages.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

from i18n import Language, Sayable, say

ErrorKind = Literal["unknown_word", "ambiguous", "unsupported", "no_data", "invalid"]


class KpibotError(Exception):
    """Root of every error kpibot raises on purpose."""


Said = str | Sayable  # a message in one language, or one the catalogue says in any (i18n.Msg)


class UserError(KpibotError):
    """A question or setting the user can fix. ``suggestions`` are runnable questions or words.

    The message and suggestions may be ``i18n.Msg``: said in the reader's language where the
    error is shown (``text(lang)``, ``suggestions_in(lang)``); ``message`` is the English."""

    kind: ClassVar[ErrorKind] = "invalid"

    def __init__(self, message: Said, suggestions: Sequence[Said] = ()):
        english = say(Language.EN, message)
        super().__init__(english)
        self.message = english
        self.said = message
        self.said_suggestions = tuple(suggestions)
        self.suggestions = tuple(say(Language.EN, s) for s in suggestions)

    def text(self, lang: Language) -> str:
        return say(lang, self.said)

    def suggestions_in(self, lang: Language) -> tuple[str, ...]:
        return tuple(say(lang, s) for s in self.said_suggestions)

    def to_json(self, lang: Language = Language.EN) -> dict[str, object]:
        return {
            "kind": self.kind,
            "message": self.text(lang),
            "suggestions": list(self.suggestions_in(lang)),
        }


class UnknownWord(UserError):
    kind = "unknown_word"

    def __init__(self, message: Said, suggestions: Sequence[Said] = (), word: str = ""):
        super().__init__(message, suggestions)
        self.word = word


class Ambiguous(UserError):
    kind = "ambiguous"


class Unsupported(UserError):
    kind = "unsupported"


class NoData(UserError):
    kind = "no_data"


class Invalid(UserError):
    kind = "invalid"


class QueryTimeout(UserError):
    """The query ran past its time limit and was interrupted."""

    kind = "invalid"


class ConfigError(KpibotError):
    """app.yaml (or the catalog) has problems; ``problems`` lists every one, with its key path."""

    def __init__(self, problems: list[str], source: str = "app.yaml"):
        self.problems = problems
        self.source = source
        super().__init__(f"{source} has {len(problems)} problem(s):\n" + "\n".join(problems))


class InternalError(KpibotError):
    """A bug or an environment fault: apologise to the user, log the trace."""
