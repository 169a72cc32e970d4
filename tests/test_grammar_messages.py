"""What users read when the parser cannot answer: every error message of the corpus and every
typo correction, as one reviewed file (tests/corpus/messages.txt;
KPIBOT_UPDATE_SNAPSHOTS=1 rewrites it). A change of wording shows up as a diff."""

from __future__ import annotations

import os
from pathlib import Path

from grammar import Parser
from metrics.catalog import load_catalog
from metrics.errors import UserError
from tests.corpus.loader import load

SNAPSHOT = Path(__file__).parent / "corpus" / "messages.txt"


def render() -> str:
    values, cases = load()
    parser = Parser(load_catalog(), values)
    out: list[str] = []
    for case in cases:
        if case.error is None and not case.corrections:
            continue
        out.append(f"> {case.question}")
        try:
            parsed = parser.parse(case.question)
        except UserError as e:
            out.append(f"  {e.kind}: {e.message}")
            out += [f"  - {s}" for s in e.suggestions]
        else:
            out += [f"  {c}" for c in parsed.corrections]
        out.append("")
    return "\n".join(out)


def test_messages_snapshot() -> None:
    text = render()
    if os.environ.get("KPIBOT_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert SNAPSHOT.exists(), f"{SNAPSHOT} is missing; run with KPIBOT_UPDATE_SNAPSHOTS=1"
    assert SNAPSHOT.read_text(encoding="utf-8") == text, (
        f"{SNAPSHOT} changed; rerun with KPIBOT_UPDATE_SNAPSHOTS=1 and review the diff"
    )
