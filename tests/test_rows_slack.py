"""Row-level access in Slack, end to end: signed requests → a real `kpibot serve` (the real
engine) on the fixture org under ``access.rows: hierarchy`` → the Slack emulator.

The fixture hierarchy (tests/test_rows.py works visibility out by hand):

    VP Sales (R1): Vera U7
    ├── Inbound Manager (R2): Ian U5  ── Inbound Rep (R4): Alice U1, Dana U4 (inactive)
    └── Outbound Manager (R3): Olga U6 ── Outbound Rep (R5): Bob U2, 张伟 U3

Alice sees {U1}; Ian {U1, U4, U5}; Olga {U2, U3, U6}; Vera all seven. The channel #inbound has
the scope "Inbound Manager" (R2 and R4 below it: Ian, Alice, Dana = 3 people); #leadership has
``all``. Today is Thu 27 Jun 2024: the default window is this quarter, 1 Apr – 27 Jun 2024.

Revenue won this quarter (Opportunity.csv, won with CloseDate in Q2): O1 Alice 50,000 (15 May),
O11 Bob 50,000 (20 May), O2 Bob (no amount), O5 张伟 80,000 (20 Jun). O4 (Alice) was lost, O7
(Alice, 15 Feb) is Q1, O8 is deleted, O10 is 2023.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests import slack_harness as H
from tests.fixture_org import ORG, load_fixture_org
from tests.slack_driver import SlackDriver
from tests.slack_emulator import Message, SlackEmulator
from tests.slack_harness import all_text, answers

ALICE, IAN, OLGA, VERA, MALLORY, NOMAIL, ZHANG = (
    "UALICE", "UIAN", "UOLGA", "UVERA", "UMALLORY", "UNOMAIL", "UZHANG",
)  # fmt: skip
INBOUND, LEADERSHIP, RANDOM, ADMIN = "CINBOUND", "CLEADERS", "CRANDOM", "C0ADMIN01"
DM = {u: "D" + u[1:] for u in (ALICE, IAN, OLGA, VERA, MALLORY, NOMAIL, ZHANG)}
NEVER = "thursdays 09:00"  # 27 Jun 2024 was one; the real clock (a Saturday) is not


def seed(slack: SlackEmulator) -> None:
    slack.reset(workspace=True)
    for user, name, email in (
        (ALICE, "alice", "alice@example.com"),
        (IAN, "ian", "IAN@example.com"),  # e-mails match whatever their case
        (OLGA, "olga", "olga@example.com"),
        (VERA, "vera", "vera@example.com"),
        (MALLORY, "mallory", "mallory@example.com"),  # no Salesforce user has this e-mail
        (NOMAIL, "nomail", None),  # Slack gives no e-mail
        (ZHANG, "zhang", "wei.zhang@corp.example"),  # mapped by hand in access.identities
    ):
        slack.add_user(user, name, email=email)
        slack.add_dm(DM[user], user)
    slack.add_channel(INBOUND, "inbound")
    slack.add_channel(LEADERSHIP, "leadership")
    slack.add_channel(RANDOM, "random")
    slack.add_channel(ADMIN, "kpibot-admin")


def settings(db: Path) -> dict[str, object]:
    base = yaml.safe_load((ORG / "app-hierarchy.yaml").read_text(encoding="utf-8"))
    base["database"] = str(db)
    base["access"] = {
        "rows": "hierarchy",
        "channels": {INBOUND: "Inbound Manager", "#leadership": "all"},
        "identities": {ZHANG: "zhangwei@example.com"},
    }
    base["admin_channel"] = ADMIN
    base["digests"] = [
        {"name": name, "channel": channel, "schedule": NEVER, "questions": ["revenue won by rep"]}
        for name, channel in (("inbound", INBOUND), ("random", RANDOM))
    ]
    base["alerts"] = [
        {
            "name": "inbound-revenue",
            "channel": INBOUND,
            "schedule": NEVER,
            "question": "revenue won",
            "condition": "> 0",
        }
    ]
    return base


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        seed(emulator)
        yield emulator


@pytest.fixture(scope="module")
def bot(slack: SlackEmulator, org_dir: Path) -> Iterator[H.Bot]:
    with H.running_bot(
        slack, org_dir, backend=None, settings=settings(org_dir / "org.duckdb")
    ) as b:
        yield b


@pytest.fixture
def drv(bot: H.Bot, slack: SlackEmulator) -> SlackDriver:
    slack.settle()
    seed(slack)
    return H.driver(bot)


def table(m: Message) -> list[list[str]]:
    """The answer's table without its header."""
    return H.table(m)[1:]


