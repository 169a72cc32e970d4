"""Fault injection rules for the emulator, matched per request kind (and object).

Kinds: ``login``, ``describe``, ``count`` (a COUNT() query), ``query`` (a query's first page),
``query_more``, ``bulk_create``, ``bulk_poll``, ``bulk_results``, or ``*`` for any data call.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

FOREVER = 10**9

ERRORS = {
    401: ("INVALID_SESSION_ID", "Session expired or invalid"),
    403: ("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    500: (
        "UNKNOWN_EXCEPTION",
        "An unexpected error occurred. Please include this ErrorId if you contact support: "
        "1234-5678 (-1)",
    ),
    503: ("SERVER_UNAVAILABLE", "Server is unavailable"),
    400: ("QUERY_TIMEOUT", "Your query request was running for too long."),
}


@dataclass
class Fault:
    kind: str
    obj: str | None = None
    status: int | None = None  # answer with this error status (body from ERRORS or code/message)
    code: str | None = None
    message: str | None = None
    delay: float = 0.0  # sleep this long before answering normally
    expire: bool = False  # end every session first, so the request gets 401 INVALID_SESSION_ID
    block: bool = False  # stop answering (until released): for kill tests
    after: int = 0  # let this many matching requests through first
    times: int = 1  # then fire this many times
    seen: int = 0
    fired: int = 0
    reached: threading.Event = field(default_factory=threading.Event)

    def matches(self, kind: str, obj: str | None) -> bool:
        if self.kind not in ("*", kind) or (self.obj is not None and self.obj != obj):
            return False
        if kind == "login" and self.kind == "*":
            return False
        self.seen += 1
        if self.seen <= self.after or self.fired >= self.times:
            return False
        self.fired += 1
        return True

    def body(self) -> list[dict[str, str]]:
        code, message = ERRORS.get(self.status or 0, ("UNKNOWN_EXCEPTION", "error"))
        return [{"message": self.message or message, "errorCode": self.code or code}]
