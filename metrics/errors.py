"""One root exception; user errors and internal errors are different types.

A ``UserError`` is the user's to fix (a typo, an ambiguous name, a request we cannot serve) and
is shown as friendly text with suggestions. Anything else is ours: the user gets a short apology
and the trace goes to the log. Message texts live in ``metrics/messages.py``.
"""

from __future__ import annotations

from typing import ClassVar, Literal

ErrorKind = Literal["unknown_word", "ambiguous", "unsupported", "no_data", "invalid"]


class KpibotError(Exception):
    """Root of every error kpibot raises on purpose."""


class UserError(KpibotError):
    """A question or setting the user can fix. ``suggestions`` are runnable questions or words."""

    kind: ClassVar[ErrorKind] = "invalid"

    def __init__(self, message: str, suggestions: tuple[str, ...] | list[str] = ()):
        super().__init__(message)
        self.message = message
        self.suggestions = tuple(suggestions)

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "message": self.message, "suggestions": list(self.suggestions)}


class UnknownWord(UserError):
    kind = "unknown_word"

    def __init__(self, message: str, suggestions: tuple[str, ...] | list[str] = (), word: str = ""):
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
