"""What every subcommand shares: options, loading the configuration, and user-facing failure."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import threading
import traceback
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from bot import config as config_mod
from bot.state_connection import StateDB
from bot.state_db import open_state_db
from cache.private_files import private_dir, private_file
from metrics.errors import ConfigError

ERROR_LOG = "kpibot-errors.log"

ConfigOpt = Annotated[
    str | None, typer.Option("--config", envvar="KPIBOT_CONFIG", help="app.yaml to use.")
]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", envvar="KPIBOT_DB", help="DuckDB cache file (overrides database:)."),
]
TodayOpt = Annotated[
    str | None, typer.Option("--today", help="Pin today (YYYY-MM-DD) for reproducible answers.")
]


# Held while a child process is being started, and by every os.fork (gunicorn starting a
# worker): a fork in the middle of starting a child would hand the new worker copies of the
# child's exec-status pipe, and the start would then wait for that worker to exit (minutes;
# seen as a scheduled sync "running" until shutdown in the two-replica tests).
_STARTING = threading.Lock()
os.register_at_fork(
    before=_STARTING.acquire,
    after_in_parent=_STARTING.release,
    after_in_child=_STARTING.release,
)


def run_child(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a `kpibot` child (a scheduled sync or import) to its end, with its output.

    Its start excludes forks (``_STARTING``), and its output goes to temporary files read once
    it has exited, so no pipe end a forked worker might hold can keep this waiting.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        with _STARTING:
            child = subprocess.Popen(cmd, stdout=out, stderr=err)
        code = child.wait()
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(cmd, code, out.read(), err.read())


def fail(message: str, code: int = 2) -> NoReturn:
    sys.stderr.write(message.rstrip() + "\n")
    raise typer.Exit(code)


def load_config(config: str | None, db: str | None) -> config_mod.AppConfig:
    try:
        return config_mod.load(config, db)
    except ConfigError as e:
        fail(str(e))


def open_state(cfg: config_mod.AppConfig) -> StateDB:
    """The state database, migrated; a PostgreSQL server that cannot be reached is one sentence."""
    try:
        return open_state_db(cfg.state_location)
    except ConfigError as e:
        fail(str(e))


def parse_today(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f'--today: "{value}" is not a date; write YYYY-MM-DD, e.g. 2024-06-27')


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def log_internal_error(cfg: config_mod.AppConfig | None, context: str) -> Path | None:
    """Append the exception being handled, with its trace, to the error log beside the state
    database (or in the temp folder without a configuration); its path, None if unwritable.
    The user is told one sentence and where this is, never shown the trace itself."""
    folder = cfg.local_dir if cfg is not None else Path(tempfile.gettempdir())
    path = folder / ERROR_LOG
    try:
        private_dir(folder)
        private_file(path)  # questions and data may be in it
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"--- {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} {context}\n")
            fh.write(traceback.format_exc())
    except OSError:
        return None
    return path


def internal_error_sentence(cfg: config_mod.AppConfig | None, context: str) -> str:
    """ "Sorry, … (ValueError); the details are in data/kpibot-errors.log." for the error being
    handled, logged first."""
    kind = type(sys.exc_info()[1]).__name__
    path = log_internal_error(cfg, context)
    where = f"the details are in {path}" if path else "the details could not be written down"
    return f"Sorry, kpibot hit an internal error ({kind}) and stopped; {where}."
