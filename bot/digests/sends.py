"""Posting one scheduled message to Slack: retries with backoff, and finding what was posted.

Each message we post carries the send key in its ``metadata`` (``event_type: kpibot_send``,
``event_payload: {key, part}``); each chart we upload carries it in its file name. That is how
a process that takes over an interrupted send (or retries after an ambiguous 5xx) finds out,
with ``conversations.history`` / ``conversations.replies``, whether a message is already there,
instead of posting it a second time.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)
EVENT_TYPE = "kpibot_send"
# Slack errors worth another try; everything else (channel_not_found, invalid_auth…) is final.
_TRANSIENT = {
    "ratelimited",
    "rate_limited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "timeout",
}


@dataclass(frozen=True)
class Part:
    """One Slack message: text (the fallback), Block Kit blocks, optionally a chart image."""

    text: str
    blocks: tuple[dict[str, Any], ...] = ()
    image: bytes | None = None
    image_title: str = ""


@dataclass(frozen=True)
class Message:
    """A headline in the channel and the parts of its thread."""

    headline: Part
    thread: tuple[Part, ...] = field(default=())


class SendFailed(Exception):
    """Slack refused or kept failing; ``error`` is Slack's error code or the transport error."""

    def __init__(self, error: str, *, uncertain: bool = False):
        super().__init__(error)
        self.error = error
        # True: Slack may have the message (we could not check); report it, do not re-post.
        self.uncertain = uncertain


def file_marker(key: str, part: int) -> str:
    """A file name that identifies one chart of one send (keys contain ':' and '@')."""
    return f"kpibot-{hashlib.sha1(key.encode()).hexdigest()[:12]}-{part}.png"


def _error_of(e: Exception) -> tuple[str, bool, float]:
    """(error text, transient?, seconds Slack asked us to wait)."""
    if isinstance(e, SlackApiError):
        resp = e.response
        status = getattr(resp, "status_code", 200)
        err = str(resp.get("error", "")) if hasattr(resp, "get") else ""
        retry_after = 0.0
        headers = getattr(resp, "headers", {}) or {}
        for k, v in headers.items():
            if k.lower() == "retry-after":
                try:
                    retry_after = float(v if isinstance(v, str) else v[0])
                except (TypeError, ValueError, IndexError):
                    retry_after = 0.0
        if status == 429:
            return err or "ratelimited", True, retry_after
        if status >= 500:
            return (
                f"HTTP {status}" + (f" ({err})" if err and "non-JSON" not in err else ""),
                True,
                0.0,
            )
        return err or f"HTTP {status}", err in _TRANSIENT, retry_after
    if isinstance(e, (SlackClientError, OSError)):
        return f"{type(e).__name__}: {e}", True, 0.0
    raise e


