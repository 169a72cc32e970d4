"""The catalog's SQL is checked when kpibot starts answering (ask, serve), not only in tests: a
broken catalog stops start-up with every problem listed; an unchanged one is not checked again."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from metrics.catalog_load import load_catalog
from metrics.errors import ConfigError
from metrics.validate import fingerprint, stamp_for, validate_catalog_once
from tests.cli_run import run_kpibot
from tests.fixture_org import load_fixture_org

# Two metrics whose SQL names columns that do not exist: each must be reported, with its
# groupings, in one run.
BROKEN = """
metrics:
  - {name: typo kpi, records: task, format: count, better: higher, dimensions: [rep],
     sql: {agg: count, where: r.CallTyp = 'Inbound'}}
  - {name: typo sum, records: opportunity, format: currency, better: higher, dimensions: [],
     sql: {agg: sum, expr: r.Amnt}}
"""
GOOD = """
metrics:
  - {name: inbound calls, records: task, format: count, better: higher, dimensions: [rep],
     sql: {agg: count, where: "r.TaskSubtype = 'Call' AND r.CallType = 'Inbound'"}}
"""


@pytest.fixture
def org_db(tmp_path: Path) -> Path:
    return load_fixture_org(tmp_path / "cache" / "kpibot.duckdb")


def setup(tmp_path: Path, catalog: str) -> Path:
    (tmp_path / "kpis.yaml").write_text(catalog, encoding="utf-8")
    cfg = tmp_path / "app.yaml"
    cfg.write_text("catalog: kpis.yaml\nstate_database: state/s.sqlite\n", encoding="utf-8")
    return cfg


def kpibot(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    slack = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",  # never reached: start-up stops first
    }
    return run_kpibot(*args, cwd=cwd, env=slack)


def assert_every_problem_listed(stderr: str) -> None:
    assert "Traceback" not in stderr
    head, *problems = stderr.strip().splitlines()
    assert head == f"catalog has {len(problems)} problem(s):"
    # every grouping of both metrics (rep, and each time grain or part) fails on its own line
    assert len(problems) >= 3 and all(p.startswith("metric typo ") for p in problems)
    assert "metric typo kpi: its SQL does not run" in stderr
    assert "metric typo kpi by rep: its SQL does not run" in stderr
    assert "metric typo sum: its SQL does not run" in stderr


def test_a_broken_catalog_stops_ask_and_serve_with_every_problem(
    org_db: Path, tmp_path: Path
) -> None:
    # Before: ask answered other questions and serve started; only the tests ran the EXPLAINs.
    cfg = setup(tmp_path, BROKEN)
    res = kpibot("ask", "calls last week", "--config", str(cfg), "--db", str(org_db), cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert_every_problem_listed(res.stderr)
    res = kpibot("serve", "--port", "9", "--config", str(cfg), "--db", str(org_db), cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert_every_problem_listed(res.stderr)
    assert not stamp_for(org_db).exists()  # a failed check is not recorded


def test_a_good_catalog_is_checked_once_then_recorded(org_db: Path, tmp_path: Path) -> None:
    cfg = setup(tmp_path, GOOD)
    args = ["ask", "inbound calls by rep", "--config", str(cfg), "--db", str(org_db)]
    res = kpibot(*args, "--today", "2024-06-27", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    stamp = stamp_for(org_db)
    assert stamp.read_text(encoding="ascii").strip() == fingerprint(
        load_catalog(tmp_path / "kpis.yaml"), _settings(cfg)
    )


def _settings(cfg: Path):  # type: ignore[no-untyped-def]
    from bot import config

    return config.load(cfg)


def test_the_check_runs_again_only_when_the_catalog_changed(tmp_path: Path) -> None:
    stamp = tmp_path / "k.duckdb.catalog-checked"
    extra = tmp_path / "kpis.yaml"
    extra.write_text(GOOD, encoding="utf-8")
    assert validate_catalog_once(load_catalog(extra), None, stamp) is True
    assert validate_catalog_once(load_catalog(extra), None, stamp) is False  # unchanged
    extra.write_text(GOOD.replace("'Inbound'", "'Outbound'"), encoding="utf-8")
    assert validate_catalog_once(load_catalog(extra), None, stamp) is True  # changed SQL
    extra.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        validate_catalog_once(load_catalog(extra), None, stamp)
    assert {p.split(":")[0].split(" by ")[0] for p in exc.value.problems} == {
        "metric typo kpi",
        "metric typo sum",
    }
    with pytest.raises(ConfigError):  # still broken: checked (and refused) every time
        validate_catalog_once(load_catalog(extra), None, stamp)


def test_the_fingerprint_covers_the_cache_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    from cache import schema

    cat = load_catalog()
    before = fingerprint(cat)
    task = schema.BY_NAME["Task"]
    fewer = tuple(o if o is not task else _without_last_field(task) for o in schema.OBJECTS)
    monkeypatch.setattr(schema, "OBJECTS", fewer)
    assert fingerprint(cat) != before


def _without_last_field(obj):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    return replace(obj, fields=obj.fields[:-1])


# A fragment that does not parse is found when the catalog loads (before any EXPLAIN), named
# by its KPI or record set and the key it is under.
UNPARSABLE = """
metrics:
  - {name: broken where, records: task, format: count, better: higher, dimensions: [rep],
     sql: {agg: count, where: "r.CallType = = 'Inbound'"}}
  - {name: broken expr, records: opportunity, format: currency, better: higher, dimensions: [],
     sql: {agg: sum, expr: "sum(r.Amount"}}
records:
  bad_join:
    from: '"Task"'
    anchors: {created: {sql: r.CreatedDate, type: timestamp}}
    joins: {owner: 'LEFT JOIN "User" AS owner ON'}
"""


def test_a_fragment_that_does_not_parse_stops_the_catalog_load(tmp_path: Path) -> None:
    path = tmp_path / "kpis.yaml"
    path.write_text(UNPARSABLE, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_catalog(path)
    text = "\n".join(e.value.problems)
    assert "metric broken where: sql.where: \"r.CallType = = 'Inbound'\"" in text
    assert "metric broken expr: sql.expr: 'sum(r.Amount' does not parse" in text
    assert "records.bad_join.joins.owner:" in text


def test_a_catalog_checked_clean_is_not_checked_again_by_the_same_process(tmp_path: Path) -> None:
    extra = tmp_path / "kpis.yaml"
    extra.write_text(GOOD.replace("'Inbound'", "'Partner'"), encoding="utf-8")
    first, second = tmp_path / "a.duckdb.catalog-checked", tmp_path / "b.duckdb.catalog-checked"
    assert validate_catalog_once(load_catalog(extra), None, first) is True
    # Another cache, no stamp beside it yet: the check reads no data, so it is not repeated,
    # and the stamp is written for the processes that open this cache next.
    assert validate_catalog_once(load_catalog(extra), None, second) is False
    assert second.read_text(encoding="ascii") == first.read_text(encoding="ascii")
