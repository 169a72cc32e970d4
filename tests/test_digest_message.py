"""A digest's messages: one headline with ▲/▼ per KPI, charts and rows in the thread."""

from __future__ import annotations

from datetime import date

from bot.digests.message import ask_all, digest_message, is_empty
from tests.test_digest_helpers import ScriptedBackend

DAY = date(2024, 6, 28)
VALUES = {DAY: 0.30, date(2024, 6, 21): 0.25}


def test_headline_has_value_and_growth_and_thread_has_charts() -> None:
    b = ScriptedBackend(lambda q, d: VALUES.get(d))
    questions = ["connect rate last 7 days", "conect rate last 7 days", "outbound calls dashboard"]
    replies, previous = ask_all(b, questions, DAY)
    msg = digest_message("morning", replies, today=DAY, currency="USD", previous=previous)
    # 0.30 against 0.25: (0.30 - 0.25) / 0.25 = +20.0%.
    assert msg.headline.text.splitlines() == [
        "morning · 28 Jun 2024",
        "• *connect rate* 30.0% ▲ 20.0% · 21 – 27 Jun 2024",
        '• _conect rate last 7 days_: ⚠ I don\'t know "conect rate". Did you mean connect rate?',
        "• *outbound calls dashboard*: chart in the thread",
    ]
    assert msg.headline.blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "morning · 28 Jun 2024"},
    }
    # The error has no thread part; the two others are charts.
    assert [p.image is not None for p in msg.thread] == [True, True]
    assert msg.thread[0].text.startswith(
        "*[connect rate] · last 7 days*\n```\nconnect rate\n30.0%\n```"
    )
    # The previous period was asked for the 7 days before, with the same scheduled "today".
    assert ("connect rate last 7 days", date(2024, 6, 21)) in b.calls


def test_decline_and_empty() -> None:
    b = ScriptedBackend(lambda q, d: {DAY: 0.2, date(2024, 6, 21): 0.25}.get(d))
    replies, previous = ask_all(b, ["connect rate last 7 days"], DAY)
    msg = digest_message("m", replies, today=DAY, currency="USD", previous=previous)
    assert "• *connect rate* 20.0% ▼ 20.0% · 21 – 27 Jun 2024" in msg.headline.text
    empty, _ = ask_all(ScriptedBackend(lambda q, d: None), ["connect rate last 7 days"], DAY)
    assert is_empty(empty) and not is_empty(replies)
