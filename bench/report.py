"""Benchmarks write their table into one section of docs/benchmarks.md, leaving the others, and
their key numbers into bench/results/ (JSON) for the summaries run_all and bench_scale write.
The results are tracked in git: they are the measurements the docs' summaries are written from,
and the demo orgs under bench/out/ (git-ignored, tens of GB) do not outlive a machine, so a
summary must be rewritable on a fresh clone. A ``--quick`` run (a smoke test) saves none.

A section is owned by one script and lies between ``<!-- BEGIN key -->`` and ``<!-- END key -->``
markers: a rewrite replaces only that block, so hand-written notes and other scripts' (or other
developers') sections stay as they are.
"""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
QUICK_ENV = "KPIBOT_BENCH_QUICK"  # set by a --quick run: its numbers are a smoke test
RESULTS = Path(__file__).resolve().parent / "results"
HEADER = """# Benchmarks

Measured by the scripts in `bench/` (`make bench` runs them all), never in timed unit tests.
Each section is rewritten by its script; the machine line says where it ran.
"""


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0–100), nearest-rank, of a non-empty sequence."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def p50(values: Sequence[float]) -> float:
    return statistics.median(values)


def machine() -> str:
    py = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{py}, {os.cpu_count()} cores, {platform.machine()}"


def section_key(title: str) -> str:
    """The marker key of a section title: "Asking questions (10M Tasks)" → asking-questions."""
    return re.sub(r"[^a-z0-9]+", "-", title.split("(")[0].lower()).strip("-")


def write_section(title: str, body: str, key: str | None = None) -> None:
    """Replace (or add at the end) this section's marked block of docs/benchmarks.md. A section
    written before markers existed (``## title`` up to the next heading) is replaced once."""
    key = key or section_key(title)
    begin, end = f"<!-- BEGIN {key} -->", f"<!-- END {key} -->"
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    stamp = f"_{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {machine()}_"
    block = f"{begin}\n## {title}\n\n{stamp}\n\n{body.strip()}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        old = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |^<!-- |\Z)", re.S | re.M)
        if old.search(text):
            text = old.sub(lambda _: block + "\n\n", text, count=1)
        else:
            text = text.rstrip() + "\n\n" + block + "\n"
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text.rstrip() + "\n", encoding="utf-8")


def publish(title: str, body: str, write: bool, key: str | None = None) -> None:
    """Print a benchmark's section; with ``write``, also into docs/benchmarks.md."""
    print(body)
    if write:
        write_section(title, body, key)


def load_line() -> str:
    """The machine's load average now, which wall times grow with (cores are shared)."""
    a = os.getloadavg()
    return f"load average {a[0]:.1f} / {a[1]:.1f} / {a[2]:.1f} on {os.cpu_count()} cores"


def save_results(name: str, scale: float, data: dict[str, Any]) -> None:
    """Keep a benchmark's key numbers (bench/results/<name>-<scale>.json) for summaries; a quick
    run's are not measurements and are not kept."""
    if os.environ.get(QUICK_ENV):
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {**data, "at": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "load": os.getloadavg()}
    (RESULTS / f"{name}-{scale:g}.json").write_text(json.dumps(data, indent=1), encoding="utf-8")


def results(name: str) -> dict[float, dict[str, Any]]:
    """Every saved run of a benchmark, by scale."""
    out: dict[float, dict[str, Any]] = {}
    for p in sorted(RESULTS.glob(f"{name}-*.json")):
        out[float(p.stem.removeprefix(f"{name}-"))] = json.loads(p.read_text(encoding="utf-8"))
    return out


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (also readable printed to a terminal)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
