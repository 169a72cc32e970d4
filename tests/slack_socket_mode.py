"""The Socket Mode side of the Slack emulator: a loopback WebSocket server speaking its protocol.

Slack's Socket Mode, as the emulator plays it (docs.slack.dev, "Using Socket Mode"; the frames
are those slack_sdk's clients parse, see slack_sdk/socket_mode/request.py):

- ``apps.connections.open`` with the app-level token (``xapp-…``) returns a single-use
  ``ws://127.0.0.1:<port>/link/?ticket=…&app_id=…`` (the emulator's Web API answers it; see
  ``SlackEmulator._m_apps_connections_open``). A used or unknown ticket is refused at the
  handshake, as Slack refuses it.
- On connecting, the server sends ``{"type": "hello", "num_connections": N, …}``.
- Each delivery is an envelope ``{"envelope_id", "type": "events_api" | "slash_commands" |
  "interactive", "accepts_response_payload", "payload"}``; events also carry ``retry_attempt``
  and ``retry_reason``. The app acknowledges with ``{"envelope_id": …}`` plus, for a command,
  the ``payload`` Slack shows the user. Every frame the app sends is recorded.
- An ``events_api`` envelope not acknowledged within ``ack_timeout`` is redelivered, with a new
  envelope id, the same event, ``retry_attempt`` 1, 2, 3 and ``retry_reason: "timeout"``, on
  whichever connection is open then (Slack retries 3 times; its 1 and 5 minute back-off is
  compressed into ``retry_delays``). Commands and clicks are never redelivered (Slack shows the
  user an error instead).
- ``disconnect(reason)`` sends ``{"type": "disconnect", "reason": …}`` (``warning`` ahead of a
  refresh, ``refresh_requested``, ``link_disabled``) and closes the connection ``close_after``
  seconds later unless the app has moved to a new one by then; ``drop()`` cuts the TCP
  connection without a close frame (a reset), like a dying proxy or network.

    with SlackEmulator() as slack:
        env = slack.socket.deliver("events_api", {...})
        slack.socket.wait_ack(env)                 # the bot's {"envelope_id": …}
        slack.socket.disconnect("refresh_requested")
        slack.socket.wait_connections(2)           # it opened a new one through the Web API
"""

from __future__ import annotations

import itertools
import json
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

Kind = Literal["events_api", "slash_commands", "interactive"]
RETRY_REASON = "timeout"  # what Slack says when an envelope went unacknowledged


@dataclass
class Envelope:
    """One delivery and what the app answered to it."""

    envelope_id: str
    type: Kind
    payload: dict[str, Any]
    connection: int  # the Link.number it went out on
    retry_attempt: int = 0
    retry_reason: str = ""
    sent_at: float = 0.0
    ack: dict[str, Any] | None = None  # the app's frame, as it sent it
    acked_at: float | None = None

    def frame(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "envelope_id": self.envelope_id,
            "type": self.type,
            # Slack lets the app put a reply in the ack for commands (and options, views).
            "accepts_response_payload": self.type == "slash_commands",
            "payload": self.payload,
        }
        if self.type == "events_api":
            out |= {"retry_attempt": self.retry_attempt, "retry_reason": self.retry_reason}
        return out


@dataclass
class Link:
    """One WebSocket connection from the app."""

    number: int
    ticket: str
    conn: ServerConnection
    opened_at: float
    closed_at: float | None = None
    close_reason: str = ""  # "client", "disconnect:<reason>", "dropped", "server stopped"
    received: list[dict[str, Any]] = field(default_factory=list)  # every frame the app sent

    @property
    def open(self) -> bool:
        return self.closed_at is None


