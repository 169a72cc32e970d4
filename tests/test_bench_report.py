"""bench/report.py rewrites only its own marked section of docs/benchmarks.md: other scripts',
other developers' and hand-written sections stay exactly as they were."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import report

BEFORE = """# Benchmarks

Intro written by hand.

<!-- BEGIN spark -->
## Spark engine

Someone else's table.
<!-- END spark -->

## Asking questions (10M Tasks)

_old stamp_

| old | table |

## Notes by hand

Kept.
"""


@pytest.fixture
def doc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "benchmarks.md"
    path.write_text(BEFORE, encoding="utf-8")
    monkeypatch.setattr(report, "DOC", path)
    return path


def test_an_unmarked_section_is_replaced_once_then_kept_by_its_markers(doc: Path) -> None:
    report.write_section("Asking questions (10M Tasks)", "| new | table |")
    first = doc.read_text(encoding="utf-8")
    assert "| old | table |" not in first and "| new | table |" in first
    assert "<!-- BEGIN asking-questions -->" in first
    report.write_section("Asking questions (10M Tasks)", "| newer | table |")
    second = doc.read_text(encoding="utf-8")
    assert "| new | table |" not in second and second.count("## Asking questions") == 1
    for kept in ("Intro written by hand.", "Someone else's table.", "## Notes by hand\n\nKept."):
        assert kept in second
    assert second.index("Spark engine") < second.index("Asking questions") < second.index(
        "Notes by hand"
    )


def test_a_new_section_is_added_at_the_end(doc: Path) -> None:
    report.write_section("Where one machine stops", "curve", key="bench_scale")
    text = doc.read_text(encoding="utf-8")
    assert text.startswith(BEFORE.rstrip())
    assert text.rstrip().endswith("curve\n<!-- END bench_scale -->".rstrip())
