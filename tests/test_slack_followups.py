"""Follow-ups in Slack threads and DMs, on the REAL engine over the fixture org (today pinned to
Thu 27 Jun 2024, Q2 = 1 Apr – 27 Jun 2024), through `kpibot serve` and the Slack emulator —
including after the bot restarts on the same state database.

Calls in Q2 (tests/test_metrics_fixture.py): Alice T00, T01, T03 = 3; Bob T04, T06, T07 = 3;
张伟 T08 = 1. Bob's by weekday: T07 Tue; T04, T06 Wed → Tue 1, Wed 2.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests import slack_harness as H
from tests.slack_emulator import Message, SlackEmulator
from tests.slack_harness import all_text, answers, table


def _asked(slack: SlackEmulator, channel: str, send: Callable[[], object]) -> Message:
    """Send a question and wait for the bot's next answer in that channel."""
    n = len(answers(slack, channel))
    send()
    slack.wait_for(lambda: len(answers(slack, channel)) > n, timeout=30)
    slack.settle()
    return answers(slack, channel)[-1]


def test_thread_follow_ups_survive_a_restart(slack: SlackEmulator, org_dir: Path) -> None:
    with H.fixture_org_bot(slack, org_dir) as bot:
        drv = H.driver(bot)
        sent = []
        answer = _asked(
            slack, H.SALES, lambda: sent.append(drv.mention(H.ALICE, H.SALES, "calls by rep"))
        )
        thread = sent[0].ts
        assert answer.thread_ts == thread
        assert table(answer)[1:] == [["Alice Wang", "3"], ["Bob Smith", "3"], ["张伟", "1"]]
        answer = _asked(
            slack, H.SALES, lambda: drv.mention(H.ALICE, H.SALES, "only bob", thread_ts=thread)
        )
        assert answer.thread_ts == thread
        # the restatement shows the merged question
        assert "Bob Smith" in answer.blocks[0]["text"]["text"]
        assert table(answer)[1:] == [["Bob Smith", "3"]]
        assert bot.audit()[-1]["question"] == 'calls by rep rep = "Bob Smith"'
    with H.fixture_org_bot(slack, org_dir) as bot:
        drv = H.driver(bot)
        answer = _asked(
            slack, H.SALES, lambda: drv.mention(H.BOB, H.SALES, "by weekday", thread_ts=thread)
        )
        assert answer.thread_ts == thread
        assert table(answer)[1:] == [["Tue", "1"], ["Wed", "2"]]
        assert bot.audit()[-1]["question"] == 'calls by weekday rep = "Bob Smith"'
        # another thread knows nothing of it: a fragment alone is refused in words
        answer = _asked(slack, H.SALES, lambda: drv.mention(H.ALICE, H.SALES, "by weekday"))
        assert "names no KPI" in all_text(answer)


def test_dm_follow_up_and_a_full_question_starts_afresh(
    slack: SlackEmulator, org_dir: Path
) -> None:
    with H.fixture_org_bot(slack, org_dir) as bot:
        drv = H.driver(bot)
        answer = _asked(slack, H.ALICE_DM, lambda: drv.dm(H.ALICE, H.ALICE_DM, "calls for 张伟"))
        assert "张伟" in answer.blocks[0]["text"]["text"]
        assert bot.audit()[-1]["question"] == "calls for 张伟"
        answer = _asked(slack, H.ALICE_DM, lambda: drv.dm(H.ALICE, H.ALICE_DM, "同比"))
        assert bot.audit()[-1]["question"] == 'calls rep = "张伟" vs last year'
        assert "张伟" in answer.blocks[0]["text"]["text"]
        _asked(slack, H.ALICE_DM, lambda: drv.dm(H.ALICE, H.ALICE_DM, "win rate by rep"))
        assert bot.audit()[-1]["question"] == "win rate by rep"
