"""The Slack bot's parts on their own: Block Kit limits, access rules (against the emulator with
the real slack_sdk), the manifest, event de-duplication across connections, the audit log."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.access import Access
from bot.audit import AuditLog
from bot.backend import Reply, answer_csv
from bot.config import AccessSettings
from bot.slack import blocks as B
from bot.slack.app import SlackEnv, web_client
from bot.slack.dedupe import SeenEvents
from bot.slack.manifest import build_manifest, manifest_yaml
from bot.slack.router import question_text
from i18n import Language
from metrics.answer import Column
from metrics.errors import ConfigError, UnknownWord
from tests import slack_backend as SB
from tests.slack_emulator import SlackEmulator, check_blocks
from tests.state_connections import Opener


def test_huge_answers_stay_within_block_kit_limits() -> None:
    base = SB.win_rate_by_rep("q")
    long_rows = tuple((f"{'Very long rep name ' * 5}{i}", i / 1000) for i in range(2000))
    answer = replace(
        base,
        rows=long_rows,
        sql="SELECT 1 -- x\n" * 2000,
        notes=tuple(f"note {i}" for i in range(30)),
    )
    text, blocks = B.answer_message(
        Reply("q", answer=answer), B.ButtonState("q" * 5000, None, 7), subscribe=True
    )
    assert check_blocks(blocks) == []
    assert "… 1975 more rows, see CSV" in blocks[1]["text"]["text"]
    _, sql = B.sql_blocks(answer)
    assert check_blocks(sql) == [] and len(sql) > 2
    # the button value falls back to the answer's reference when the question is absurdly long
    assert B.ButtonState.decode(blocks[-1]["elements"][0]["value"]).answer_id == 7


@pytest.mark.parametrize(
    ("lang", "hidden", "said"),
    [
        ("en", 1, "… 1 more row, see CSV"),  # 26 rows, 25 shown: one left out, singular
        ("en", 2, "… 2 more rows, see CSV"),  # 27 rows − 25 shown
        ("zh", 1, "… 另有 1 行，见 CSV"),
    ],
)
def test_rows_left_out_are_counted_in_words(lang: str, hidden: int, said: str) -> None:
    base = SB.win_rate_by_rep("q")
    rows = tuple((f"Rep {i}", i / 100) for i in range(B.MAX_TABLE_ROWS + hidden))
    answer = replace(base, rows=rows, language=Language(lang))
    section = B.table_section(answer, B.Style())
    assert section["text"]["text"].endswith("```\n" + said)


def test_subscribe_button_only_with_a_handler() -> None:
    reply = Reply("q", answer=SB.calls_this_week("q"))
    labels = lambda subscribe: [  # noqa: E731
        e["text"]["text"]
        for e in B.answer_message(reply, B.ButtonState("q", None), subscribe=subscribe)[1][-1][
            "elements"
        ]
    ]
    assert labels(False) == ["Show SQL", "Previous period", "Download CSV"]
    assert labels(True)[-1] == "Subscribe"


def test_user_text_cannot_mention_or_link() -> None:
    err = UnknownWord('I don\'t know "<!channel>".', ())
    _, blocks = B.error_message("<!channel> & <@U1>", err, None)
    text = blocks[0]["text"]["text"]
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text


def test_suggestion_replaces_the_unknown_word() -> None:
    err = UnknownWord("x", ("connect rate",), word="conect rate")
    assert B.suggested_question("Conect rate by rep", err, "connect rate") == "connect rate by rep"
    assert B.suggested_question("q", err, "calls this week") == "calls this week"


def test_question_text_strips_mentions_links_and_entities() -> None:
    raw = "<@U0BOT>  win rate for <mailto:a@b.com|a@b.com> &amp; amount &gt; 5000 <https://x.y>"
    assert question_text(raw, "U0BOT") == "win rate for a@b.com & amount > 5000 https://x.y"


def test_csv_follows_the_output_conventions() -> None:
    a = SB.revenue_vs_previous("q")
    data = answer_csv(a).decode("utf-8-sig").splitlines()
    assert data == [
        "revenue won,revenue won (previous),revenue won growth",
        "48250.0,40000.0,0.20625",
    ]
    dated = replace(
        a,
        columns=(Column("month", "dimension", "date"), Column("leads", "metric", "count")),
        rows=((date(2024, 4, 1), 3), (None, 1)),
    )
    assert answer_csv(dated).decode("utf-8-sig").splitlines()[1:] == ["2024-04-01,3", ",1"]


@pytest.fixture
def emulator() -> SlackEmulator:
    with SlackEmulator() as slack:
        slack.add_user("U1", "ann", email="Ann@Example.com")
        slack.add_user("U2", "ben", email="ben@example.com")
        slack.add_user("U3", "cid")
        slack.add_usergroup("S9", "managers", ["U3"])
        slack.add_channel("C1", "sales")
        slack.add_channel("C2", "random")
        yield slack


def _access(slack: SlackEmulator, **rules: list[str]) -> Access:
    env = SlackEnv(slack.bot_token, "s", None, slack.base_url)
    return Access(AccessSettings(**rules), web_client(env))


def test_access_by_id_email_group_and_channel_name(emulator: SlackEmulator) -> None:
    acc = _access(emulator, users=["ann@example.com", "@managers"], channels=["#Sales"])
    assert acc.check("U1", "C1") == "ok"  # email, any case
    assert acc.check("U3", "C1") == "ok"  # via the user group's handle
    assert acc.check("U2", "C1") == "user"
    assert acc.check("U1", "C2") == "channel"
    assert acc.check("U1", "D123") == "ok"  # DMs for allowed users
    calls = len(emulator.calls)
    acc.check("U1", "C1")
    assert len(emulator.calls) == calls  # cached


def test_access_defaults_to_everyone_everywhere(emulator: SlackEmulator) -> None:
    assert _access(emulator).check("U2", "C2") == "ok"
    assert emulator.calls == []


def test_access_fails_closed_when_slack_cannot_tell(emulator: SlackEmulator) -> None:
    emulator.fail("users.info", error="user_not_visible")
    assert _access(emulator, users=["ann@example.com"]).check("U1", "C1") == "user"


def test_seen_events_dedupe_across_connections(tmp_path: Path, open_state: Opener) -> None:
    a = SeenEvents(open_state(tmp_path / "s.sqlite"))
    b = SeenEvents(open_state(tmp_path / "s.sqlite"))  # a second process's connection
    assert a.first_time("Ev1") is True
    assert b.first_time("Ev1") is False and a.first_time("Ev1") is False
    assert b.first_time("Ev2") is True


def test_audit_log_is_wal_and_records_outcomes(tmp_path: Path, open_state: Opener) -> None:
    path = tmp_path / "s.sqlite"
    log = AuditLog(open_state(path))
    e = log.start(user="U1", channel="C1", source="dm", question="calls")
    log.finish(e, outcome="answered", sql="SELECT 1", rows=3)
    with closing(sqlite3.connect(path)) as con:  # another connection sees the file's mode
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    row = log.rows()[0]
    assert (row["outcome"], row["row_count"], row["sql"]) == ("answered", 3, "SELECT 1")
    assert row["asked_at"].endswith("+00:00") and row["duration_ms"] >= 0


def test_manifest_has_exactly_what_the_bot_uses() -> None:
    m = build_manifest(AccessSettings(), url="https://kpi.example.com/")
    assert m["oauth_config"]["scopes"]["bot"] == [
        "app_mentions:read",
        "chat:write",
        "commands",
        "files:write",
        "im:history",
        "im:write",
        "channels:read",
        "channels:join",
        "users:read",
    ]
    assert m["settings"]["event_subscriptions"] == {
        "request_url": "https://kpi.example.com/slack/events",
        "bot_events": ["app_mention", "message.im", "app_home_opened"],
    }
    assert m["settings"]["interactivity"]["request_url"] == "https://kpi.example.com/slack/events"
    assert m["features"]["slash_commands"][0]["command"] == "/kpi"
    assert yaml.safe_load(manifest_yaml(m)) == m  # the comments do not change the YAML


def test_manifest_for_socket_mode_and_access_lookups() -> None:
    m = build_manifest(
        AccessSettings(users=["a@b.com", "@leads"], channels=["#sales"]), socket_mode=True
    )
    scopes = m["oauth_config"]["scopes"]["bot"]
    assert {"users:read", "users:read.email", "usergroups:read", "groups:read"} <= set(scopes)
    assert "url" not in m["features"]["slash_commands"][0]
    assert "request_url" not in m["settings"]["event_subscriptions"]
    assert m["settings"]["socket_mode_enabled"] is True


def test_env_names_every_missing_variable() -> None:
    with pytest.raises(ConfigError) as e:
        SlackEnv.from_environ({"SLACK_APP_TOKEN": "xapp-1"})
    assert e.value.problems == [
        "SLACK_BOT_TOKEN is not set"
        " (OAuth & Permissions → Bot User OAuth Token (xoxb-…); see docs/slack.md)"
    ]
    env = SlackEnv.from_environ(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": "http://127.0.0.1:9/api",
        }
    )
    assert env.api_url == "http://127.0.0.1:9/api/" and not env.socket_mode


def test_row_level_access_puts_users_read_email_in_the_manifest() -> None:
    from bot.config import AccessSettings
    from bot.slack.manifest import build_manifest, manifest_yaml

    plain = build_manifest(AccessSettings())["oauth_config"]["scopes"]["bot"]
    assert "users:read.email" not in plain
    rows = build_manifest(AccessSettings(rows="hierarchy", channels={"#inbound": "all"}))
    assert "users:read.email" in rows["oauth_config"]["scopes"]["bot"]
    assert "- users:read.email  # match each asker to their Salesforce user" in manifest_yaml(rows)
