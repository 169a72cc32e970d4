"""A Slack user's Salesforce e-mail (bot/identity.py): app.yaml's hand-made map first, else
Slack's users.info — asked of the loopback Slack emulator with the real slack_sdk — kept in the
state database (SQLite and PostgreSQL) for the TTL, shared by every replica."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.identity import SlackIdentities
from tests.slack_emulator import SlackEmulator
from tests.state_connections import Opener


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        emulator.add_user("UALICE", "alice", email="Alice@Example.com")
        emulator.add_user("UBOT", "bot")  # no e-mail on the profile
        yield emulator


def test_an_e_mail_is_asked_once_per_ttl_and_shared_through_the_state_db(
    slack: SlackEmulator, state_database: str, open_state: Opener
) -> None:
    now = [1000.0]
    client = WebClient(token=slack.bot_token, base_url=slack.base_url)
    one = open_state(state_database)
    two = open_state(state_database)  # another replica on the same state database
    first = SlackIdentities(one, client, ttl=60, clock=lambda: now[0])
    second = SlackIdentities(two, client, ttl=60, clock=lambda: now[0])
    assert first.email("UALICE") == "alice@example.com"  # lower-cased
    assert second.email("UALICE") == "alice@example.com"
    assert len(slack.calls_to("users.info")) == 1  # the second replica read the db
    # Alice's Slack e-mail changes; within the TTL the kept one is used, after it the new.
    slack.users["UALICE"]["profile"]["email"] = "alice.wang@example.com"
    now[0] += 59
    assert second.email("UALICE") == "alice@example.com"
    now[0] += 2
    assert second.email("UALICE") == "alice.wang@example.com"
    assert len(slack.calls_to("users.info")) == 2
    # Slack down after the TTL: the kept e-mail rather than nobody.
    now[0] += 120
    slack.fail("users.info", status=500)
    assert first.email("UALICE") == "alice.wang@example.com"
    # No e-mail on the profile, an unknown user: nobody (fails closed).
    assert first.email("UBOT") is None
    assert first.email("UNOBODY") is None


def test_app_yaml_maps_exceptions_by_hand_without_asking_slack(
    slack: SlackEmulator, tmp_path: object, open_state: Opener
) -> None:
    db = open_state(f"{tmp_path}/state.sqlite")
    client = WebClient(token=slack.bot_token, base_url=slack.base_url)
    ids = SlackIdentities(db, client, overrides={"UBOT": "zhangwei@example.com"})
    assert ids.email("UBOT") == "zhangwei@example.com"
    assert slack.calls_to("users.info") == []
