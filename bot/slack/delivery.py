"""Putting messages and files in front of the user, whatever Slack says back.

Every Web API failure ends in words for the user (or, when even that is impossible, a log
line), never a traceback. ``not_in_channel`` is handled the way Slack intends: join a public
channel and try once more; otherwise ask the user to ``/invite`` the bot, through the slash
command's ``response_url`` when there is one, else by DM.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from bot.slack.blocks import Block
from bot.slack.messages import words_in
from i18n import Language

log = logging.getLogger(__name__)

# The bot is not in the conversation: Slack says not_in_channel for public channels and
# channel_not_found for private ones it cannot see. Either way the user must invite it.
CANNOT_SEE = ("not_in_channel", "channel_not_found")


@dataclass(frozen=True)
class Place:
    """Where an answer goes: a channel, maybe a thread, for a user (who may get private notes)."""

    channel: str
    user: str
    thread_ts: str | None = None
    response_url: str | None = None
    # What the user reads here is said in (bot/slack/locale.py chooses it per question).
    language: Language = Language.EN

    def in_thread(self, ts: str | None) -> Place:
        return replace(self, thread_ts=ts)


def slack_error(e: Exception) -> str:
    if isinstance(e, SlackApiError):
        return str(e.response.get("error") or f"HTTP {e.response.status_code}")
    return type(e).__name__


class Delivery:
    def __init__(self, client: WebClient):
        self.client = client

    # ---- telling the user something privately ----

    def tell(self, place: Place, text: str, blocks: list[Block] | None = None) -> None:
        """A private note: via response_url, in the DM, as an ephemeral, or by DM, in that order."""
        if place.response_url:
            try:
                WebhookClient(place.response_url).send(
                    text=text, blocks=blocks, response_type="ephemeral"
                )
                return
            except (SlackClientError, OSError) as e:
                log.warning("response_url failed (%s); trying a DM", e)
        try:
            if place.channel.startswith("D"):
                self.client.chat_postMessage(
                    channel=place.channel, thread_ts=place.thread_ts, text=text, blocks=blocks
                )
            else:
                self.client.chat_postEphemeral(
                    channel=place.channel,
                    user=place.user,
                    thread_ts=place.thread_ts,
                    text=text,
                    blocks=blocks,
                )
            return
        except SlackApiError as e:
            log.warning(
                "could not tell %s in %s (%s); trying a DM",
                place.user,
                place.channel,
                slack_error(e),
            )
        self.dm(place.user, text, blocks)

    def dm(self, user: str, text: str, blocks: list[Block] | None = None) -> str | None:
        """Post to the user's DM with the bot; the DM channel id, or None if that failed too."""
        try:
            channel = self.client.conversations_open(users=user)["channel"]["id"]
            self.client.chat_postMessage(channel=channel, text=text, blocks=blocks)
            return str(channel)
        except SlackApiError as e:
            log.error("could not DM %s: %s", user, slack_error(e))
            return None

    # ---- membership ----

    def _join(self, channel: str) -> bool:
        """Join a public channel. False for private channels and DMs, which bots cannot join."""
        if not channel.startswith("C"):
            return False
        try:
            info = self.client.conversations_info(channel=channel)["channel"]
            if info.get("is_private") or info.get("is_archived"):
                return False
            self.client.conversations_join(channel=channel)
            log.info("joined %s after not_in_channel", channel)
            return True
        except SlackApiError as e:
            log.warning("could not join %s: %s", channel, slack_error(e))
            return False

    def _not_in_channel(self, place: Place) -> None:
        text = words_in(place.language).NOT_IN_CHANNEL.format(channel=place.channel)
        if place.response_url:
            self.tell(place, text)
        else:
            self.dm(place.user, text)

    def _with_membership(self, place: Place, call: Any) -> Any:
        """Run ``call``; on not_in_channel join (public channels) and run it once more."""
        try:
            return call()
        except SlackApiError as e:
            if e.response.get("error") != "not_in_channel" or not self._join(place.channel):
                raise
        return call()

    # ---- posting ----

    def post(self, place: Place, text: str, blocks: list[Block], question: str = "") -> str | None:
        """Post a message; its ts, or None after telling the user why it could not be posted."""
        try:
            resp = self._with_membership(
                place,
                lambda: self.client.chat_postMessage(
                    channel=place.channel,
                    thread_ts=place.thread_ts,
                    text=text,
                    blocks=blocks,
                    unfurl_links=False,
                    unfurl_media=False,
                ),
            )
            return str(resp["ts"])
        except SlackApiError as e:
            self._failed(place, e, question or text)
            return None

    def upload(
        self,
        place: Place,
        data: bytes,
        *,
        filename: str,
        title: str,
        alt: str,
        comment: str | None = None,
    ) -> bool:
        """Upload a file into the place's thread with files_upload_v2 (getUploadURLExternal →
        upload → completeUploadExternal)."""
        try:
            self._with_membership(
                place,
                lambda: self.client.files_upload_v2(
                    channel=place.channel,
                    thread_ts=place.thread_ts,
                    content=data,
                    filename=filename,
                    title=title,
                    alt_txt=alt[:1000],
                    initial_comment=comment,
                ),
            )
            return True
        except (SlackApiError, SlackClientError) as e:
            if isinstance(e, SlackApiError) and e.response.get("error") in CANNOT_SEE:
                self._not_in_channel(place)
                return False
            log.error("upload of %s to %s failed: %s", filename, place.channel, slack_error(e))
            M = words_in(place.language)
            what = M.CHART_WORD if filename.endswith(".png") else M.FILE_WORD
            said = M.UPLOAD_FAILED.format(what=what, error=slack_error(e))
            self.tell(place, said)
            return False

    def _failed(self, place: Place, e: SlackApiError, question: str) -> None:
        error = slack_error(e)
        if error in CANNOT_SEE:
            self._not_in_channel(place)
            return
        log.error("posting to %s failed: %s (%s)", place.channel, error, question[:80])
        said = words_in(place.language).SLACK_ERROR
        self.tell(place, said.format(question=question[:200], error=error))
