"""Hostile bodies at /slack/events, over real sockets to `kpibot serve` (gunicorn + bolt):
oversized (declared or chunked), unsigned, malformed, forged log lines. Each refusal is a 401 /
413 / 400, one log line without the body, and the worker's memory stays flat."""

from __future__ import annotations

import json
import select
import socket
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from tests import slack_harness as H
from tests.slack_driver import SlackDriver, sign
from tests.slack_emulator import SlackEmulator

MB = 1024 * 1024
REFUSED = "refused POST /slack/events"


def worker_rss_kb(bot: H.Bot) -> int:
    """Resident memory of the gunicorn worker (the serve process's child)."""
    children = Path(f"/proc/{bot.proc.pid}/task/{bot.proc.pid}/children").read_text().split()
    assert len(children) == 1, children
    for line in Path(f"/proc/{children[0]}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def new_log_lines(bot: H.Bot, since: int) -> list[str]:
    return bot.log_path.read_bytes()[since:].decode(errors="replace").splitlines()


def stream(bot: H.Bot, headers: dict[str, str], total: int, *, chunked: bool) -> tuple[str, int]:
    """POST ``total`` bytes in 1 MB pieces, stopping as soon as the bot answers.
    Returns the status line and how many bytes went out."""
    host, port = bot.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock.sendall(f"POST /slack/events HTTP/1.1\r\nHost: x\r\n{head}\r\n".encode())
    piece, sent = b"A" * MB, 0
    try:
        while sent < total:
            if select.select([sock], [], [], 0)[0]:
                break  # the answer is in: stop sending
            data = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
            try:
                sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                break  # the bot answered and closed without reading the rest: read the answer
            sent += len(piece)
        sock.settimeout(30)
        answer = sock.recv(4096).decode(errors="replace")
    finally:
        sock.close()
    return answer.split("\r\n", 1)[0], sent


@pytest.mark.parametrize("chunked", [False, True], ids=["declared length", "chunked"])
def test_a_100_mb_body_is_refused_unread_with_one_log_line(bot: H.Bot, chunked: bool) -> None:
    rss_before = worker_rss_kb(bot)
    log_before = bot.log_path.stat().st_size
    headers = {"Content-Type": "application/json"}
    headers.update(
        {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(100 * MB)}
    )
    t0 = time.monotonic()
    status, sent = stream(bot, headers, 100 * MB, chunked=chunked)
    took = time.monotonic() - t0
    assert status == "HTTP/1.1 413 Content Too Large"
    assert sent < 20 * MB and took < 20  # answered long before the body ended
    time.sleep(0.5)  # the worker discards what is left of the connection
    assert _healthz(bot)  # the bot still answers afterwards
    growth_mb = (worker_rss_kb(bot) - rss_before) / 1024
    assert growth_mb < 20, f"worker grew {growth_mb:.0f} MB"
    lines = new_log_lines(bot, log_before)
    assert [line for line in lines if REFUSED in line] == lines, lines
    assert len(lines) == 1
    assert (
        "413" in lines[0] and ("104857600 bytes declared" if not chunked else "bytes") in lines[0]
    )
    assert "sha256 of" in lines[0]


def _healthz(bot: H.Bot) -> bool:
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(bot.url + "/healthz", timeout=5) as r:
        return bool(r.status == 200)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"a":', "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b"payload=%7Bnot-json", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00 not utf-8", "application/json"),
        (b"x\n2026-01-01 00:00:00 [ERROR] kpibot: FORGED admin logged in", "text/plain"),
    ],
    ids=["truncated json", "json array", "bad form payload", "not utf-8", "newline forgery"],
)
def test_unsigned_malformed_bodies_get_401_and_one_clean_line(
    bot: H.Bot, body: bytes, content_type: str
) -> None:
    log_before = bot.log_path.stat().st_size
    drv = SlackDriver(bot.url, H.SECRET)
    status, _, _ = drv.post(body, content_type, signature="v0=" + "0" * 64)
    assert status == 401
    time.sleep(0.2)
    lines = new_log_lines(bot, log_before)
    assert len(lines) == 1 and REFUSED in lines[0] and "401" in lines[0], lines
    assert f"{len(body)} bytes" in lines[0]
    assert "FORGED" not in bot.log() and "Traceback" not in bot.log()


def test_missing_or_garbled_signature_headers_get_401(bot: H.Bot) -> None:
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for headers in ({}, {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=x"}):
        req = urllib.request.Request(bot.url + "/slack/events", data=b"{}", headers=headers)
        with pytest.raises(urllib.error.HTTPError) as e:
            opener.open(req, timeout=5)
        assert e.value.code == 401


def test_signed_but_unreadable_is_400_not_500(bot: H.Bot) -> None:
    drv = SlackDriver(bot.url, H.SECRET)
    status, _, _ = drv.post(b'{"a":', "application/json")  # signed with the real secret
    assert status == 400
    assert "Traceback" not in bot.log()


def test_the_limit_is_configurable_and_applies_to_signed_bodies_too(
    slack: SlackEmulator, tmp_path: Path
) -> None:
    with H.running_bot(slack, tmp_path, settings={"max_request_bytes": 65536}) as small:
        drv = SlackDriver(small.url, H.SECRET)
        ok = drv.mention(H.ALICE, H.SALES, "connect rate by weekday last 31 days " + "x" * 50_000)
        assert ok.status == 200
        big = drv.mention(H.ALICE, H.SALES, "x" * 70_000)  # properly signed, still too large
        assert big.status == 413
        # A signed click just over the limit, as a form: same answer.
        payload = json.dumps({"type": "block_actions", "pad": "y" * 70_000})
        body = ("payload=" + quote(payload)).encode()
        ts = str(int(time.time()))
        status, _, _ = drv.post(
            body,
            "application/x-www-form-urlencoded",
            timestamp=int(ts),
            signature=sign(H.SECRET, body, ts),
        )
        assert status == 413
