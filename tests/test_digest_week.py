"""A simulated week (6–13 Mar 2024, New York, across the spring DST change) with two `serve`
processes ticking side by side, crashes mid-send, a long outage and a missing channel: exactly
the expected messages arrive, at the expected local times, and nothing else.

The expected list below is written by hand from the schedules and the scripted KPI values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.config import AppConfig
from bot.digests.scheduler import Dispatcher, Scheduler
from bot.digests.sends import Part, SlackPoster
from bot.digests.state import StateStore, send_key
from tests.digest_backend import Crash, ScriptedBackend
from tests.slack_emulator import SlackEmulator
from tests.state_connections import Opener

NY = ZoneInfo("America/New_York")
START = datetime(2024, 3, 6, 0, 0, tzinfo=NY)  # Wednesday
END = datetime(2024, 3, 14, 0, 0, tzinfo=NY)
STEP = timedelta(minutes=5)

CONFIG = {
    "timezone": "America/New_York",
    "admin_channel": "C0ADMIN01",
    "digests": [
        {
            "name": "morning",
            "channel": "C0SALES01",
            "schedule": "weekdays 09:00",
            "questions": ["connect rate last 7 days"],
            "dashboards": ["outbound calls"],
        },
        {
            "name": "weekly",
            "channel": "C0GONE000",
            "schedule": "mondays 08:00",
            "questions": ["connect rate last 7 days"],
        },
    ],
    "alerts": [
        {
            "name": "low",
            "question": "connect rate last 7 days",
            "condition": "< 0.25",
            "min_volume": 50,
            "schedule": "daily 10:00",
            "channel": "C0MGRS001",
        },
    ],
    "digest_delivery": {"grace_minutes": 180, "lease_seconds": 600},
}
# The scheduled local day → connect rate and calls (volume).
RATE = {6: 0.30, 7: 0.20, 8: 0.22, 9: 0.20, 10: 0.30, 11: 0.21, 12: 0.19, 13: 0.30}
CALLS = {9: 10}


def rate(q: str, d: date) -> float:
    return RATE.get(d.day, 0.25) if d.month == 3 else 0.25


class CrashingPoster(SlackPoster):
    """The real poster; the process dies right after Slack accepted one of ``crash_after``."""

    def __init__(self, client: WebClient, crash_after: set[tuple[str, int]], sleeps: list[float]):
        super().__init__(client, retries=3, base_delay=1.0, sleep=sleeps.append)
        self.crash_after = crash_after

    def post(
        self, channel: str, key: str, index: int, part: Part, thread_ts: str | None = None
    ) -> tuple[str, str]:
        out = super().post(channel, key, index, part, thread_ts)
        if (key, index) in self.crash_after:
            self.crash_after.discard((key, index))
            raise Crash(key)
        return out


@dataclass
class Proc:
    name: str
    scheduler: Scheduler
    down_until: datetime | None = None


class Sim:
    def __init__(
        self,
        tmp_path: Path,
        slack: SlackEmulator,
        crash_after: set[tuple[str, int]],
        open_state: Opener,  # closes each process's connection when the test ends
    ):
        self.cfg = AppConfig.model_validate({**CONFIG, "base_dir": tmp_path})
        self.slack = slack
        self.open_state = open_state
        self.crash_after = crash_after
        self.sleeps: list[float] = []
        self.backend = ScriptedBackend(rate, count=lambda q, d: CALLS.get(d.day, 100))
        self.now = START
        self.generation = 0
        self.procs = [self.start("A"), self.start("B")]
        self.log: list[tuple[str, str, str]] = []

    def start(self, name: str) -> Proc:
        """A fresh process: its own SQLite connection and owner id (as after a restart)."""
        self.generation += 1
        store = StateStore(self.open_state(self.cfg.state_location))
        client = WebClient(token=self.slack.bot_token, base_url=self.slack.base_url)
        poster = CrashingPoster(client, self.crash_after, self.sleeps)
        d = Dispatcher(self.cfg, self.backend, store, poster, owner=f"{name}{self.generation}")
        return Proc(name, Scheduler(self.cfg, d, clock=lambda: self.now.astimezone(UTC)))

    def run(
        self,
        outages: dict[str, list[tuple[datetime, datetime]]],
        faults: dict[datetime, dict[str, Any]],
    ) -> None:
        seen = 0
        while self.now < END:
            if self.now in faults:
                self.slack.fail(**faults[self.now])
            for i, proc in enumerate(self.procs):
                if any(a <= self.now < b for a, b in outages.get(proc.name, [])):
                    continue
                if proc.down_until is not None:
                    if self.now < proc.down_until:
                        continue
                    proc = self.procs[i] = self.start(proc.name)  # restart
                try:
                    proc.scheduler.tick()
                except Crash:
                    proc.down_until = self.now + timedelta(minutes=30)
            posted = self.slack.messages()
            for m in posted[seen:]:  # stamp what Slack got with the simulated time
                where = m.channel + (" (thread)" if m.thread_ts else "")
                self.log.append((f"{self.now:%a %d %H:%M}", where, m.text.splitlines()[0]))
            seen = len(posted)
            self.now = (self.now.astimezone(UTC) + STEP).astimezone(NY)


def key(job: str, local: datetime) -> str:
    return send_key(job, local)


def test_a_week_of_digests_and_alerts(tmp_path: Path, open_state: Opener) -> None:
    # Thu: A dies right after the headline; Fri: right after the first chart of the thread.
    crashes = {
        (key("digest:morning", datetime(2024, 3, 7, 9, tzinfo=NY)), 0),
        (key("digest:morning", datetime(2024, 3, 8, 9, tzinfo=NY)), 1),
    }
    # Tue: Slack answers the headline with an HTTP 500 once; it is retried, posted once.
    slack_faults = {
        datetime(2024, 3, 12, 9, tzinfo=NY): {"method": "chat.postMessage", "status": 500}
    }
    monday_outage = (
        datetime(2024, 3, 11, 7, 50, tzinfo=NY),
        datetime(2024, 3, 11, 10, 30, tzinfo=NY),
    )
    with SlackEmulator() as slack:
        for cid, name in (
            ("C0SALES01", "sales"),
            ("C0MGRS001", "sales-managers"),
            ("C0ADMIN01", "kpibot-admin"),
        ):
            slack.add_channel(cid, name)
        sim = Sim(tmp_path, slack, crashes, open_state)
        sim.run({"A": [monday_outage], "B": [monday_outage]}, slack_faults)
        statuses = [c.status for c in slack.calls_to("chat.postMessage")]

    morning = "C0SALES01"
    thread = "C0SALES01 (thread)"
    chart = "*[connect rate] · last 7 days*"
    dash = "*Outbound calls dashboard*"
    alert_t = "C0MGRS001 (thread)"
    expected = [
        ("Wed 06 09:00", morning, "morning · 6 Mar 2024"),
        ("Wed 06 09:00", thread, chart),
        ("Wed 06 09:00", thread, dash),
        ("Thu 07 09:00", morning, "morning · 7 Mar 2024"),  # A crashes here…
        ("Thu 07 09:15", thread, chart),  # …B takes over when A's 10-minute lease has run out
        ("Thu 07 09:15", thread, dash),
        (
            "Thu 07 10:00",
            "C0MGRS001",
            ":rotating_light: *low*: connect rate is 20.0%, < 25.0% · 29 Feb – 6 Mar 2024"
            " (volume 100)",
        ),
        ("Thu 07 10:00", alert_t, chart),
        ("Fri 08 09:00", morning, "morning · 8 Mar 2024"),
        ("Fri 08 09:00", thread, chart),  # A crashes after this one; B does not repeat it
        ("Fri 08 09:15", thread, dash),
        # Fri 0.22: still below, already fired. Sat: 10 calls < min_volume. Sun (DST day): 0.30,
        # cleared, re-armed. No morning digest at the weekend.
        # Mon: both processes down 07:50–10:30; the catch-up sends each missed send once.
        ("Mon 11 10:30", morning, "morning · 11 Mar 2024"),
        ("Mon 11 10:30", thread, chart),
        ("Mon 11 10:30", thread, dash),
        (
            "Mon 11 10:30",
            "C0MGRS001",
            ":rotating_light: *low*: connect rate is 21.0%, < 25.0% · 4 – 10 Mar 2024 (volume 100)",
        ),
        ("Mon 11 10:30", alert_t, chart),
        # The weekly digest (08:00, grace 180 min: tries until 11:00) failed at 10:30 and is
        # tried again 1, 2, 5 and 10 minutes after each failure, at the first 5-minute tick:
        # 10:35, 10:40, 10:45, 10:55. The next wait, 20 minutes, would end past 11:00, so the
        # 10:55 failure is the last: reported then, once.
        (
            "Mon 11 10:55",
            "C0ADMIN01",
            ":warning: kpibot could not send digest *weekly* for 2024-03-11 08:00 EDT"
            " to C0GONE000: "
            "channel_not_found (5 attempts)",
        ),
        ("Tue 12 09:00", morning, "morning · 12 Mar 2024"),  # 09:00 EDT now; after one 500
        ("Tue 12 09:00", thread, chart),
        ("Tue 12 09:00", thread, dash),
        ("Wed 13 09:00", morning, "morning · 13 Mar 2024"),
        ("Wed 13 09:00", thread, chart),
        ("Wed 13 09:00", thread, dash),
    ]
    assert sim.log == expected
    assert statuses.count(500) == 1 and sim.sleeps == [1.0]

    store = StateStore(open_state(sim.cfg.state_location))
    rows = {r.key: r for r in store.history()}
    assert len(rows) == len(set(rows))
    failed = rows[key("digest:weekly", datetime(2024, 3, 11, 8, tzinfo=NY))]
    assert (failed.status, failed.error) == ("failed", "channel_not_found")
    assert (failed.attempts, failed.reported) == (5, 1)
    alerts = [(r.scheduled_utc[:10], r.outcome) for r in store.history("alert:low")]
    assert alerts == [
        ("2024-03-06", "clear"),
        ("2024-03-07", "fired"),
        ("2024-03-08", "still"),
        ("2024-03-09", "low_volume"),
        ("2024-03-10", "clear"),
        ("2024-03-11", "fired"),
        ("2024-03-12", "still"),
        ("2024-03-13", "clear"),
    ]
    assert all(r.status in ("sent", "skipped", "failed") for r in rows.values())
    # Questions were asked for the scheduled local day, even when sent late.
    assert ("connect rate last 7 days", date(2024, 3, 11)) in sim.backend.calls
