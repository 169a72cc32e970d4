"""Run `kpibot` as a user does: `python -m bot` in a subprocess, with a clean kpibot environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
