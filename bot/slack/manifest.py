"""The Slack app manifest: exactly the scopes, events, command and settings the bot uses.

Each scope is listed with the reason it is needed; ``access`` rules that match emails, user
groups or channel names add the scopes their look-ups need.

>>> print(manifest_yaml(build_manifest(AccessSettings(), url="https://kpi.example.com")))
"""

from __future__ import annotations

from typing import Any

import yaml

from bot.access import Rules
from bot.config import AccessSettings
from bot.slack.app import EVENTS_PATH

# scope → why (the comment a workspace admin reads when approving the install)
BOT_SCOPES = {
    "app_mentions:read": "hear @kpibot mentions in channels",
    "chat:write": "post answers, did-you-means and refusals",
    "commands": "the /kpi slash command",
    "files:write": "upload charts and CSV files into the answer's thread",
    "im:history": "read questions sent to the bot in a DM",
    "im:write": "open a DM to answer App Home clicks and private notes",
    "channels:read": "tell a public channel from a private one after not_in_channel",
    "channels:join": "join a public channel it was asked in, to post the answer there",
    "users:read": "read a subscriber's time zone: /kpi subscribe runs on their clock",
}
# Scopes added by app.yaml's access rules (bot/access.py, Rules.scopes), with their reasons.
ACCESS_SCOPES = {
    "users:read.email": "match each asker to their Salesforce user by e-mail (access.rows, "
    "docs/access.md) and to e-mails in access.users",
    "usergroups:read": "expand @user-groups named in access.users",
    "groups:read": "read private channel names named in access.channels",
}
BOT_EVENTS = ("app_mention", "message.im", "app_home_opened")


def build_manifest(
    access: AccessSettings,
    *,
    url: str | None = None,
    socket_mode: bool = False,
    name: str = "kpibot",
) -> dict[str, Any]:
    scopes = list(BOT_SCOPES)
    for s in Rules.of(access).scopes():
        if s not in scopes:
            scopes.append(s)
    endpoint = (
        None if socket_mode else (url or "https://kpibot.example.com").rstrip("/") + EVENTS_PATH
    )
    command: dict[str, Any] = {
        "command": "/kpi",
        "description": "Ask a sales KPI question, e.g. /kpi connect rate by weekday last 31 days",
        "usage_hint": "QUESTION | help",
        "should_escape": False,
    }
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if endpoint:
        command["url"] = endpoint
        events = {"request_url": endpoint, **events}
        interactivity["request_url"] = endpoint
        interactivity["message_menu_options_url"] = endpoint  # the /kpi search box
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": (
                "Sales KPIs from Salesforce: exact numbers and charts, in English or Chinese."
            ),
            "background_color": "#1f3b57",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [command],
        },
        "oauth_config": {"scopes": {"bot": scopes}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(manifest: dict[str, Any]) -> str:
    text = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100)
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        scope = stripped.removeprefix("- ")
        reason = BOT_SCOPES.get(scope) or ACCESS_SCOPES.get(scope)
        lines.append(f"{line}  # {reason}" if stripped.startswith("- ") and reason else line)
    return "# Slack app manifest for kpibot (see docs/slack.md)\n" + "\n".join(lines) + "\n"
