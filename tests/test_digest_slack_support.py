"""The Slack emulator (tests/slack_emulator.py, from the Slack bot's branch) plus the two read
methods recovery needs and it lacks: ``conversations.history`` and ``conversations.replies``
with message ``metadata``. Kept here, small, until they move into the emulator itself."""

from __future__ import annotations

from typing import Any

from tests.slack_emulator import SlackEmulator


class DigestSlack(SlackEmulator):
    def reset(self, workspace: bool = False) -> None:
        super().reset(workspace)
        self.metadata: dict[str, Any] = {}  # ts → the metadata posted with that message

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        out = super()._m_chat_postMessage(args)
        if args.get("metadata"):
            self.metadata[out["ts"]] = args["metadata"]
        return out

    def _as_history(self, m: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "message", "ts": m.ts, "text": m.text, "user": m.user}
        if m.thread_ts:
            out["thread_ts"] = m.thread_ts
        if m.files:
            out["files"] = m.files
        if m.ts in self.metadata:
            out["metadata"] = self.metadata[m.ts]
        return out

    def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
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
