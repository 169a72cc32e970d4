"""Run `kpibot` as a user does: `python -m bot` in a subprocess, with a clean kpibot environment;
or the same command in this process (``run_kpibot_here``), for modules that ask many questions
about answers rather than about the command itself (a subprocess costs 1-2 s of CPU, most of it
imports, per question; the tests of the command, test_cli_*.py, keep the subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
# Set by a developer's shell, they would change what the command reads.
_CLEARED = ("KPIBOT_CONFIG", "KPIBOT_DB", "KPIBOT_BACKEND", "SLACK_APP_TOKEN")


def run_kpibot(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    full.update({"PYTHONPATH": str(ROOT), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=full,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def ask_json(
    db: Path, questions: list[str], *, config: Path, today: str, extra: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """Ask every question in one `kpibot ask - --json` run (one JSON answer a line on stdout)."""
    return run_kpibot(
        "ask",
        "-",
        "--json",
        "--today",
        today,
        "--config",
        str(config),
        "--db",
        str(db),
        *extra,
        cwd=db.parent,
        stdin="\n".join(questions) + "\n",
    )


def run_kpibot_here(*args: str) -> subprocess.CompletedProcess[str]:
    """``kpibot ARGS`` in this process: the same command (bot.cli.main's app) with the kpibot
    environment cleared as ``run_kpibot`` does, its exit code, stdout and stderr. A bug the
    command would turn into its one-sentence apology is raised here instead (a failure)."""
    from bot.cli.main import build_app

    app = build_app()

    result = CliRunner().invoke(app, list(args), env=dict.fromkeys(_CLEARED))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(
        ["kpibot", *args], result.exit_code, result.stdout, result.stderr
    )
