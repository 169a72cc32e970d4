"""User dashboards on two `kpibot serve` replicas sharing one state database (one PostgreSQL
server as behind a load balancer, or one SQLite file): a board made through one replica is
listed, pinned to (by words and by the "Add to dashboard" modal), shown and renamed through the
other; both editing one board at once lose no edit and leave no gap. Real gunicorn + bolt
subprocesses against the loopback Slack emulator; the engine is the fixed test backend."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from pathlib import Path
from typing import Any

from bot.slack.blocks import PIN_BOARD
from bot.slack.messages import words_in
from i18n import Language
from tests import slack_harness as H
from tests.slack_emulator import SlackEmulator

M = words_in(Language.EN)  # the emulator's users have no Slack locale: English

WEEKDAY_Q = "connect rate by weekday last 31 days"
CALLS_Q = "calls this week"
WIN_Q = "win rate by rep this quarter"
_keys = count()


def kpi(slack: SlackEmulator, bot: H.Bot, user: str, text: str) -> str:
    """/kpi TEXT in #sales through ``bot``; the reply (the ack's text, else the response_url's,
    found by its own key so that replies to commands sent at the same time do not mix)."""
    key = f"r{next(_keys)}"
    r = H.driver(bot).command(
        text, user=user, channel=H.SALES, response_url=slack.response_url(key)
    )
    assert r.status == 200
    if r.body:
        return str(r.json()["text"]) if r.body.startswith("{") else r.body
    slack.wait_for(lambda: any(x["key"] == key for x in slack.responses), timeout=30)
    return str(next(x for x in slack.responses if x["key"] == key)["text"])


def board_panels(bot: H.Bot, name: str) -> list[tuple[int, str]]:
    return [
        (r["position"], r["question"])
        for r in bot.state_rows(
            "SELECT p.position, p.question FROM board_panels p JOIN boards b ON b.id = p.board_id"
            f" WHERE b.name = '{name}' ORDER BY p.position"
        )
    ]


def uploads(slack: SlackEmulator) -> int:
    return len(slack.calls_to("files.completeUploadExternal"))


def test_a_board_made_on_one_replica_is_pinned_shown_and_edited_on_the_other(
    tmp_path: Path, state_database: str
) -> None:
    with H.workspace() as slack, H.replicas(slack, tmp_path, state_database) as (a, b):
        said = kpi(slack, a, H.ALICE, 'dashboard new "Team East"')
        assert said.startswith("Made the dashboard *Team East* for <#CSALES>")
        # B knows it at once: listed, pinned to by words.
        assert "*Team East* · 0 panels · <#CSALES> · by <@UALICE>" in kpi(
            slack, b, H.BOB, "dashboards"
        )
        assert kpi(slack, b, H.ALICE, f'pin {WEEKDAY_Q} to "Team East"').startswith(
            "Pinned to *Team East* as panel 1"
        )
        # An answer given by A; its "Add to dashboard" button clicked through B: the picker
        # lists the board, and the submission (through A again) pins it.
        H.driver(a).mention(H.ALICE, H.SALES, CALLS_Q)
        slack.wait_for(lambda: len(H.answers(slack, H.SALES)) == 1)
        [answer] = H.answers(slack, H.SALES)
        H.driver(b).click(answer, M.BUTTON_PIN, user=H.ALICE, response_url=slack.response_url())
        slack.wait_for(lambda: len(slack.modals) == 1)
        modal = list(slack.modals.values())[0]
        select = modal["blocks"][1]["element"]
        assert [o["text"]["text"] for o in select["options"]] == ["Team East · this channel"]
        pick = {"type": "static_select", "selected_option": select["options"][0]}
        r = H.driver(a).submit_view(modal, {PIN_BOARD: {PIN_BOARD: pick}}, user=H.ALICE)
        assert r.status == 200 and r.body == ""
        slack.wait_for(lambda: len(board_panels(a, "Team East")) == 2)
        assert board_panels(b, "Team East") == [(1, WEEKDAY_Q), (2, CALLS_Q)]
        # Shown through either replica: one image each.
        before = uploads(slack)
        H.driver(b).mention(H.BOB, H.SALES, "Team East dashboard")
        H.driver(a).mention(H.ALICE, H.SALES, "Team East dashboard last quarter")
        slack.wait_for(lambda: uploads(slack) == before + 2, timeout=30)
        # Alice's App Home, published by B, lists her board; its button (handled by A) draws
        # it in her DM. Bob made none: his says how to make one.
        H.driver(b).home_opened(H.ALICE)
        H.driver(b).home_opened(H.BOB)
        slack.wait_for(lambda: H.ALICE in slack.views and H.BOB in slack.views)
        home = slack.views[H.ALICE]
        listed = [b for b in home["blocks"] if b.get("block_id") == "kpi_home_boards"]
        assert [e["text"]["text"] for e in listed[0]["elements"]] == ["Team East"]
        assert "No dashboards of your own yet" in json.dumps(slack.views[H.BOB])
        before = uploads(slack)
        assert H.driver(a).click_home(home, "Team East", user=H.ALICE).status == 200
        slack.wait_for(lambda: uploads(slack) == before + 1, timeout=30)
        assert slack.calls_to("files.completeUploadExternal")[-1].args["channel_id"] == H.ALICE_DM
        # Renamed on B: A finds it by its new name only, with a did-you-mean for the old one.
        assert kpi(slack, b, H.ALICE, 'dashboard "Team East" rename "East"') == (
            "Renamed *Team East* to *East*."
        )
        assert kpi(slack, a, H.ALICE, 'dashboard "Team East" remove 1') == (
            'There is no dashboard called "Team East" here. Did you mean "East"? '
            "`/kpi dashboards` lists them."
        )
        assert kpi(slack, a, H.ALICE, 'dashboard "East" move 2 to 1') == (
            "Moved panel 2 to 1 on *East*."
        )
        assert board_panels(b, "East") == [(1, CALLS_Q), (2, WEEKDAY_Q)]
        rows = _audited(a)
    details = [r["detail"] for r in rows if (r["detail"] or "").startswith("dashboard ")]
    assert details == [
        "dashboard Team East: created (channel)",
        f"dashboard Team East: pinned #1 {WEEKDAY_Q}",
        f"dashboard Team East: pinned #2 {CALLS_Q}",
        "dashboard Team East: renamed to East",
        "dashboard East: moved #2 to #1",
    ]


def test_both_replicas_editing_one_board_at_once_lose_nothing(
    tmp_path: Path, state_database: str
) -> None:
    """Alice pins through A and Bob (an admin) through B, five each, at the same time, each
    moving panel 2 to the top after every pin: all ten pins are there, numbered 1–10
    without a gap or a repeat, and the board's 12-panel limit holds across replicas."""
    access = {**H.ACCESS, "admins": [H.BOB]}
    with (
        H.workspace() as slack,
        H.replicas(slack, tmp_path, state_database, access=access) as (a, b),
    ):
        kpi(slack, a, H.ALICE, 'dashboard new "Team East"')

        def edits(bot: H.Bot, user: str, question: str) -> list[str]:
            said = []
            for _ in range(5):
                said.append(kpi(slack, bot, user, f'pin {question} to "Team East"'))
                said.append(kpi(slack, bot, user, 'dashboard "Team East" move 2 to 1'))
            return said

        with ThreadPoolExecutor(2) as pool:
            both = list(pool.map(edits, (a, b), (H.ALICE, H.BOB), (CALLS_Q, WIN_Q)))
        pins = [s for said in both for s in said[0::2]]
        assert all(s.startswith("Pinned to *Team East* as panel ") for s in pins), pins
        # "as panel N": every number from 1 to 10 told once, whichever replica pinned it
        assert sorted(int(s.split("as panel ")[1].split(":")[0]) for s in pins) == list(
            range(1, 11)
        )
        panels = board_panels(b, "Team East")
        assert [p for p, _ in panels] == list(range(1, 11))
        assert sorted(q for _, q in panels) == sorted([CALLS_Q] * 5 + [WIN_Q] * 5)
        # 2 more fit (one through each replica), the 13th does not
        assert kpi(slack, a, H.ALICE, f'pin {CALLS_Q} to "Team East"').endswith(
            'See it with `/kpi dashboard "Team East"`.'
        )
        assert "as panel 12" in kpi(slack, b, H.BOB, f'pin {WIN_Q} to "Team East"')
        assert kpi(slack, a, H.ALICE, f'pin {CALLS_Q} to "Team East"').startswith(
            '"Team East" already has 12 panels'
        )


def _audited(bot: H.Bot) -> list[dict[str, Any]]:
    """The shared audit log once every entry has its outcome."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(r["outcome"] is None for r in bot.audit()):
        time.sleep(0.05)
    return bot.audit()
