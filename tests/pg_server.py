"""A throwaway PostgreSQL 15 server for tests: initdb into a temp folder, start, yield a URL, stop.

initdb refuses to run as root, so when the tests run as root the server runs as ``nobody`` in a
folder handed to it. The server listens on a free loopback port and a socket in its folder; it
trusts local connections (a test database, gone when the test ends).

>>> with postgres_server(tmp_path) as server:  # doctest: +SKIP
...     server.url("kpibot")   # 'postgresql+psycopg://kpibot@127.0.0.1:54321/kpibot'
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BIN = Path(os.environ.get("KPIBOT_PG_BIN", "/usr/lib/postgresql/15/bin"))
USER = "kpibot"


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int

    def url(self, database: str = USER) -> str:
        return f"postgresql+psycopg://{USER}@{self.host}:{self.port}/{database}"

    def psql(self, sql: str, database: str = USER) -> None:
        """Run SQL as the test user (tables and rows a test sets up)."""
        import psycopg

        with psycopg.connect(host=self.host, port=self.port, user=USER, dbname=database) as con:
            con.execute(sql)  # type: ignore[arg-type]


def available() -> bool:
    return (BIN / "initdb").exists() and (BIN / "postgres").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", *cmd]


def _run(cmd: list[str], root: Path, env: dict[str, str], check: bool = True) -> None:
    p = subprocess.run(
        _as_server_user(cmd), capture_output=True, text=True, env=env, cwd=root, check=False
    )
    if check and p.returncode != 0:
        log = root / "server.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"{cmd[0]} failed: {p.stderr.strip()} {p.stdout.strip()}\n{tail}")


@contextlib.contextmanager
def postgres_server(workdir: Path) -> Iterator[PgServer]:
    root = workdir / "pg"
    data = root / "data"
    root.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(root, "nobody", "nogroup")
        os.chmod(root, 0o700)
        # nobody must reach the folder: open its parents for traversal only
        for parent in [workdir, *workdir.parents]:
            if parent == Path("/"):
                break
            os.chmod(parent, os.stat(parent).st_mode | 0o001)
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    _run(
        [str(BIN / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8"], root, env
    )
    port = _free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = [str(BIN / "pg_ctl"), "-D", str(data), "-w", "-t", "60"]
    _run([*pg_ctl, "-l", str(root / "server.log"), "-o", options, "start"], root, env)
    try:
        _run(
            [str(BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", USER, USER], root, env
        )
        yield PgServer("127.0.0.1", port)
    finally:
        _run([*pg_ctl, "-m", "immediate", "stop"], root, env, check=False)
