"""`kpibot serve` as a real subprocess (gunicorn, bolt) wired to the Slack emulator.

Shared by the Slack tests and bench/bench_slack.py. The backend is chosen by import path
(``KPIBOT_BACKEND``), so the same tests can run on the real engine over a fixture org.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.state_db import open_state_db
from tests.fixture_org import ORG, load_fixture_org
from tests.slack_driver import SlackDriver, SocketModeDriver
from tests.slack_emulator import Message, SlackEmulator

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-signing-secret"
BACKEND = os.environ.get("KPIBOT_TEST_BACKEND", "tests.slack_backend:FixedBackend")
TODAY = "2024-06-27"

# The test workspace.
ALICE, BOB, CAROL, DAVE, MALLORY = "UALICE", "UBOB", "UCAROL", "UDAVE", "UMALLORY"
SALES, PUBLIC, PRIVATE, ALICE_DM = "CSALES", "CPUBLIC", "GPRIVATE", "DALICE"
LEADS_GROUP = "SLEADS"

ACCESS = {"users": [ALICE, BOB, "carol@example.com", "@sales-leads"], "channels": []}


def seed(slack: SlackEmulator) -> None:
    slack.reset(workspace=True)
    slack.add_user(ALICE, "alice", email="alice@example.com")
    slack.add_user(BOB, "bob")
    slack.add_user(CAROL, "carol", email="Carol@Example.com")
    slack.add_user(DAVE, "dave", email="dave@example.com")
    slack.add_user(MALLORY, "mallory", email="mallory@example.com")
    slack.add_usergroup(LEADS_GROUP, "sales-leads", [DAVE])
    slack.add_channel(SALES, "sales")
    slack.add_channel(PUBLIC, "general", member=False)
    slack.add_channel(PRIVATE, "secret-deals", private=True, member=False)
    slack.add_dm(ALICE_DM, ALICE)


@contextmanager
def workspace() -> Iterator[SlackEmulator]:
    """A running Slack emulator holding the seeded test workspace."""
    with SlackEmulator() as emulator:
        seed(emulator)
        yield emulator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().endswith("_PROXY") and not k.startswith(("SLACK_", "KPIBOT_"))
    }
    env.update(PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1", **extra)
    return env


@dataclass
class Bot:
    url: str
    proc: subprocess.Popen[bytes]
    state_location: str  # the SQLite file or the PostgreSQL URL
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def state_rows(self, sql: str) -> list[dict[str, Any]]:
        db = open_state_db(self.state_location)
        try:
            return db.query(sql)
        finally:
            db.close()

    def audit(self) -> list[dict[str, Any]]:
        return self.state_rows("SELECT * FROM audit_log ORDER BY id")


def fixture_org_dir(workdir: Path) -> Path:
    """``workdir`` holding the fixture org's cache (org.duckdb), for a bot on the real engine."""
    load_fixture_org(workdir / "org.duckdb")
    return workdir


def fixture_org_settings(org_dir: Path) -> dict[str, Any]:
    """The fixture org's app.yaml with its cache in ``org_dir`` (``running_bot(settings=…)``)."""
    settings: dict[str, Any] = yaml.safe_load((ORG / "app.yaml").read_text(encoding="utf-8"))
    settings["database"] = str(org_dir / "org.duckdb")
    return settings


