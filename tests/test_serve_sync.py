"""`kpibot serve` with scheduled Salesforce syncs: the real bot (RealBackend) answering in Slack
while `kpibot sync` children refresh its cache from the loopback Salesforce emulator every 2 s.

Expected counts are read off the emulator's own records (live Tasks that are calls), never from
the engine under test.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests import slack_harness as H
from tests.sf_emulator import Emulator, Org
from tests.sf_emulator.faults import FOREVER
from tests.sf_emulator.harness import seed, task_values
from tests.slack_driver import SlackDriver
from tests.slack_emulator import Message, SlackEmulator

QUESTION = "calls all time"


def org_calls(org: Org) -> int:
    """What `calls all time` must say: live Task records whose subtype is Call."""
    return sum(1 for rid in org.live_ids("Task") if org.get("Task", rid)["TaskSubtype"] == "Call")


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    org = Org()
    seed(org, random.Random(11), tasks=20)
    with Emulator(tmp_path_factory.mktemp("sf"), org) as e:
        # Every data call fails until the test lets it through: serve starts with no cache.
        e.fail("*", 401, times=FOREVER)
        yield e


@pytest.fixture(scope="module")
def bot(
    slack: SlackEmulator, emu: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[H.Bot]:
    work = tmp_path_factory.mktemp("serve")
    settings = {
        "database": str(work / "kpibot.duckdb"),
        "salesforce": {"sync_every": "2s", "bulk_threshold": 100_000},
    }
    env = emu.env("token")  # SF_INSTANCE_URL + SF_ACCESS_TOKEN, and the emulator's CA bundle
    with H.running_bot(slack, work, backend=None, settings=settings, env=env, today=None) as b:
        yield b


@pytest.fixture
def drv(bot: H.Bot) -> SlackDriver:
    return H.driver(bot)


def ask(slack: SlackEmulator, drv: SlackDriver, question: str = QUESTION) -> Message:
    """Mention the bot and return its reply in the mention's thread."""
    sent = drv.mention(H.ALICE, H.SALES, question)
    assert sent.status == 200

    def replied() -> list[Message]:
        return [m for m in H.answers(slack, H.SALES) if m.thread_ts == sent.ts]

    slack.wait_for(lambda: bool(replied()), timeout=15)
    return replied()[0]


def calls_said(m: Message) -> int:
    """The count in a `calls all time` answer (its headline field is ``*calls*\\n*N*``)."""
    field = m.blocks[1]["fields"][0]["text"]
    found = re.fullmatch(r"\*calls\*\n\*([\d,]+)\*", field)
    assert found, f"not a calls answer: {H.all_text(m)}"
    return int(found.group(1).replace(",", ""))


def test_before_the_first_sync_the_bot_says_so_in_words(
    slack: SlackEmulator, drv: SlackDriver, bot: H.Bot, emu: Emulator
) -> None:
    deadline = time.monotonic() + 15
    while not any(f.fired for f in emu.faults):  # a scheduled sync has tried, and failed
        assert time.monotonic() < deadline, "no sync reached Salesforce"
        time.sleep(0.1)
    msg = ask(slack, drv)
    text = H.all_text(msg)
    assert "I have no Salesforce data to answer from yet" in text
    assert "something went wrong" not in text and "Traceback" not in text
    assert bot.audit()[-1]["outcome"] == "user_error"


def test_syncs_bring_changes_in_while_answers_keep_flowing(
    slack: SlackEmulator, drv: SlackDriver, emu: Emulator, bot: H.Bot
) -> None:
    emu.clear_faults()  # the next scheduled sync (within 2 s) loads the org
    before = org_calls(emu.org)
    said: list[int] = []
    deadline = time.monotonic() + 60  # a sync on a loaded 2-core machine can take its time
    while not said or said[-1] != before:
        assert time.monotonic() < deadline, f"no answer with {before} calls: {said}"
        msg = ask(slack, drv)
        if msg.blocks[0]["text"]["text"].startswith("*calls*"):
            said.append(calls_said(msg))
        time.sleep(0.2)
    # Three new calls and one deleted, in Salesforce.
    rng = random.Random(3)
    for i in range(3):
        emu.org.insert("Task", {**task_values(rng, i=i), "TaskSubtype": "Call"})
    emu.org.delete("Task", emu.org.live_ids("Task")[0])
    after = org_calls(emu.org)
    assert after == before + 2
    # Keep asking, three questions at a time, through the following syncs: every question is
    # answered from a whole snapshot (the old count or the new one, never anything in between
    # or an error), and once a batch has seen the new count no later batch sees the old one.
    batches: list[list[int]] = []
    with ThreadPoolExecutor(3) as pool:
        deadline = time.monotonic() + 20
        while not batches or batches[-1] != [after] * 3:
            assert time.monotonic() < deadline, f"the change never showed: {batches}"
            batches.append(list(pool.map(lambda _: calls_said(ask(slack, drv)), range(3))))
            time.sleep(0.2)
        for _ in range(3):  # and after it, across more syncs
            batches.append(list(pool.map(lambda _: calls_said(ask(slack, drv)), range(3))))
            time.sleep(0.4)
    assert {n for b in batches for n in b} <= {before, after}
    first_new = next(i for i, b in enumerate(batches) if after in b)
    assert all(b == [after] * 3 for b in batches[first_new + 1 :]), batches
    outcomes = [r["outcome"] for r in bot.audit()]
    assert "internal_error" not in outcomes
    log = bot.log()
    # The failed first sync was logged as a warning with the child's words, not as a crash.
    assert "scheduled sync failed: kpibot sync exited with 1: sync failed" in log
    assert "SF_ACCESS_TOKEN has expired or is invalid" in log
    assert "crashed" not in log and "Traceback" not in log
    assert "scheduled sync done" in log
