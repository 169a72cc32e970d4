"""A throwaway PostgreSQL 15 server for the tests: initdb into a temp dir, a free port on
127.0.0.1, its unix socket in the temp dir, fsync off (unless ``durable``), stopped (and
deleted) at the end.

The binaries are found on PATH (``initdb``), else under ``pg_config --bindir``, else in the
usual Debian/RedHat/Homebrew places. initdb refuses to run as root, so as root the server runs
as ``nobody`` (setpriv) in a temp dir it owns. Each test gets its own database
(``fresh_database``), so tests never see each other's rows.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

_PLACES = (
    "/usr/lib/postgresql/*/bin",
    "/usr/pgsql-*/bin",
    "/opt/homebrew/opt/postgresql@*/bin",
    "/usr/local/opt/postgresql@*/bin",
)


def find_bindir() -> Path:
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0 and (Path(out.stdout.strip()) / "initdb").exists():
            return Path(out.stdout.strip())
    found = sorted(
        p for pattern in _PLACES for p in glob.glob(pattern) if Path(p, "initdb").exists()
    )
    if not found:
        raise RuntimeError("PostgreSQL server binaries (initdb, postgres) not found")
    return Path(found[-1])  # the newest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """``durable=False`` (tests): fsync and synchronous commit off, as nothing must survive a
    power cut. The benchmark runs it ``durable``, as a production server is configured."""

    def __init__(self, *, durable: bool = False) -> None:
        self.durable = durable
        self.bindir = find_bindir()
        self.dir = Path(tempfile.mkdtemp(prefix="kpibot-pg-"))
        self.port = free_port()
        self._as: list[str] = []
        self.user = pwd.getpwuid(os.getuid()).pw_name
        if os.geteuid() == 0:  # initdb and postgres refuse root
            nobody = pwd.getpwnam("nobody")
            os.chown(self.dir, nobody.pw_uid, nobody.pw_gid)
            self._as = [
                "setpriv",
                f"--reuid={nobody.pw_uid}",
                f"--regid={nobody.pw_gid}",
                "--clear-groups",
            ]
            self.user = "nobody"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def start(self) -> PgServer:
        data = self.dir / "data"
        subprocess.run(
            [
                *self._as,
                str(self.bindir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                self.user,
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
            check=True,
            capture_output=True,
        )
        fast = ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]
        settings = ["listen_addresses=127.0.0.1", "max_connections=200"]
        settings += [] if self.durable else fast
        with open(self.dir / "server.log", "wb") as log:
            self.proc = subprocess.Popen(
                [
                    *self._as,
                    str(self.bindir / "postgres"),
                    *("-D", str(data), "-p", str(self.port), "-k", str(self.dir)),
                    *(arg for setting in settings for arg in ("-c", setting)),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait()
        return self

    def _wait(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError((self.dir / "server.log").read_text(errors="replace"))
            try:
                psycopg.connect(self.url, connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL did not start in {timeout}s")

    def fresh_database(self) -> str:
        """The URL of a new, empty database."""
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url, autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + "/" + name

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(2)  # SIGINT: fast shutdown
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
