"""A digest's messages: one headline with ▲/▼ per KPI, charts and rows in the thread."""

from __future__ import annotations

from datetime import date

from bot.digests.message import ask_all, digest_message, is_empty
from tests.digest_backend import ScriptedBackend

DAY = date(2024, 6, 28)
VALUES = {DAY: 0.30, date(2024, 6, 21): 0.25}


def test_headline_has_value_and_growth_and_thread_has_charts() -> None:
    b = ScriptedBackend(lambda q, d: VALUES.get(d))
    questions = ["connect rate last 7 days", "conect rate last 7 days", "outbound calls dashboard"]
    replies, previous = ask_all(b, questions, DAY)
    msg = digest_message("morning", replies, today=DAY, currency="USD", previous=previous)
    # 0.30 against 0.25: a rate, so 30.0 − 25.0 = +5.0 percentage points (not +20.0%).
    assert msg.headline.text.splitlines() == [
        "morning · 28 Jun 2024",
        "• *connect rate* 30.0% +5.0 pp · 21 – 27 Jun 2024",
        '• _conect rate last 7 days_: ⚠ I don\'t know "conect rate". Did you mean connect rate?',
        "• *Outbound calls dashboard*: chart in the thread",
    ]
    assert msg.headline.blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "morning · 28 Jun 2024"},
    }
    # The error has no thread part; the two others are charts.
    assert [p.image is not None for p in msg.thread] == [True, True]
    assert msg.thread[0].text.startswith(
        # the same table as Slack answers: numbers right-aligned under their header
        "*[connect rate] · last 7 days*\n```\nconnect rate\n       30.0%\n```"
    )
    # The previous period was asked for the 7 days before, with the same scheduled "today".
    assert ("connect rate last 7 days", date(2024, 6, 21)) in b.calls


def test_decline_and_empty() -> None:
    b = ScriptedBackend(lambda q, d: {DAY: 0.2, date(2024, 6, 21): 0.25}.get(d))
    replies, previous = ask_all(b, ["connect rate last 7 days"], DAY)
    msg = digest_message("m", replies, today=DAY, currency="USD", previous=previous)
    # 20.0% against 25.0%: −5.0 percentage points
    assert "• *connect rate* 20.0% −5.0 pp · 21 – 27 Jun 2024" in msg.headline.text
    empty, _ = ask_all(ScriptedBackend(lambda q, d: None), ["connect rate last 7 days"], DAY)
    assert is_empty(empty) and not is_empty(replies)