def digest_client(token: str, base_url: str, timeout: int = 30) -> WebClient:
    """A WebClient with no retry handlers of its own: a blind SDK retry of a post that Slack may
    have accepted (a 5xx, a dropped connection) could duplicate it; SlackPoster retries instead,
    after checking the channel."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    return WebClient(token=token, base_url=base, timeout=timeout, retry_handlers=[])


class SlackPoster:
    """Posts parts with retries; ``sleep`` is injected so tests do not wait."""

    def __init__(
        self,
        client: WebClient,
        *,
        retries: int = 3,
        base_delay: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.client = client
        self.retries = retries
        self.base_delay = base_delay
        self.sleep = sleep

    def _retrying(
        self,
        what: str,
        channel: str,
        call: Callable[[], Any],
        already_done: Callable[[], Any] | None = None,
    ) -> Any:
        """Run ``call`` until it succeeds or fails for good. After an ambiguous failure (5xx, a
        dropped connection) ``already_done`` is asked first: the post may have gone through."""
        attempt = 0
        joined = False
        while True:
            try:
                return call()
            except Exception as e:  # noqa: BLE001 - classified by _error_of, else re-raised
                err, transient, wait = _error_of(e)
                if err == "not_in_channel" and channel.startswith("C") and not joined:
                    # A public channel the bot was never added to: join it, once, and go on.
                    joined = True
                    try:
                        self.client.conversations_join(channel=channel)
                    except Exception as je:  # noqa: BLE001
                        raise SendFailed(
                            f"not_in_channel ({_error_of(je)[0]}; /invite the bot)"
                        ) from e
                    continue
                attempt += 1
                if not transient or attempt > self.retries:
                    raise SendFailed(err) from e
                log.warning(
                    "%s failed (%s), attempt %d of %d", what, err, attempt, self.retries + 1
                )
                self.sleep(max(wait, self.base_delay * 2 ** (attempt - 1)))
                if already_done is not None and not err.startswith("ratelimited"):
                    found = already_done()
                    if found is not None:
                        return found

    def say(self, channel: str, text: str) -> None:
        """A plain notice (the admin channel's failure reports): one try, no marker."""
        self.client.chat_postMessage(channel=channel, text=text)

    def post(
        self, channel: str, key: str, index: int, part: Part, thread_ts: str | None = None
    ) -> tuple[str, str]:
        """Post one part; returns (channel id, ts). Index 0 is the headline."""
        if part.image is not None:
            return self._upload(channel, key, index, part, thread_ts)
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"key": key, "part": index}}

        def call() -> tuple[str, str]:
            kwargs: dict[str, Any] = {"channel": channel, "text": part.text, "metadata": metadata}
            if part.blocks:
                kwargs["blocks"] = list(part.blocks)
            if thread_ts:
                kwargs["thread_ts"] = thread_ts
            try:
                r = self.client.chat_postMessage(**kwargs)
            except SlackApiError as e:
                if (
                    e.response.get("error") in ("invalid_blocks", "invalid_blocks_format")
                    and part.blocks
                ):
                    # Say it in plain text rather than not at all.
                    kwargs.pop("blocks")
                    r = self.client.chat_postMessage(**kwargs)
                else:
                    raise
            return str(r["channel"]), str(r["ts"])

        return self._retrying(
            "chat.postMessage", channel, call, self._finder(channel, key, index, thread_ts)
        )

    def _upload(
        self, channel: str, key: str, index: int, part: Part, thread_ts: str | None
    ) -> tuple[str, str]:
        assert part.image is not None
        name = file_marker(key, index)

        def call() -> tuple[str, str]:
            self.client.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts,
                file=part.image,
                filename=name,
                title=part.image_title or part.text[:200],
                initial_comment=part.text,
                alt_txt=part.image_title or part.text[:1000],
            )
            return channel, thread_ts or ""

        return self._retrying(
            "files_upload_v2", channel, call, self._finder(channel, key, index, thread_ts)
        )

    def _finder(
        self, channel: str, key: str, index: int, thread_ts: str | None
    ) -> Callable[[], tuple[str, str] | None]:
        def done() -> tuple[str, str] | None:
            ts = self.find(channel, key, index, thread_ts)
            return (channel, ts) if ts else None

        return done

    def find(self, channel: str, key: str, index: int, thread_ts: str | None) -> str | None:
        """The ts of part ``index`` of send ``key`` if Slack already has it, else None.

        Raises SendFailed when Slack cannot tell us (no history scope, channel gone)."""
        messages = self._messages(channel, thread_ts)
        marker = file_marker(key, index)
        for m in messages:
            payload = (m.get("metadata") or {}).get("event_payload") or {}
            if (
                (m.get("metadata") or {}).get("event_type") == EVENT_TYPE
                and payload.get("key") == key
                and int(payload.get("part", -1)) == index
            ):
                return str(m["ts"])
            if any(f.get("name") == marker for f in m.get("files") or []):
                return str(m["ts"])
        return None

    def _messages(self, channel: str, thread_ts: str | None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(20):  # a scheduled send is recent: a few pages reach back far enough
            try:
                if thread_ts:
                    r = self.client.conversations_replies(
                        channel=channel,
                        ts=thread_ts,
                        cursor=cursor,
                        limit=200,
                        include_all_metadata=True,
                    )
                else:
                    r = self.client.conversations_history(
                        channel=channel,
                        cursor=cursor,
                        limit=200,
                        include_all_metadata=True,
                    )
            except Exception as e:  # noqa: BLE001
                err, _, _ = _error_of(e)
                raise SendFailed(
                    f"cannot read the channel's history to check ({err})", uncertain=True
                ) from e
            out.extend(r.get("messages") or [])
            cursor = ((r.get("response_metadata") or {}).get("next_cursor")) or None
            if not cursor:
                break
        return out
