"""Field search on the fixture org loaded as a real Data Export, with two custom fields added to
Opportunity.csv (Region__c, Deal_Size__c). Every expected number is worked out by hand from
tests/fixtures/org/*.csv; today is 2024-06-27 in Asia/Shanghai, so "this quarter" is
1 Apr – 27 Jun 2024 (opportunities count on CloseDate, tasks and accounts on CreatedDate)."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path

import pytest

import grammar
from bot.backend import answer_csv
from cache import schema
from cache.describe import describe_cache
from cache.snapshot import SnapshotReader, current_target, open_writer
from charts.labels import title_of
from i18n import Language
from metrics import engine
from metrics.answer import Answer
from metrics.catalog import Catalog
from metrics.catalog_load import load_catalog
from metrics.errors import UserError
from metrics.fields import readable, with_fields
from metrics.settings import FieldSetting, OrgSettings
from metrics.values import load_values
from salesforce.export import load_export
from tests.fixture_org import ORG, fixture_settings

TODAY = date(2024, 6, 27)
# Opportunity Id → (Region__c, Deal_Size__c); "" is an empty cell.
CUSTOM = {
    "O1": ("EMEA", "120"),
    "O2": ("APAC", "300"),
    "O3": ("EMEA", "50"),
    "O4": ("APAC", ""),
    "O5": ("EMEA", "500"),
    "O6": ("Americas", "80"),
    "O7": ("EMEA", "10"),
    "O8": ("APAC", "999"),  # deleted
    "O9": ("APAC", "1"),
    "O10": ("EMEA", "2"),
    "O11": ("Americas", "400"),
}


def _export_with_custom_fields(folder: Path) -> Path:
    shutil.copytree(ORG, folder)
    path = folder / "Opportunity.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([*rows[0], "Region__c", "Deal_Size__c"])
    for r in rows[1:]:
        w.writerow([*r, *CUSTOM[r[0]]])
    path.write_text(out.getvalue(), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("fields")
    path = tmp / "k.duckdb"
    load_export(_export_with_custom_fields(tmp / "export"), path)
    return path


def _ask(
    db: Path, question: str, settings: OrgSettings | None = None, lang: Language | None = None
) -> Answer:
    settings = settings or fixture_settings()
    reader = SnapshotReader(db)
    cur = reader.cursor()
    catalog: Catalog = with_fields(load_catalog(), describe_cache(cur), settings)
    values = load_values(cur, catalog, settings.channels)
    parsed = grammar.parse(question, catalog, values)
    return engine.run(
        parsed.query,
        catalog=catalog,
        settings=settings,
        reader=reader,
        today=TODAY,
        question=question,
        **({} if lang is None else {"language": lang}),
    )


def test_readable_api_names() -> None:
    assert readable("ForecastCategoryName") == "forecast category name"
    assert readable("Deal_Size__c") == "deal size"
    assert readable("Region__c") == "region"


def test_custom_fields_are_loaded_with_their_types(db: Path) -> None:
    tables = {t.name: t for t in describe_cache(SnapshotReader(db).cursor())}
    types = {f.name: f.type for f in tables["Opportunity"].fields}
    assert types["Region__c"] == "VARCHAR" and types["Deal_Size__c"] == "DOUBLE"


def test_average_amount_by_opportunity_type(db: Path) -> None:
    a = _ask(db, "average amount by opportunity type")
    # CloseDate in 1 Apr – 27 Jun: New Business O1 50000, O5 80000, O11 50000 → 60000;
    # Existing Business O4 20000, O6 10000 (O2 has no amount) → 15000.
    assert a.rows == (("New Business", 60000.0), ("Existing Business", 15000.0))
    assert a.restated.startswith("[average amount] of [Opportunity] on [close date] by [type] · ")
    # Chart title and CSV come from the same Answer as a KPI's.
    assert title_of(a) == "Average amount of Opportunity by type"
    csv_text = answer_csv(a).decode("utf-8-sig")
    assert (
        csv_text == "type,average amount\r\nNew Business,60000.0\r\nExisting Business,15000.0\r\n"
    )


def test_leads_by_status_is_the_catalog_kpi(db: Path) -> None:
    a = _ask(db, "leads by status")
    # Leads created 1 Apr – 27 Jun (L6 is deleted, L7 older): L1 Open, L2 Converted,
    # L3 Working, L4 Converted, L5 Open.
    assert sorted(a.rows) == [("Converted", 2), ("Open", 2), ("Working", 1)]
    assert a.restated.startswith("[leads] by [status] · ")


def test_accounts_by_industry(db: Path) -> None:
    a = _ask(db, "accounts by industry all time")
    # A1 Technology, A2 Finance, A3 no industry.
    assert sorted(a.rows, key=str) == sorted(
        [("Technology", 1), ("Finance", 1), (None, 1)], key=str
    )
    assert a.restated.startswith("[accounts] of [Account] on [created date] by [industry] · ")


def test_max_custom_field_by_rep(db: Path) -> None:
    a = _ask(db, "max deal size by rep")
    # CloseDate in the quarter: O1 Alice 120, O4 Alice (empty); O2 Bob 300, O6 Bob 80,
    # O11 Bob 400; O5 张伟 500.
    assert a.rows == (("张伟", 500.0), ("Bob Smith", 400.0), ("Alice Wang", 120.0))
    assert a.restated.startswith("[max deal size] of [Opportunity] on [close date] by [rep] · ")


def test_measures_and_fields_in_chinese(db: Path) -> None:
    """Asked in Chinese: a standard field's measure through the catalogue's template and the
    name Salesforce's Chinese UI gives the field; the object and date in Chinese; a custom
    field labelled in English keeps its label (the org's data). English is unchanged."""
    zh = Language.ZH
    a = _ask(db, "平均金额 按 类型", lang=zh)
    assert a.restated.startswith("[平均金额] （[商机]，以 [关闭日期] 为准） 按 [类型] · ")
    a = _ask(db, "金额合计 按 行业", lang=zh)
    assert a.restated.startswith("[金额合计] （[商机]，以 [关闭日期] 为准） 按 [行业] · ")
    a = _ask(db, "max deal size by rep", lang=zh)
    assert a.restated.startswith("[最大deal size] （[商机]，以 [关闭日期] 为准） 按 [销售] · ")
    assert [c.shown for c in a.columns] == ["销售", "最大deal size"]
    a = _ask(db, "max deal size by rep")
    assert a.restated.startswith("[max deal size] of [Opportunity] on [close date] by [rep] · ")


def test_custom_picklist_groups_measures_and_kpis(db: Path) -> None:
    a = _ask(db, "sum of amount by region")
    # On CloseDate: EMEA O1 50000 + O5 80000; Americas O6 10000 + O11 50000; APAC O4 20000.
    assert a.rows == (("EMEA", 130000.0), ("Americas", 60000.0), ("APAC", 20000.0))
    k = _ask(db, "new opportunities by region")
    # The KPI counts on CreatedDate (Shanghai): O1 11 Apr EMEA, O2 1 Jun APAC, O3 3 Jun EMEA,
    # O4 20 Apr APAC, O11 1 May Americas.
    assert sorted(k.rows) == [("APAC", 2), ("Americas", 1), ("EMEA", 2)]


def test_custom_field_filter(db: Path) -> None:
    a = _ask(db, "sum of amount region is EMEA")
    assert a.rows == ((130000.0,),)  # O1 50000 + O5 80000


def test_a_field_named_with_its_object(db: Path) -> None:
    # 50000 + 20000 + 80000 + 10000 + 50000 (O1, O4, O5, O6, O11; O2 has no amount)
    assert _ask(db, "sum of opportunity amount").rows == ((210000.0,),)


def test_median_and_count_of_a_field(db: Path) -> None:
    # Amounts closing in the quarter: 50000, 80000, 20000, 10000, 50000 (O2 has none).
    assert _ask(db, "median amount").rows == ((50000.0,),)
    assert _ask(db, "count of amount").rows == ((5,),)


def test_catalog_kpi_wins_and_says_so(db: Path) -> None:
    a = _ask(db, "average deal size")
    # The KPI: won deals closing in the quarter with an amount, O1 50000, O5 80000, O11 50000.
    assert a.rows == ((60000.0,),)
    assert a.restated.startswith(
        "[average deal size] (the catalog KPI, not the field deal size) · "
    )


def test_personal_fields_are_hidden(db: Path) -> None:
    cat = with_fields(load_catalog(), describe_cache(SnapshotReader(db).cursor()), OrgSettings())
    words = {w.lower() for d in cat.dimensions for w in d.words}
    assert "email" not in words and "department" in words
    with pytest.raises(UserError):
        _ask(db, "users by email")


def test_app_yaml_names_and_hides_fields(db: Path) -> None:
    base = fixture_settings()
    named = base.model_copy(
        update={"fields": {"Opportunity.Region__c": FieldSetting(names=["territory"], zh=["大区"])}}
    )
    a = _ask(db, "sum of amount by territory", named)
    assert a.rows == (("EMEA", 130000.0), ("Americas", 60000.0), ("APAC", 20000.0))
    assert _ask(db, "商机数 按 大区", named).rows == _ask(db, "new opportunities by region").rows
    hidden = base.model_copy(
        update={"fields": {"Opportunity.Region__c": FieldSetting(hidden=True)}}
    )
    with pytest.raises(UserError):
        _ask(db, "sum of amount by region", hidden)


def test_labels_in_the_orgs_language(db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "zh.duckdb"
    with open_writer(copy, source="labels", fresh=True) as w:
        w.con.execute(f"ATTACH '{current_target(db)}' AS src (READ_ONLY)")
        for t in describe_cache(w.con.cursor()):
            w.con.execute(f'DROP TABLE "{t.name}"')
            w.con.execute(f'CREATE TABLE "{t.name}" AS SELECT * FROM src."{t.name}"')
            w.mark_refreshed(t.name)
        w.con.execute(
            f"INSERT INTO {schema.META_LABELS} VALUES "
            "('Opportunity', 'Deal_Size__c', '交易规模', NULL), "
            "('Opportunity', 'Region__c', 'Sales Region', NULL)"
        )
        w.con.execute("DETACH src")
    a = _ask(copy, "最大交易规模 按 销售")
    assert a.rows == (("张伟", 500.0), ("Bob Smith", 400.0), ("Alice Wang", 120.0))
    b = _ask(copy, "sum of amount by sales region")
    assert b.rows == (("EMEA", 130000.0), ("Americas", 60000.0), ("APAC", 20000.0))


def test_cli_load_then_ask_a_custom_field(tmp_path: Path) -> None:
    """The real commands: `kpibot load` a Data Export with custom fields, then `kpibot ask`
    about one; the answer (JSON, CSV-ready rows) comes through the same Answer as a KPI's."""
    import json
    import subprocess
    import sys

    export = _export_with_custom_fields(tmp_path / "export")
    db = tmp_path / "k.duckdb"
    config = ORG / "app.yaml"
    common = ["--config", str(config), "--db", str(db)]
    load = subprocess.run(
        [sys.executable, "-m", "bot", "load", str(export), *common],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert load.returncode == 0, load.stderr
    ask = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "ask",
            "max deal size by rep",
            "--json",
            "--today",
            TODAY.isoformat(),
            *common,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ask.returncode == 0, ask.stderr
    out = json.loads(ask.stdout)
    assert out["restated"].startswith("[max deal size] of [Opportunity] on [close date] by [rep]")
    # Hand-worked in test_max_custom_field_by_rep.
    assert [list(r.values()) if isinstance(r, dict) else r for r in out["rows"]] == [
        ["张伟", 500.0],
        ["Bob Smith", 400.0],
        ["Alice Wang", 120.0],
    ]
