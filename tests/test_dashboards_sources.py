"""Dashboards with the sources beside Salesforce imported, drawn from real answers on the fixture
org (tests/test_sources.py works the source KPIs out by hand): the KPI dashboard gains CAC by
channel and quota attainment by rep, and the outbound calls gauge takes each rep's own daily
call target from a call_target source. Today is Thu 27 Jun 2024 (Asia/Shanghai)."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from pathlib import Path

import pytest

from bot import config as app_config
from bot.backend import RealBackend
from charts import figure_for_dashboard, render_dashboard, texts
from charts.targets import TargetBasis, caption
from i18n import Language
from metrics.query import Filter, Query
from tests.cli_run import run_kpibot
from tests.fixture_org import ORG, load_fixture_org
from tests.test_charts_render import png_size

TODAY = date(2024, 6, 27)

CALL_TARGETS = "rep,calls\nbob@example.com,30\nalice@example.com,50\n"
TARGETS_SOURCE = """
  - name: targets
    table: call_target
    file: sources/call_target.csv
    columns: {rep: rep, calls_per_day: calls}
    key: [rep]
    rep: email
"""


def _backend(org: Path, db: Path) -> RealBackend:
    return RealBackend(app_config.load(org / "app.yaml", str(db)))


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture org with its spend and quota sources and a call_target source, imported."""
    tmp = tmp_path_factory.mktemp("dash_sources")
    org = tmp / "org"
    shutil.copytree(ORG, org)
    (org / "sources" / "call_target.csv").write_text(CALL_TARGETS, encoding="utf-8")
    with open(org / "app.yaml", "a", encoding="utf-8") as f:
        f.write(TARGETS_SOURCE)
    db = load_fixture_org(tmp / "kpibot.duckdb")
    p = run_kpibot("import", "--config", str(org / "app.yaml"), "--db", str(db), cwd=tmp)
    assert p.returncode == 0, p.stderr
    assert "targets: 2 rows into call_target" in p.stdout
    return org


def _drawn(
    backend: RealBackend, name: str, lang: Language = Language.EN, filters: tuple = ()
) -> list[str]:
    def run(q: Query):  # type: ignore[no-untyped-def]
        return backend._run(q, f"{name} dashboard", TODAY, language=lang)

    query = Query(dashboard=name, filters=filters)
    return texts(figure_for_dashboard(name, query, run, currency="USD", lang=lang))


def _caption(texts_drawn: list[str], start: str) -> str:
    """The gauge's caption that starts with ``start``, its lines (the sum, where the rate comes
    from; a narrow cell wraps one at a space) joined by spaces."""
    return " ".join(next(x for x in texts_drawn if x.startswith(start)).split("\n"))


def test_kpi_dashboard_gains_cac_and_quota_attainment(org: Path) -> None:
    backend = _backend(org, org.parent / "kpibot.duckdb")
    t = _drawn(backend, "kpi")
    for title in ("CAC by channel", "Quota attainment by rep"):
        assert title in t, t
    # CAC this quarter: partner 6000 / 1 = $6,000 · inbound 30000 / 2 = $15,000 (the bar label
    # is compact: $15k). Attainment: Bob 50000 / 40000 = 125%, Alice 50000 / 100000 = 50%,
    # 张伟 80000 / 160000 = 50%.
    for cell in ("$6,000", "$15k", "125.0%", "50.0%"):
        assert any(cell in x for x in t), (cell, t)

    def run(q: Query):  # type: ignore[no-untyped-def]
        return backend._run(q, "kpi dashboard", TODAY)

    png = render_dashboard("kpi", Query(dashboard="kpi"), run)
    w, h = png_size(png)
    assert w == 2400 and h > 1500  # a fourth row: the page grows instead of squeezing


def test_without_sources_the_kpi_dashboard_is_as_before(tmp_path: Path) -> None:
    db = load_fixture_org(tmp_path / "kpibot.duckdb")
    backend = _backend(ORG, db)
    t = _drawn(backend, "kpi")
    assert "CAC by channel" not in t and "Quota attainment by rep" not in t
    assert not any("kpibot import" in x for x in t)  # no how-to sentence in a cell

    def run(q: Query):  # type: ignore[no-untyped-def]
        return backend._run(q, "kpi dashboard", TODAY)

    assert png_size(render_dashboard("kpi", Query(dashboard="kpi"), run)) == (2400, 1500)


def test_outbound_gauge_targets_come_from_call_targets(org: Path, tmp_path: Path) -> None:
    # Last 31 days = 27 May – 26 Jun 2024: 23 working days (5 + 5 + 5 + 5 + 3).
    # The per-rep table's reps: Bob (O2 won 10 Jun) and 张伟 (call T08 20 Jun, O5 won 20 Jun);
    # Alice has nothing in the window. Bob's own target is 30 a day; 张伟 has none, so the
    # fixed 40: (30 + 40) × 23 = 1,610. (Alice's 50 does not count: she is not on the board.)
    backend = _backend(org, org.parent / "kpibot.duckdb")
    t = _drawn(backend, "outbound calls")
    assert "target 1,610" in t, t
    # Under the gauge, where the target came from: one rep's imported target, one at 40.
    assert _caption(t, "target 1,610 =") == " ".join([
        "target 1,610 = 70 a day × 23 working days",
        "1 rep at imported targets, 1 rep at default 40",
    ])
    zh = _drawn(backend, "outbound calls", Language.ZH)
    assert _caption(zh, "目标 1,610 =") == " ".join([
        "目标 1,610 = 每天 70 × 23 个工作日",
        "1 名销售按导入目标，1 名销售按默认 40",
    ])
    # For Bob alone every rep on the board has an imported target: 30 × 1 × 23 = 690.
    bob = _drawn(backend, "outbound calls", filters=(Filter("rep", "in", ("Bob Smith",)),))
    assert _caption(bob, "target 690 =") == " ".join([
        "target 690 = 30 a day × 1 rep × 23 working days",
        "rate: each rep's imported daily call target",
    ])
    # Without the source: 40 × 2 reps × 23 = 1,840, at the board's default rate; demos booked
    # 0.6 × 2 × 23 = 27.6.
    plain = _drawn(_backend(ORG, load_fixture_org(tmp_path / "k.duckdb")), "outbound calls")
    assert "target 1,840" in plain, plain
    assert _caption(plain, "target 1,840 =") == " ".join([
        "target 1,840 = 40 a day × 2 reps × 23 working days",
        "rate: the dashboard's default",
    ])
    assert _caption(plain, "target 27.6 =") == " ".join([
        "target 27.6 = 0.6 a day × 2 reps × 23 working days",
        "rate: the dashboard's default",
    ])


def test_targets_that_differ_are_summed_in_the_caption() -> None:
    # Three reps with their own 30, 45 and 50 a day: 125 a day × 20 working days = 2,500.
    basis = TargetBasis(days=20, rate=40, at_rate=0, own=(30, 45, 50), source="daily call target")
    assert basis.total == 2500
    assert caption(basis, "2,500", Language.EN) == (
        "target 2,500 = 125 a day for 3 reps × 20 working days",
        "rates: each rep's imported daily call target",
    )
    # the KPI's name comes as the reply says it (the answer's column)
    zh = dataclasses.replace(basis, source="每日外呼目标")
    assert caption(zh, "2,500", Language.ZH) == (
        "目标 2,500 = 3 名销售每天共 125 × 20 个工作日",
        "每日目标：各销售导入的每日外呼目标",
    )
