"""What can stop a sync or a load, each with a message that says what happened and what to do.

``SyncError``, ``ExportError`` and their subclasses are shown to the user as they are (no
traceback); anything else escaping a sync or a load is a bug. ``salesforce`` imports no other
kpibot package, so this tree is its own rather than a branch of ``metrics.errors``.
"""

from __future__ import annotations


class SyncError(Exception):
    """A sync could not finish; ``str(e)`` is the user-facing explanation."""


class ExportError(Exception):
    """A Data Export cannot be loaded; the message says where and how to fix it."""


class CredentialsError(SyncError):
    """The SF_* environment variables are missing, incomplete or malformed."""


class AuthFailed(SyncError):
    """Salesforce refused the login, or a session expired and could not be renewed."""


class LimitExceeded(SyncError):
    """The org's API request limit is used up (REQUEST_LIMIT_EXCEEDED): stop, resume later."""


class NetworkError(SyncError):
    """Salesforce stayed unreachable, or kept failing, after the bounded retries."""


class SalesforceRefused(SyncError):
    """Salesforce answered a request with an error that retrying will not fix."""


class QueryTimedOut(Exception):
    """Salesforce gave up on a query (QUERY_TIMEOUT); the caller narrows the time window."""


class InvalidField(Exception):
    """A selected field is unknown to this user (INVALID_FIELD); the caller drops it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
