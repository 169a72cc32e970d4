"""What may reach bolt over HTTP: a body no bigger than the limit, signed by Slack, read once.

A WSGI layer in front of bolt's adapter (which reads a body whole, of any size, and parses it
before checking its signature). Here a POST to ``/slack/events`` is:

- refused with **413** when its declared length is over ``max_request_bytes`` (only its first
  64 KB are read, to hash for the log), or when a body without a length (chunked) passes the
  limit while being read;
- refused with **401** when its signature does not match the raw bytes, before anything parses
  it (so a malformed unsigned body is a 401, never a 500);
- refused with **400** when it is signed but is not a request bolt can read (never a traceback).

Each refusal is one log line with the reason, the size and a SHA-256 of the bytes read, never
the body (a newline in a body cannot forge a log line). gunicorn discards the unread rest of a
refused body in 1 KB reads (recent versions stop after 64 KB and close the connection), so
memory stays flat either way.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
CHUNK = 64 * 1024
HASHED_PREFIX = 64 * 1024  # of a body refused for its declared size: what is hashed


class Refused(Exception):
    def __init__(self, status: str, reason: str, size: int, read: bytes, declared: bool = False):
        super().__init__(reason)
        self.status, self.reason, self.size, self.read, self.declared = (
            status,
            reason,
            size,
            read,
            declared,
        )


class Intake:
    """Cap, verify and hand on one request body (see the module docstring)."""

    def __init__(self, inner: WSGIApp, *, path: str, signing_secret: str, max_bytes: int):
        self.inner = inner
        self.path = path
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.max_bytes = max_bytes

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != self.path or environ.get("REQUEST_METHOD") != "POST":
            return self.inner(environ, start_response)
        try:
            body = self._read(environ)
            self._verify(environ, body)
            body.decode("utf-8")  # bolt decodes it as UTF-8; refuse here rather than fail there
        except Refused as e:
            return self._refuse(e, environ, start_response)
        except UnicodeDecodeError:
            r = Refused("400 Bad Request", "signed but not UTF-8", len(body), body)
            return self._refuse(r, environ, start_response)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        try:
            return self.inner(environ, start_response)
        except Exception as e:  # noqa: BLE001 - signed, yet bolt cannot read it: words, no trace
            r = Refused("400 Bad Request", f"unreadable ({type(e).__name__})", len(body), body)
            return self._refuse(r, environ, start_response)

    def _read(self, environ: dict[str, Any]) -> bytes:
        stream = environ.get("wsgi.input")
        raw_length = environ.get("CONTENT_LENGTH") or ""
        if raw_length:
            try:
                length = int(raw_length)
            except ValueError:
                raise Refused("400 Bad Request", "bad Content-Length", 0, b"") from None
            if length > self.max_bytes:
                prefix = stream.read(min(length, HASHED_PREFIX)) if stream else b""
                raise Refused("413 Content Too Large", "too large", length, prefix, True)
            return stream.read(length) if stream and length > 0 else b""
        # No length (chunked): read in pieces, never more than one piece past the limit.
        parts, size = [], 0
        while stream is not None:
            piece = stream.read(CHUNK)
            if not piece:
                break
            parts.append(piece)
            size += len(piece)
            if size > self.max_bytes:
                raise Refused("413 Content Too Large", "too large", size, b"".join(parts))
        return b"".join(parts)

    def _verify(self, environ: dict[str, Any], body: bytes) -> None:
        if self.verifier is None:  # Socket Mode has no HTTP; a server without a secret answers none
            raise Refused("401 Unauthorized", "no signing secret configured", len(body), body)
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE")
        try:
            ok = self.verifier.is_valid(body, timestamp, signature)
        except (ValueError, TypeError):  # a timestamp that is not a number
            ok = False
        if not ok:
            raise Refused("401 Unauthorized", "bad or missing signature", len(body), body)

    def _refuse(
        self, e: Refused, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        digest = hashlib.sha256(e.read).hexdigest()[:16]
        hashed = f"first {len(e.read)} bytes" if len(e.read) < e.size else "body"
        log.warning(
            "refused POST %s: %s (%s); %d bytes%s, sha256 of %s %s",
            self.path,
            e.status,
            e.reason,
            e.size,
            " declared" if e.declared else "",
            hashed,
            digest,
        )
        text = e.status.split(" ", 1)[1].encode() + b"\n"
        start_response(
            e.status,
            [("Content-Type", "text/plain"), ("Content-Length", str(len(text)))],
        )
        return [text]