def ask(slack: SlackEmulator, drv: SlackDriver, user: str, where: str, question: str) -> Message:
    """The answer ``user`` gets to ``question`` in a DM (``where`` = "dm") or a channel."""
    before = len(answers(slack, DM[user] if where == "dm" else where))
    if where == "dm":
        drv.dm(user, DM[user], question)
        where = DM[user]
    else:
        drv.mention(user, where, question)
    slack.wait_for(lambda: len(answers(slack, where)) > before, timeout=30)
    slack.settle()
    return answers(slack, where)[-1]


def said(slack: SlackEmulator, channel: str) -> str:
    return "\n".join(m.text for m in slack.messages(channel))


REVENUE_ALL = [["张伟", "$80,000"], ["Alice Wang", "$50,000"], ["Bob Smith", "$50,000"]]


# -- whose numbers, in a DM ---------------------------------------------------------------------


def test_a_rep_a_manager_and_a_vp_each_see_their_own_numbers_in_a_dm(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    alice = ask(slack, drv, ALICE, "dm", "revenue won by rep")
    assert table(alice) == [["Alice Wang", "$50,000"]]  # O1
    assert "Shown for you only." in all_text(alice)
    olga = ask(slack, drv, OLGA, "dm", "revenue won by rep")
    assert table(olga) == [["张伟", "$80,000"], ["Bob Smith", "$50,000"]]  # O5; O11 (+ O2: none)
    assert "Shown for your team: 3 people." in all_text(olga)
    olga_zh = ask(slack, drv, OLGA, "dm", "赢单金额 按销售")  # the same, asked in Chinese
    assert table(olga_zh) == [["张伟", "$80,000"], ["Bob Smith", "$50,000"]]
    assert "显示范围：你的团队（3 人）。" in all_text(olga_zh)
    assert "Shown for" not in all_text(olga_zh)
    vera = ask(slack, drv, VERA, "dm", "revenue won by rep")
    assert table(vera) == REVENUE_ALL  # O5, O1, O11: every rep
    # Vera sees all seven users but is not an admin: still said whose numbers these are.
    assert "Shown for your team: 7 people." in all_text(vera)
    # Top deals (won, with an amount, largest first) name only visible deals.
    deals = all_text(ask(slack, drv, ALICE, "dm", "top deals"))
    assert "Acme expansion" in deals and "Acme platform" not in deals  # O1 hers, O5 张伟's
    assert "Initech suite" not in deals and "Bob Smith" not in deals


def test_someone_mapped_by_hand_in_app_yaml_is_matched_by_that_e_mail(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    # Slack says wei.zhang@corp.example; access.identities maps UZHANG to zhangwei@example.com.
    got = ask(slack, drv, ZHANG, "dm", "revenue won by rep")
    assert table(got) == [["张伟", "$80,000"]]  # O5


def test_unmatched_people_are_refused_in_one_sentence_saying_how_to_get_access(
    slack: SlackEmulator, drv: SlackDriver, bot: H.Bot
) -> None:
    drv.dm(MALLORY, DM[MALLORY], "revenue won by rep")
    drv.dm(NOMAIL, DM[NOMAIL], "按销售统计 赢单数")  # asked in Chinese: refused in Chinese
    slack.wait_for(lambda: bool(said(slack, DM[MALLORY])) and bool(said(slack, DM[NOMAIL])))
    slack.settle()
    mallory = said(slack, DM[MALLORY])
    assert mallory == (
        "Your Slack e-mail mallory@example.com matches no active Salesforce user in kpibot's "
        "data, so I can't tell whose numbers you may see; ask your Salesforce admin to give your "
        "Salesforce user this e-mail (it counts after the next sync), or your kpibot admin to "
        "map you in app.yaml (access.identities)."
    )
    assert said(slack, DM[NOMAIL]).startswith("你的 Slack 资料里没有邮箱，我无法判断")
    # App Home says the same, in place of the home tab.
    drv.home_opened(MALLORY)
    slack.wait_for("views.publish")
    home = json.dumps(slack.calls_to("views.publish")[-1].args["view"])
    assert "matches no active Salesforce user" in home
    assert slack.calls_to("files.completeUploadExternal") == []
    refused = [r for r in bot.audit() if r["user_id"] in (MALLORY, NOMAIL)]
    assert {r["outcome"] for r in refused} == {"refused"}


# -- whose numbers, in a channel ----------------------------------------------------------------


def test_a_channel_answer_is_the_narrower_of_the_asker_and_the_channel(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    # Vera (all) in #inbound (Inbound Manager: Ian, Alice, Dana): the channel's team.
    vera = ask(slack, drv, VERA, INBOUND, "revenue won by rep")
    assert table(vera) == [["Alice Wang", "$50,000"]]
    assert "Shown for the Inbound Manager team: 3 people." in all_text(vera)
    # Alice (herself only) in #inbound: her own, narrower than the channel.
    alice = ask(slack, drv, ALICE, INBOUND, "revenue won by rep")
    assert table(alice) == [["Alice Wang", "$50,000"]]
    assert "Shown for you only." in all_text(alice)
    # Vera in #leadership (all): everyone.
    assert table(ask(slack, drv, VERA, LEADERSHIP, "revenue won by rep")) == REVENUE_ALL
    # Olga's team and the inbound channel have nobody in common: said, not answered.
    drv.mention(OLGA, INBOUND, "revenue won by rep")
    slack.wait_for(lambda: "None of the records you may see" in said(slack, INBOUND))
    # A channel without a scope is refused by the access list (access.channels is its keys).
    drv.mention(VERA, RANDOM, "revenue won by rep")
    slack.wait_for(lambda: bool(said(slack, RANDOM)))
    assert "Traceback" not in said(slack, RANDOM) and not answers(slack, RANDOM)


def test_buttons_recompute_for_whoever_clicks_them(slack: SlackEmulator, drv: SlackDriver) -> None:
    vera = ask(slack, drv, VERA, LEADERSHIP, "calls this quarter by rep")
    # Calls this quarter: Alice T00 T01 T03, Bob T04 T06 T07, 张伟 T08 (T09 deleted).
    assert table(vera) == [["Alice Wang", "3"], ["Bob Smith", "3"], ["张伟", "1"]]
    # Olga clicks Download CSV on Vera's answer: computed again with her scope there.
    drv.click(vera, "Download CSV", user=OLGA)
    slack.wait_for(lambda: len(slack.calls_to("upload")) >= 2, timeout=20)  # chart, then CSV
    slack.settle()
    data = slack.calls_to("upload")[-1].data.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(data))) == [
        ["rep", "calls"],
        ["Bob Smith", "3"],
        ["张伟", "1"],
    ]
    # Show SQL, clicked by Olga: the SQL that ran for her, with the owner filter.
    drv.click(vera, "Show SQL", user=OLGA)

    def shown_sql() -> str:
        return json.dumps([m.blocks for m in slack.messages(LEADERSHIP)])

    slack.wait_for(lambda: "scope_from" in shown_sql())
    # Olga's team is one run of owner keys: Olga 5, Bob 6, 张伟 7 (tests/test_rows.py)
    assert "r._kpibot_owner_key BETWEEN $scope_from AND $scope_to" in shown_sql()
    # Previous period, clicked by Olga: 1 Jan – 28 Mar has only Alice's T11, T12: none of hers.
    before = len(answers(slack, LEADERSHIP))
    drv.click(vera, "Previous period", user=OLGA)
    slack.wait_for(lambda: len(answers(slack, LEADERSHIP)) > before, timeout=20)
    slack.settle()
    prev = all_text(answers(slack, LEADERSHIP)[-1])
    assert "Alice Wang" not in prev
    # The same button clicked by Vera: Alice's two calls.
    before = len(answers(slack, LEADERSHIP))
    drv.click(vera, "Previous period", user=VERA)
    slack.wait_for(lambda: len(answers(slack, LEADERSHIP)) > before, timeout=20)
    slack.settle()
    assert table(answers(slack, LEADERSHIP)[-1]) == [["Alice Wang", "2"]]


def test_follow_ups_and_did_you_mean_name_nobody_out_of_scope(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    ask(slack, drv, ALICE, "dm", "revenue won")
    follow = ask(slack, drv, ALICE, "dm", "by rep")
    assert table(follow) == [["Alice Wang", "$50,000"]]
    miss = all_text(ask(slack, drv, ALICE, "dm", "calls for bob smith"))
    assert "bob smith" in miss.lower() and "Bob Smith" not in miss
    assert "张伟" not in miss


def test_typeahead_offers_only_visible_names(
    slack: SlackEmulator, drv: SlackDriver, bot: H.Bot
) -> None:
    def options(user: str) -> list[str]:
        drv.command("", user=user, channel=DM[user], response_url=slack.response_url())
        slack.wait_for("views.open")
        view_id, view = next(iter(slack.modals.items()))
        got = drv.suggest(view_id, view, "calls for b", user=user)
        slack.reset()
        return [o["value"] for o in json.loads(got.body)["options"]]

    assert any("Bob Smith" in o for o in options(VERA))
    assert not any("Bob Smith" in o for o in options(ALICE))


def test_dashboards_and_user_boards_are_drawn_with_the_scope_of_where_they_are_seen(
    slack: SlackEmulator, drv: SlackDriver
) -> None:
    # Vera (all) in #inbound: the built-in board and a board of this channel's, both drawn from
    # the Inbound Manager team's records (the image has no note; the message says it).
    drv.mention(VERA, INBOUND, "kpi dashboard")
    slack.wait_for("files.completeUploadExternal", timeout=60)
    [built_in] = answers(slack, INBOUND)
    assert "Shown for the Inbound Manager team: 3 people." in all_text(built_in)
    slack.reset()
    for command in ('dashboard new "Inbound"', 'pin revenue won by rep to "Inbound"'):
        drv.command(command, user=VERA, channel=INBOUND, response_url=slack.response_url())
        slack.wait_for(lambda: bool(said(slack, INBOUND)) or bool(slack.responses))
        slack.settle()
        slack.reset()
    drv.mention(VERA, INBOUND, "Inbound dashboard")
    slack.wait_for("files.completeUploadExternal", timeout=60)
    [board] = answers(slack, INBOUND)
    assert "Inbound" in board.text
    assert "Shown for the Inbound Manager team: 3 people." in all_text(board)
    slack.reset()
    drv.mention(VERA, INBOUND, "KPI大屏")  # in Chinese: whose numbers, in Chinese
    slack.wait_for("files.completeUploadExternal", timeout=60)
    [built_in_zh] = answers(slack, INBOUND)
    assert "显示范围：Inbound Manager 团队（3 人）。" in all_text(built_in_zh)


# -- digests, alerts and subscriptions: the scope of where they are posted, at send time -----


def digest_run(bot: H.Bot, slack: SlackEmulator, org_dir: Path, name: str) -> str:
    kpibot = Path(sys.executable).parent / "kpibot"
    out = subprocess.run(
        [str(kpibot), "digest", "run", name, "--today", "2024-06-27"],
        env=H.clean_env(
            {
                "KPIBOT_CONFIG": str(org_dir / "app.yaml"),
                "SLACK_BOT_TOKEN": slack.bot_token,
                "SLACK_API_URL": slack.base_url,
            }
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def sent(slack: SlackEmulator) -> str:
    """Everything the bot posted or uploaded with a comment since the last reset."""
    return json.dumps([c.args for c in slack.calls], ensure_ascii=False, default=str)


def posted_tables(slack: SlackEmulator) -> list[str]:
    """The rows of the tables posted with uploaded charts, spaces squeezed."""
    rows = []
    for c in slack.calls_to("files.completeUploadExternal"):
        comment = str(c.args.get("initial_comment", ""))
        if "```" in comment:
            rows += [" ".join(r.split()) for r in comment.split("```")[1].strip().splitlines()[1:]]
    return rows


def test_digests_alerts_and_subscriptions_use_the_scope_of_where_they_post(
    slack: SlackEmulator, drv: SlackDriver, bot: H.Bot, org_dir: Path
) -> None:
    digest_run(bot, slack, org_dir, "inbound")
    # #inbound's scope (Inbound Manager: Ian, Alice, Dana): Alice's O1 only.
    assert posted_tables(slack) == ["Alice Wang $50,000"]
    assert "Bob Smith" not in sent(slack) and "张伟" not in sent(slack)
    assert "Shown for the Inbound Manager team: 3 people." in sent(slack)
    slack.reset()
    digest_run(bot, slack, org_dir, "inbound-revenue")
    alert = sent(slack)
    assert "$50,000" in alert and "180,000" not in alert  # O1, not O1 + O5 + O11
    # Olga subscribes in her DM; the send has her scope: O5 and O11.
    drv.command(
        "subscribe thursdays 09:00 revenue won by rep in Q2 2024",
        user=OLGA,
        channel=DM[OLGA],
        response_url=slack.response_url("sub"),
    )
    slack.wait_for("respond")
    assert slack.responses[-1]["text"].startswith("Subscribed (#1)")
    slack.reset()
    digest_run(bot, slack, org_dir, "sub:1")
    sub = json.dumps([m.blocks for m in slack.messages(DM[OLGA])], ensure_ascii=False)
    assert "*[revenue won] by [rep] · 1 Apr – 30 Jun 2024 (Q2 2024)*: 2 rows" in sub
    assert posted_tables(slack) == ["张伟 $80,000", "Bob Smith $50,000"]
    assert "Shown for your team: 3 people." in sent(slack)
    # A digest to a channel without a scope is not sent; the admin channel is told why.
    slack.reset()
    assert "skipped" in digest_run(bot, slack, org_dir, "random")
    assert slack.messages(RANDOM) == []
    assert said(slack, ADMIN) == (
        ":warning: kpibot digest *random* was not sent to CRANDOM: Everyone in this channel would "
        "see my answers, and it has no row-level scope yet; ask me in a DM, or ask your kpibot "
        "admin to give this channel one (access.channels in app.yaml)."
    )


# -- last: it changes the org ---------------------------------------------------------------------


def test_a_user_moved_to_another_role_sees_the_new_scope_after_the_next_sync(
    slack: SlackEmulator, drv: SlackDriver, org_dir: Path, tmp_path: Path
) -> None:
    assert table(ask(slack, drv, ALICE, "dm", "revenue won by rep")) == [["Alice Wang", "$50,000"]]
    # Alice becomes Outbound Manager (R3): the next snapshot puts Bob and 张伟 below her.
    org = tmp_path / "org"
    shutil.copytree(ORG, org)
    users = (org / "User.csv").read_text(encoding="utf-8")
    (org / "User.csv").write_text(
        users.replace("alice@example.com,Inbound,true,R4", "alice@example.com,Inbound,true,R3"),
        encoding="utf-8",
    )
    load_fixture_org(org_dir / "org.duckdb", org)
    # Her O1 50,000, 张伟's O5 80,000, Bob's O11 50,000.
    assert table(ask(slack, drv, ALICE, "dm", "revenue won by rep")) == REVENUE_ALL
