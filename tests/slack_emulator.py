"""A loopback Slack Web API for end-to-end tests: a real HTTP server that speaks Slack's protocol.

The bot under test points its ``SLACK_API_URL`` at ``emulator.base_url`` and talks to it with
the real slack_sdk. Every call is recorded (method, parsed arguments, files); a small workspace
(users, channels with bot membership, user groups, DMs) makes Slack's rules emerge on their own
(``not_in_channel``, ``channel_not_found``), and faults can be scripted per method.

    with SlackEmulator() as slack:
        slack.add_user("U1", "alice", email="alice@example.com")
        slack.add_channel("C1", "sales")                      # the bot is a member
        slack.fail("chat.postMessage", status=429, retry_after=1)   # once
        ...
        slack.wait_for("files.completeUploadExternal")
        slack.messages(channel="C1")

Socket Mode: ``apps.connections.open`` (with the app-level token ``emulator.app_token``) hands
out a ``ws://127.0.0.1:…`` URL of ``emulator.socket``, the WebSocket side in
tests/slack_socket_mode.py, which delivers envelopes and records their acknowledgements.

Limits it enforces, like Slack: 50 blocks a message, 3,000 characters a section text, 75 a
button label, 2,000 a button value, unique action_ids, text or blocks required.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.slack_socket_mode import SocketModeServer

APP_TOKEN_METHODS = ("apps.connections.open",)
JSON_FIELDS = ("blocks", "attachments", "files", "view", "metadata")
DEFAULT_SCOPES = (
    "app_mentions:read,chat:write,commands,files:write,im:history,im:write,channels:read,"
    "channels:join,users:read,users:read.email,usergroups:read,groups:read"
)


@dataclass
class Call:
    seq: int
    method: str  # "chat.postMessage", …; "upload" for the upload URL; "respond" for response_url
    args: dict[str, Any]
    status: int = 200
    response: Any = None
    at: float = 0.0
    data: bytes = b""  # the bytes posted to the upload URL


@dataclass
class Fault:
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    times: int = 1


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    user: str | None = None
    ephemeral_for: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)


class SlackError(Exception):
    def __init__(self, error: str, **extra: Any):
        self.error = error
        self.extra = extra


INPUT_ELEMENTS = ("plain_text_input", "static_select", "multi_static_select", "checkboxes")


def check_blocks(blocks: Any, limit: int = 50, *, modal: bool = False) -> list[str]:
    """Structural Block Kit checks; the errors Slack would list under invalid_blocks.
    ``input`` blocks are for modals only."""
    errors: list[str] = []
    if not isinstance(blocks, list):
        return ["blocks must be an array"]
    if len(blocks) > limit:
        errors.append(f"no more than {limit} items allowed [json-pointer:/blocks]")
    action_ids: set[str] = set()
    for i, b in enumerate(blocks):
        where = f"[json-pointer:/blocks/{i}]"
        kind = b.get("type") if isinstance(b, dict) else None
        if kind == "input" and modal:
            element = b.get("element") or {}
            label = (b.get("label") or {}).get("text", "")
            if element.get("type") not in INPUT_ELEMENTS or not element.get("action_id"):
                errors.append(f"input needs an input element with an action_id {where}")
            if not 0 < len(label) <= 2000 or not b.get("block_id"):
                errors.append(f"input needs a block_id and a label of 1 to 2000 characters {where}")
            options = element.get("options")
            if options is not None and not 0 < len(options) <= 100:
                errors.append(f"a select needs 1 to 100 options {where}/element/options")
            continue
        if kind not in ("section", "context", "actions", "divider", "header", "image", "rich_text"):
            errors.append(f"unknown block type {kind!r} {where}")
            continue
        text = b.get("text")
        if kind == "section":
            if text is None and not b.get("fields"):
                errors.append(f"section needs text or fields {where}")
            if text and len(text.get("text", "")) > 3000:
                errors.append(f"must be less than 3001 characters {where}/text")
            for j, f in enumerate(b.get("fields") or []):
                if len(f.get("text", "")) > 2000:
                    errors.append(f"must be less than 2001 characters {where}/fields/{j}")
            if len(b.get("fields") or []) > 10:
                errors.append(f"no more than 10 items allowed {where}/fields")
        if kind == "header" and (
            not text or text.get("type") != "plain_text" or len(text["text"]) > 150
        ):
            errors.append(f"header needs plain_text of at most 150 characters {where}")
        if kind == "context" and not 0 < len(b.get("elements") or []) <= 10:
            errors.append(f"context needs 1 to 10 elements {where}")
        if kind == "actions":
            elements = b.get("elements") or []
            if not 0 < len(elements) <= 25:
                errors.append(f"actions needs 1 to 25 elements {where}")
            for j, e in enumerate(elements):
                label = (e.get("text") or {}).get("text", "")
                if e.get("type") == "button" and not 0 < len(label) <= 75:
                    errors.append(f"button text must be 1 to 75 characters {where}/elements/{j}")
                if len(str(e.get("value", ""))) > 2000:
                    errors.append(f"must be less than 2001 characters {where}/elements/{j}/value")
                aid = e.get("action_id")
                if aid in action_ids:
                    errors.append(f"action_id {aid!r} is not unique {where}/elements/{j}")
                action_ids.add(aid)
        if isinstance(b, dict) and len(str(b.get("block_id", ""))) > 255:
            errors.append(f"block_id too long {where}")
    return errors


class SlackEmulator:
    def __init__(
        self,
        *,
        team_id: str = "T0TEST",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        bot_token: str = "xoxb-test-token",
        app_token: str = "xapp-1-A0TEST-1-test",
        app_id: str = "A0TEST",
        scopes: str = DEFAULT_SCOPES,
    ):
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.bot_token = bot_token
        self.app_token = app_token
        self.scopes = scopes
        self.socket = SocketModeServer(app_id=app_id)
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset(workspace=True)

    # ---- lifecycle ----

    def start(self) -> SlackEmulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                emulator._handle(self)

            def do_GET(self) -> None:
                emulator._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        self.socket.start()
        return self

    def stop(self) -> None:
        self.socket.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the emulator first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        """What the bot's SLACK_API_URL should be."""
        return self.url + "/api/"

    # ---- the workspace ----

    def reset(self, workspace: bool = False) -> None:
        """Forget calls, messages, files and faults (and with ``workspace`` users and channels)."""
        with self._lock:
            self.calls: list[Call] = []
            self.message_log: list[Message] = []
            self.files: dict[str, dict[str, Any]] = {}
            self.tickets: dict[str, str] = {}
            self.views: dict[str, dict[str, Any]] = {}
            self.modals: dict[str, dict[str, Any]] = {}  # view id → the modal as last set
            self.responses: list[dict[str, Any]] = []
            self.metadata: dict[str, Any] = {}  # ts → the metadata posted with that message
            self.faults: dict[str, list[Fault]] = {}
            self._seq = itertools.count(1)
            self.socket.reset()
            if workspace:
                self.users: dict[str, dict[str, Any]] = {}
                self.channels: dict[str, dict[str, Any]] = {}
                self.usergroups: dict[str, dict[str, Any]] = {}
            self._changed.notify_all()

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        email: str | None = None,
        tz: str = "Asia/Shanghai",
        locale: str = "en-US",
    ) -> None:
        profile: dict[str, Any] = {"display_name": name, "real_name": name.title()}
        if email:
            profile["email"] = email
        self.users[user_id] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": name.title(),
            "deleted": False,
            "is_bot": False,
            "tz": tz,
            "locale": locale,  # sent only when asked (include_locale), as Slack does
            "profile": profile,
        }

    def add_channel(
        self, channel_id: str, name: str, *, private: bool = False, member: bool = True
    ) -> None:
        self.channels[channel_id] = {
            "id": channel_id,
            "name": name,
            "is_channel": not private,
            "is_group": private,
            "is_im": False,
            "is_private": private,
            "is_archived": False,
            "members": {self.bot_user_id} if member else set(),
        }

    def add_dm(self, channel_id: str, user: str) -> None:
        """The DM between ``user`` and the bot."""
        self.channels[channel_id] = {
            "id": channel_id,
            "is_im": True,
            "user": user,
            "is_private": True,
            "is_archived": False,
            "members": {self.bot_user_id, user},
        }

    def add_usergroup(self, group_id: str, handle: str, users: list[str]) -> None:
        self.usergroups[group_id] = {"id": group_id, "handle": handle, "users": list(users)}

    # ---- faults ----

    def fail(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 200,
        retry_after: int | None = None,
        delay: float = 0.0,
        times: int = 1,
    ) -> None:
        """Script the next ``times`` calls of ``method`` (or "upload"): an HTTP status (429 with
        Retry-After, 500…), an ``{"ok": false, "error": …}``, and/or a delay before answering."""
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            self.faults.setdefault(method, []).append(
                Fault(status, error, retry_after, delay, times)
            )

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            queue = self.faults.get(method) or []
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    # ---- reading what happened ----

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def messages(self, channel: str | None = None, thread_ts: str | None = None) -> list[Message]:
        with self._lock:
            return [
                m
                for m in self.message_log
                if (channel is None or m.channel == channel)
                and (thread_ts is None or m.thread_ts == thread_ts)
            ]

    def wait_for(
        self, what: str | Callable[[], bool], count: int = 1, timeout: float = 10.0
    ) -> list[Call]:
        """Block until ``count`` calls of a method were answered (or a predicate holds)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                if callable(what):
                    if what():
                        return []
                else:
                    found = [c for c in self.calls if c.method == what and c.response is not None]
                    if len(found) >= count:
                        return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self.calls]
                    raise TimeoutError(
                        f"waited {timeout}s for {what!r} x{count}; calls so far: {seen}"
                    )
                self._changed.wait(left)

    def settle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until no call has arrived for ``quiet`` seconds (the bot has finished)."""
        deadline = time.monotonic() + timeout
        last = -1
        while time.monotonic() < deadline:
            with self._lock:
                n = len(self.calls)
            if n == last:
                return
            last = n
            time.sleep(quiet)

    def response_url(self, key: str = "cmd") -> str:
        return f"{self.url}/respond/{key}"

    # ---- HTTP ----

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        path = parts.path
        if path.startswith("/upload/v1/"):
            self._upload(req, path.rsplit("/", 1)[1], raw)
            return
        if path.startswith("/respond/"):
            self._respond(req, path.rsplit("/", 1)[1], raw)
            return
        method = path.removeprefix("/api/").strip("/")
        args = self._args(req, raw, parts.query)
        call = Call(next(self._seq), method, args, at=time.time())
        with self._lock:
            self.calls.append(call)
        fault = self._take_fault(method)
        headers: dict[str, str] = {}
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.status != 200:
            status = fault.status
            body: Any = {"ok": False, "error": "ratelimited" if status == 429 else "internal_error"}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
        elif fault and fault.error:
            status, body = 200, {"ok": False, "error": fault.error}
        else:
            status, body = 200, self._dispatch(method, args, req.headers.get("Authorization", ""))
            if method == "auth.test":
                headers["x-oauth-scopes"] = self.scopes
        self._reply(req, status, body, headers)
        with self._changed:
            call.status, call.response = status, body
            self._changed.notify_all()

    @staticmethod
    def _args(req: BaseHTTPRequestHandler, raw: bytes, query: str) -> dict[str, Any]:
        args: dict[str, Any] = dict(parse_qsl(query))
        ctype = req.headers.get("Content-Type", "")
        if raw and "json" in ctype:
            args.update(json.loads(raw))
        elif raw:
            args.update(dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True)))
        for k in JSON_FIELDS:
            if isinstance(args.get(k), str) and args[k][:1] in "[{":
                args[k] = json.loads(args[k])
        return args

    @staticmethod
    def _reply(
        req: BaseHTTPRequestHandler,
        status: int,
        body: Any,
        headers: dict[str, str],
        ctype: str = "application/json; charset=utf-8",
    ) -> None:
        data = (json.dumps(body) if not isinstance(body, str) else body).encode("utf-8")
        req.send_response(status)
        req.send_header("Content-Type", ctype)
        req.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            req.send_header(k, v)
        req.end_headers()
        req.wfile.write(data)

    def _upload(self, req: BaseHTTPRequestHandler, ticket: str, raw: bytes) -> None:
        call = Call(
            next(self._seq),
            "upload",
            {"ticket": ticket, "length": len(raw)},
            at=time.time(),
            data=raw,
        )
        with self._lock:
            self.calls.append(call)
            file_id = self.tickets.get(ticket)
        fault = self._take_fault("upload")
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.status != 200:
            status, body = fault.status, "error"
        elif file_id is None:
            status, body = 404, "unknown upload ticket"
        elif len(raw) != self.files[file_id]["length"]:
            status, body = (
                400,
                f"length mismatch: declared {self.files[file_id]['length']}, got {len(raw)}",
            )
        else:
            with self._lock:
                self.files[file_id]["bytes"] = raw
            status, body = 200, f"OK - {len(raw)}"
        self._reply(req, status, body, {}, "text/plain; charset=utf-8")
        with self._changed:
            call.status, call.response = status, body
            self._changed.notify_all()

    def _respond(self, req: BaseHTTPRequestHandler, key: str, raw: bytes) -> None:
        payload = json.loads(raw or b"{}")
        call = Call(next(self._seq), "respond", {"key": key, **payload}, at=time.time())
        with self._changed:
            self.calls.append(call)
            self.responses.append({"key": key, **payload})
            call.response = "ok"
            self._changed.notify_all()
        self._reply(req, 200, "ok", {}, "text/plain; charset=utf-8")

    # ---- methods ----

    def _dispatch(self, method: str, args: dict[str, Any], auth: str) -> dict[str, Any]:
        token = auth.removeprefix("Bearer ").strip() or str(args.get("token", ""))
        if not token:
            return {"ok": False, "error": "not_authed"}
        # apps.connections.open takes the app-level token and nothing else does.
        wanted = self.app_token if method in APP_TOKEN_METHODS else self.bot_token
        if token != wanted:
            kind = token in (self.bot_token, self.app_token)
            return {"ok": False, "error": "not_allowed_token_type" if kind else "invalid_auth"}
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        try:
            with self._lock:
                return {"ok": True, **handler(args)}
        except SlackError as e:
            return {"ok": False, "error": e.error, **e.extra}

    def _ts(self) -> str:
        n = next(self._seq)
        return f"{1719475200 + n // 1000}.{n % 1000:06d}"

    def _channel(self, channel_id: str) -> dict[str, Any]:
        ch = self.channels.get(channel_id)
        if ch is None:
            raise SlackError("channel_not_found")
        return ch

    def _member(self, channel_id: str) -> dict[str, Any]:
        ch = self._channel(channel_id)
        if self.bot_user_id not in ch["members"]:
            # A private channel the bot is not in is invisible to it.
            raise SlackError(
                "channel_not_found" if ch["is_private"] and not ch["is_im"] else "not_in_channel"
            )
        return ch

    def _public(self, ch: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in ch.items() if k != "members"} | {
            "is_member": self.bot_user_id in ch["members"]
        }

    def _message_args(self, args: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        text = str(args.get("text") or "")
        blocks = args.get("blocks") or []
        if not text and not blocks:
            raise SlackError("no_text")
        errors = check_blocks(blocks)
        if errors:
            raise SlackError("invalid_blocks", errors=errors)
        if len(text) > 40000:
            raise SlackError("msg_too_long")
        return text, blocks

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://kpibot-test.slack.com/",
            "team": "Test Workspace",
            "user": "kpibot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.socket.new_url()}

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        ch = self._member(str(args.get("channel")))
        text, blocks = self._message_args(args)
        msg = Message(ch["id"], self._ts(), text, blocks, args.get("thread_ts"), self.bot_user_id)
        self.message_log.append(msg)
        if args.get("metadata"):
            self.metadata[msg.ts] = args["metadata"]
        return {
            "channel": ch["id"],
            "ts": msg.ts,
            "message": {
                "type": "message",
                "text": text,
                "blocks": blocks,
                "user": self.bot_user_id,
                "bot_id": self.bot_id,
                "ts": msg.ts,
                **({"thread_ts": msg.thread_ts} if msg.thread_ts else {}),
            },
        }

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        ch = self._member(str(args.get("channel")))
        user = str(args.get("user") or "")
        if user not in self.users:
            raise SlackError("user_not_in_channel")
        text, blocks = self._message_args(args)
        msg = Message(
            ch["id"], self._ts(), text, blocks, args.get("thread_ts"), self.bot_user_id, user
        )
        self.message_log.append(msg)
        return {"message_ts": msg.ts}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        ch = self._member(str(args.get("channel")))
        text, blocks = self._message_args(args)
        for m in self.message_log:
            if m.channel == ch["id"] and m.ts == args.get("ts"):
                m.text, m.blocks = text, blocks
                return {"channel": ch["id"], "ts": m.ts, "text": text}
        raise SlackError("message_not_found")

    def _m_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        ch = self._channel(str(args.get("channel")))
        if ch["is_private"] and not ch["is_im"] and self.bot_user_id not in ch["members"]:
            raise SlackError("channel_not_found")
        return {"channel": self._public(ch)}

    def _as_history(self, m: Message) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "message", "ts": m.ts, "text": m.text, "user": m.user}
        if m.thread_ts:
            out["thread_ts"] = m.thread_ts
        if m.files:
            out["files"] = m.files
        if m.ts in self.metadata:
            out["metadata"] = self.metadata[m.ts]
        return out

    def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """Top-level messages, newest first, with the ``metadata`` they were posted with."""
        ch = self._member(str(args.get("channel")))
        top = [
            m
            for m in self.message_log
            if m.channel == ch["id"]
            and m.ephemeral_for is None
            and (m.thread_ts is None or m.thread_ts == m.ts)
        ]
        return {"messages": [self._as_history(m) for m in reversed(top)], "has_more": False}

    def _m_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        ch = self._member(str(args.get("channel")))
        ts = str(args.get("ts"))
        thread = [
            m
            for m in self.message_log
            if m.channel == ch["id"]
            and m.ephemeral_for is None
            and (m.ts == ts or m.thread_ts == ts)
        ]
        return {"messages": [self._as_history(m) for m in thread], "has_more": False}

    def _m_conversations_join(self, args: dict[str, Any]) -> dict[str, Any]:
        ch = self._channel(str(args.get("channel")))
        if ch["is_private"]:
            raise SlackError("method_not_supported_for_channel_type")
        extra: dict[str, Any] = {}
        if self.bot_user_id in ch["members"]:
            extra = {
                "warning": "already_in_channel",
                "response_metadata": {"warnings": ["already_in_channel"]},
            }
        ch["members"].add(self.bot_user_id)
        return {"channel": self._public(ch), **extra}

    def _m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("users") or "")
        if user not in self.users:
            raise SlackError("user_not_found")
        for ch in self.channels.values():
            if ch.get("is_im") and ch.get("user") == user:
                return {"channel": {"id": ch["id"]}}
        cid = "D" + user[1:]
        self.add_dm(cid, user)
        return {"channel": {"id": cid}}

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        if user is None:
            raise SlackError("user_not_found")
        if str(args.get("include_locale", "")).lower() not in ("true", "1"):
            user = {k: v for k, v in user.items() if k != "locale"}
        return {"user": user}

    def _m_usergroups_list(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "usergroups": [
                {k: v for k, v in g.items() if k != "users"} for g in self.usergroups.values()
            ]
        }

    def _m_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = self.usergroups.get(str(args.get("usergroup")))
        if group is None:
            raise SlackError("no_such_subteam")
        return {"users": list(group["users"])}

    def _m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view") or {}
        errors = check_blocks(view.get("blocks") or [], limit=100)
        if errors:
            raise SlackError("invalid_arguments", response_metadata={"messages": errors})
        self.views[str(args.get("user_id"))] = view
        return {"view": {"id": "V" + str(len(self.views)), **view}}

    def _check_modal(self, view: dict[str, Any]) -> None:
        errors = check_blocks(view.get("blocks") or [], limit=100, modal=True)
        if view.get("type") != "modal" or not (view.get("title") or {}).get("text"):
            errors.append("a modal needs type modal and a title")
        if len(str(view.get("private_metadata", ""))) > 3000:
            errors.append("private_metadata must be at most 3000 characters")
        if errors:
            raise SlackError("invalid_arguments", response_metadata={"messages": errors})

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not str(args.get("trigger_id") or "").endswith(".trigger"):
            raise SlackError("invalid_trigger_id")
        view = args.get("view") or {}
        if isinstance(view, str):
            view = json.loads(view)
        self._check_modal(view)
        view_id = f"VM{len(self.modals) + 1:04d}"
        self.modals[view_id] = {"id": view_id, **view}
        return {"view": {"id": view_id, **view}}

    def _m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = str(args.get("view_id") or "")
        if view_id not in self.modals:
            raise SlackError("not_found")
        view = args.get("view") or {}
        if isinstance(view, str):
            view = json.loads(view)
        self._check_modal(view)
        self.modals[view_id] = {"id": view_id, **view}
        return {"view": {"id": view_id, **view}}

    def _m_reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        return {}

    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        length = int(args.get("length") or 0)
        if length <= 0 or not args.get("filename"):
            raise SlackError("missing_argument")
        file_id = f"F{len(self.files) + 1:08d}"
        ticket = f"ticket{file_id}"
        self.tickets[ticket] = file_id
        self.files[file_id] = {
            "id": file_id,
            "name": args["filename"],
            "length": length,
            "alt_txt": args.get("alt_txt"),
            "bytes": None,
        }
        return {"upload_url": f"{self.url}/upload/v1/{ticket}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        items = args.get("files") or []
        channel = args.get("channel_id") or (str(args.get("channels") or "").split(",")[0] or None)
        if channel:
            self._member(str(channel))
        out = []
        for item in items:
            f = self.files.get(item.get("id"))
            if f is None or f["bytes"] is None:
                raise SlackError("file_not_found")
            f.update(
                title=item.get("title"),
                channel=channel,
                thread_ts=args.get("thread_ts"),
                initial_comment=args.get("initial_comment"),
            )
            out.append(
                {
                    "id": f["id"],
                    "name": f["name"],
                    "title": f["title"],
                    "size": f["length"],
                    "channels": [channel] if channel else [],
                }
            )
        if channel:
            self.message_log.append(
                Message(
                    str(channel),
                    self._ts(),
                    str(args.get("initial_comment") or ""),
                    [],
                    args.get("thread_ts"),
                    self.bot_user_id,
                    files=out,
                )
            )
        return {"files": out}