@contextmanager
def running_bot(
    slack: SlackEmulator,
    workdir: Path,
    *,
    backend: str | None = BACKEND,
    access: dict[str, Any] | None = None,
    workers: int = 1,
    question_threads: int = 8,
    settings: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    today: str | None = TODAY,
    socket_mode: bool = False,
    state_database: str | None = None,
) -> Iterator[Bot]:
    """``backend=None`` runs the real engine (no KPIBOT_BACKEND); ``settings`` are more app.yaml
    keys (database, org settings, salesforce…); ``env`` more environment (SF_* credentials);
    ``today=None`` leaves today unpinned; ``state_database`` a SQLite file or PostgreSQL URL
    (default: state.sqlite in ``workdir``). ``socket_mode``: the bot connects to the emulator's
    WebSocket server with the app-level token (and has no signing secret, as in production)."""
    cfg = {
        "timezone": "Asia/Shanghai",
        "currency": "USD",
        "state_database": state_database or str(workdir / "state.sqlite"),
        "access": ACCESS if access is None else access,
        **(settings or {}),
    }
    (workdir / "app.yaml").write_text(yaml.safe_dump(cfg))
    port = free_port()
    log_path = workdir / "bot.log"
    extra = {
        "SLACK_BOT_TOKEN": slack.bot_token,
        **(
            {"SLACK_APP_TOKEN": slack.app_token}
            if socket_mode
            else {"SLACK_SIGNING_SECRET": SECRET}
        ),
        "SLACK_API_URL": slack.base_url,
        "KPIBOT_CONFIG": str(workdir / "app.yaml"),
        **(env or {}),
    }
    if backend is not None:
        extra["KPIBOT_BACKEND"] = backend
    kpibot = Path(sys.executable).parent / "kpibot"
    cmd = [
        str(kpibot),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *(["--today", today] if today else []),
        "--workers",
        str(workers),
        "--question-threads",
        str(question_threads),
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, env=clean_env(extra), cwd=workdir, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    bot = Bot(url, proc, cfg["state_database"], log_path)
    links_before = len(slack.socket.links)
    try:
        if socket_mode:
            _wait_connected(bot, slack, links_before + 1)
        else:
            _wait_ready(bot)
        yield bot
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def fixture_org_bot(slack: SlackEmulator, org_dir: Path, **options: Any) -> Iterator[Bot]:
    """``running_bot`` on the REAL engine over the fixture org cached in ``org_dir``
    (``fixture_org_dir``); ``options`` go to ``running_bot``."""
    with running_bot(
        slack, org_dir, backend=None, settings=fixture_org_settings(org_dir), **options
    ) as bot:
        yield bot


@contextmanager
def replicas(
    slack: SlackEmulator,
    tmp_path: Path,
    state_database: str,
    n: int = 2,
    settings: dict[str, Any] | None = None,
    **options: Any,
) -> Iterator[list[Bot]]:
    """``n`` `kpibot serve` replicas, each in its own folder (as on its own machine), sharing
    one state database; ``options`` go to each ``running_bot``."""
    with ExitStack() as stack:
        bots = []
        for i in range(n):
            workdir = tmp_path / f"replica{i}"
            workdir.mkdir()
            bots.append(
                stack.enter_context(
                    running_bot(
                        slack,
                        workdir,
                        state_database=state_database,
                        settings=settings,
                        **options,
                    )
                )
            )
        yield bots


def _descendants(pid: int) -> list[int]:
    """Every process under ``pid`` (Linux /proc): gunicorn workers, `kpibot sync` children."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def kill(bot: Bot) -> None:
    """SIGKILL the replica and everything it started, as when its machine dies."""
    for pid in [bot.proc.pid, *_descendants(bot.proc.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    bot.proc.wait(timeout=20)


def _wait_ready(bot: Bot, timeout: float = 40.0) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if bot.proc.poll() is not None:
            raise RuntimeError(f"kpibot serve exited with {bot.proc.returncode}:\n{bot.log()}")
        try:
            with opener.open(bot.url + "/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"kpibot serve did not come up in {timeout}s:\n{bot.log()}")


def _wait_connected(bot: Bot, slack: SlackEmulator, links: int, timeout: float = 40.0) -> None:
    """Socket Mode is up when the bot has opened its WebSocket to the emulator."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if bot.proc.poll() is not None:
            raise RuntimeError(f"kpibot serve exited with {bot.proc.returncode}:\n{bot.log()}")
        try:
            slack.socket.wait_connections(links, timeout=0.2)
            return
        except TimeoutError:
            continue
    raise RuntimeError(f"kpibot serve did not connect in {timeout}s:\n{bot.log()}")


def driver(bot: Bot) -> SlackDriver:
    return SlackDriver(bot.url, SECRET)


def socket_driver(slack: SlackEmulator) -> SocketModeDriver:
    return SocketModeDriver(slack.socket)


def answers(slack: SlackEmulator, channel: str, thread_ts: str | None = None) -> list[Message]:
    """The bot's messages with blocks (file shares and ephemerals excluded), in order."""
    return [m for m in slack.messages(channel, thread_ts) if m.blocks and not m.ephemeral_for]


def table(m: Message) -> list[list[str]]:
    """The monospace table of an answer, header first, cells split on runs of spaces."""
    code = next(
        b["text"]["text"] for b in m.blocks if b.get("text", {}).get("text", "").startswith("```")
    )
    lines = code.split("```")[1].strip("\n").splitlines()
    return [re.split(r"\s{2,}", line.strip()) for line in lines]


def buttons(m: Message) -> list[str]:
    """The labels of every button of a message, in order."""
    return [e["text"]["text"] for b in m.blocks if b["type"] == "actions" for e in b["elements"]]


def all_text(m: Message) -> str:
    """Everything a reader sees in a message, as one string to search."""
    return m.text + "\n" + json.dumps(m.blocks, ensure_ascii=False)


# ---- snapshots of what users read ----

SNAPSHOTS = ROOT / "tests" / "snapshots" / "slack"
UPDATE_ENV = "KPIBOT_UPDATE_SNAPSHOTS"


def normalise(payload: Any) -> Any:
    """Volatile parts (message ts, audit ids inside button values) replaced by placeholders."""
    text = json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True)
    text = re.sub(r'\\"id\\": \d+', r'\\"id\\": \\"<id>\\"', text)
    text = re.sub(r"\b\d{10}\.\d{6}\b", "<ts>", text)
    text = re.sub(r"reference #\d+", "reference #<id>", text)
    return json.loads(text)


def check_snapshot(name: str, payload: Any) -> None:
    path = SNAPSHOTS / f"{name}.json"
    got = normalise(payload)
    if os.environ.get(UPDATE_ENV):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(got, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
        return
    if not path.exists():
        raise AssertionError(f"no snapshot {path}; run with {UPDATE_ENV}=1 and review it")
    want = json.loads(path.read_text())
    assert got == want, f"Slack payload differs from {path} (rerun with {UPDATE_ENV}=1 if intended)"