class SocketModeServer:
    """The WebSocket end of Socket Mode. Owned by a SlackEmulator (``slack.socket``)."""

    def __init__(
        self,
        *,
        app_id: str = "A0TEST",
        ack_timeout: float = 3.0,
        retry_delays: tuple[float, ...] = (0.0, 1.0, 2.0),
        close_after: float = 1.0,
    ):
        self.app_id = app_id
        self.ack_timeout = ack_timeout
        self.retry_delays = retry_delays
        self.close_after = close_after
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._server: Server | None = None
        self._numbers = itertools.count(1)
        self.tickets: dict[str, bool] = {}  # ticket → used
        self.links: list[Link] = []
        self.envelopes: list[Envelope] = []
        self.refused: list[str] = []  # handshakes refused (unknown or reused ticket)

    # ---- lifecycle ----

    def start(self) -> SocketModeServer:
        self._server = serve(
            self._serve_link,
            "127.0.0.1",
            0,
            process_request=self._check_ticket,
            compression=None,
            # Slack pings the app too; the app must answer or be dropped.
            ping_interval=5,
            ping_timeout=10,
        )
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        for link in self.open_links():
            self._mark_closed(link, "server stopped")
            link.conn.close_socket()
        self._server.shutdown()
        self._server = None

    def reset(self) -> None:
        """Forget envelopes (connections stay as they are)."""
        with self._lock:
            self.envelopes = []

    # ---- apps.connections.open ----

    def new_url(self) -> str:
        """A fresh single-use WebSocket URL (what apps.connections.open returns)."""
        assert self._server is not None, "start() the Socket Mode server first"
        ticket = uuid.uuid4().hex
        with self._lock:
            self.tickets[ticket] = False
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket={ticket}&app_id={self.app_id}"

    def _check_ticket(self, conn: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        ticket = (parse_qs(parts.query).get("ticket") or [""])[0]
        with self._lock:
            if parts.path.rstrip("/") != "/link" or self.tickets.get(ticket) is not False:
                self.refused.append(request.path)
                return Response(
                    HTTPStatus.UNAUTHORIZED, "Unauthorized", Headers(), b"invalid ticket\n"
                )
            self.tickets[ticket] = True
        return None

    # ---- a connection ----

    def _serve_link(self, conn: ServerConnection) -> None:
        ticket = (parse_qs(urlsplit(conn.request.path if conn.request else "").query)["ticket"])[0]
        with self._changed:
            link = Link(next(self._numbers), ticket, conn, time.time())
            self.links.append(link)
            hello = {
                "type": "hello",
                "num_connections": len(self.open_links()),
                "debug_info": {
                    "host": f"applink-emulator-{link.number}",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.app_id},
            }
            self._changed.notify_all()
        try:
            conn.send(json.dumps(hello))
            for raw in conn:
                self._received(link, raw)
        except ConnectionClosed:
            pass
        finally:
            self._mark_closed(link, "client")

    def _received(self, link: Link, raw: str | bytes) -> None:
        frame = json.loads(raw)
        with self._changed:
            link.received.append(frame)
            for env in self.envelopes:
                if env.envelope_id == frame.get("envelope_id") and env.ack is None:
                    env.ack, env.acked_at = frame, time.time()
            self._changed.notify_all()

    def _mark_closed(self, link: Link, reason: str) -> None:
        with self._changed:
            if link.closed_at is None:
                link.closed_at, link.close_reason = time.time(), reason
            self._changed.notify_all()

    def open_links(self) -> list[Link]:
        with self._lock:
            return [link for link in self.links if link.open]

    def current(self) -> Link | None:
        """The newest open connection: where Slack sends the next envelope."""
        links = self.open_links()
        return links[-1] if links else None

    # ---- deliveries ----

    def deliver(
        self,
        kind: Kind,
        payload: dict[str, Any],
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
        redeliver: bool = True,
        lost: bool = False,
        wait_connected: float = 10.0,
    ) -> Envelope:
        """Send one envelope on the current connection. ``redeliver``: an unacknowledged event is
        delivered again, as Slack does (see the module docstring). ``lost``: recorded as sent
        but never reaching the app, as when the connection dies on the way."""
        link = self.wait_connected(timeout=wait_connected)
        env = Envelope(
            str(uuid.uuid4()),
            kind,
            payload,
            link.number,
            retry_attempt,
            retry_reason,
            sent_at=time.time(),
        )
        with self._lock:
            self.envelopes.append(env)
        try:
            if not lost:
                link.conn.send(json.dumps(env.frame(), ensure_ascii=False))
        except ConnectionClosed:
            pass  # lost with the connection: only a retry (events) brings it back
        if redeliver and kind == "events_api" and retry_attempt < len(self.retry_delays):
            threading.Thread(target=self._retry_unacked, args=(env,), daemon=True).start()
        return env

    def _retry_unacked(self, env: Envelope) -> None:
        if self.wait_ack(env, timeout=self.ack_timeout, check=False) is not None:
            return
        time.sleep(self.retry_delays[env.retry_attempt])
        if self._server is None:
            return
        self.deliver(
            env.type,
            env.payload,
            retry_attempt=env.retry_attempt + 1,
            retry_reason=RETRY_REASON,
            wait_connected=30.0,
        )

    def wait_ack(
        self, env: Envelope, timeout: float | None = None, *, check: bool = True
    ) -> dict[str, Any] | None:
        """The app's acknowledgement of ``env`` (None, or with ``check`` an error, if none came
        within ``timeout``, Slack's 3 seconds by default)."""
        deadline = time.monotonic() + (self.ack_timeout if timeout is None else timeout)
        with self._changed:
            while env.ack is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    if check:
                        raise TimeoutError(f"envelope {env.envelope_id} ({env.type}) not acked")
                    return None
                self._changed.wait(left)
            return env.ack

    def deliveries_of(self, event_id: str) -> list[Envelope]:
        """Every envelope that carried the event ``event_id``, first delivery first."""
        with self._lock:
            return [e for e in self.envelopes if e.payload.get("event_id") == event_id]

    # ---- connections coming and going ----

    def wait_connected(self, timeout: float = 10.0) -> Link:
        """The current connection, waiting for one if there is none."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while (link := self.current()) is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no Socket Mode connection within {timeout}s")
                self._changed.wait(left)
            return link

    def wait_connections(self, count: int, timeout: float = 30.0) -> Link:
        """Block until the app has opened ``count`` connections in all and one is open; the
        newest."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.links) < count or self.current() is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"waited {timeout}s for connection #{count}; "
                        f"{len(self.links)} opened, {len(self.open_links())} open"
                    )
                self._changed.wait(left)
            link = self.current()
            assert link is not None
            return link

    def wait_closed(self, link: Link, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while link.open:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"connection #{link.number} still open after {timeout}s")
                self._changed.wait(left)

    def disconnect(self, reason: str = "refresh_requested") -> Link:
        """Ask the app to reconnect, as Slack does before refreshing a connection (``warning``
        comes first, ``refresh_requested`` at the time) or when Socket Mode is turned off
        (``link_disabled``). The connection is closed ``close_after`` seconds later."""
        link = self.wait_connected()
        frame = {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-emulator"}}
        try:
            link.conn.send(json.dumps(frame))
        except ConnectionClosed:
            return link

        def close_later() -> None:
            time.sleep(self.close_after)
            if link.open:
                self._mark_closed(link, f"disconnect:{reason}")
                link.conn.close()

        threading.Thread(target=close_later, daemon=True).start()
        return link

    def drop(self) -> Link:
        """Cut the current connection without a close frame: the app's next read fails with a
        reset, as when a proxy or the network dies."""
        link = self.wait_connected()
        self._mark_closed(link, "dropped")
        sock: socket.socket = link.conn.socket
        # SO_LINGER 0: close() sends RST instead of FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        link.conn.close_socket()
        return link
