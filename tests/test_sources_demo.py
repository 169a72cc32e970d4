"""The demo org ships marketing spend and quotas whose stories hold: partner leads have the
lowest CAC (and the biggest deals), two reps are far ahead of quota."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_run import run_kpibot

TODAY = "2026-11-27"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("demo")
    p = run_kpibot("demo", "--today", TODAY, "--db", str(d / "kpibot.duckdb"), cwd=d)
    assert p.returncode == 0, p.stderr
    return d / "kpibot.duckdb"


def _ask(db: Path, question: str) -> dict[str, object]:
    p = run_kpibot("ask", question, "--json", "--today", TODAY, "--db", str(db), cwd=db.parent)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)  # type: ignore[no-any-return]


def test_partner_leads_have_the_lowest_cac_and_the_biggest_deals(demo_db: Path) -> None:
    cac = dict(_ask(demo_db, "CAC by channel last quarter")["rows"])  # type: ignore[arg-type]
    paid = {c: v for c, v in cac.items() if c in ("inbound", "outbound", "partner")}
    assert min(paid, key=paid.__getitem__) == "partner"
    size = dict(_ask(demo_db, "average deal size by channel last quarter")["rows"])  # type: ignore[arg-type]
    assert max(size, key=size.__getitem__) == "partner"


def test_two_reps_are_far_ahead_of_quota(demo_db: Path) -> None:
    answer = _ask(demo_db, "quota attainment by rep this quarter")
    rows = answer["rows"]
    ahead = [rep for rep, v in rows if v is not None and v >= 1.5]  # type: ignore[union-attr]
    assert len(ahead) == 2  # 170% of quota (salesforce/demo_story.py)
    assert all(v is None or v <= 1.16 for rep, v in rows if rep not in ahead)  # type: ignore[union-attr]
    assert answer["notes"] and "(source demo)" in answer["notes"][0]  # type: ignore[index]
