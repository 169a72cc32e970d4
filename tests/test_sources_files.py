"""Source files of every kind (CSV glob, XLSX, Parquet), bad files failing cleanly and atomically,
and link values that match nothing reported, never dropped."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cache.snapshot import current_target
from metrics.settings import OrgSettings
from sources.config import SourceConfig
from sources.importer import import_sources
from sources.read import SourceError
from tests.cli_run import run_kpibot
from tests.fixture_org import load_fixture_org

SETTINGS = OrgSettings.model_validate({})  # channels inbound / outbound / partner
SPEND = {"date": "Month", "channel": "Channel", "amount": "Spend"}


def _spend(file: str, **extra: Any) -> SourceConfig:
    return SourceConfig.model_validate(
        {"name": "spend", "table": "marketing_spend", "file": file, "columns": SPEND, **extra}
    )


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(current_target(db)), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    return load_fixture_org(tmp_path / "kpibot.duckdb")


def test_a_glob_reads_every_monthly_csv(db: Path, tmp_path: Path) -> None:
    (tmp_path / "spend").mkdir()
    (tmp_path / "spend" / "2024-04.csv").write_text("Month,Channel,Spend\n2024-04,Inbound,100\n")
    (tmp_path / "spend" / "2024-05.csv").write_text(
        "Month,Channel,Spend\n2024-05-31,partner,250.5\n"
    )
    done = import_sources(db, [_spend("spend/*.csv")], SETTINGS, tmp_path)
    assert [(d.name, d.rows) for d in done] == [("spend", 2)]
    assert _rows(db, "SELECT date, channel, amount, source FROM marketing_spend ORDER BY date") == [
        (date(2024, 4, 1), "inbound", Decimal("100.00"), "spend"),
        (date(2024, 5, 31), "partner", Decimal("250.50"), "spend"),
    ]


def test_xlsx_and_parquet_files(db: Path, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Notes"
    quotas = book.create_sheet("Quotas")
    quotas.append(["Rep", "Start", "Quota"])
    quotas.append(["Alice Wang", date(2024, 4, 1), 1000])
    quotas.append([None, None, None])  # blank rows are skipped
    quotas.append(["Bob Smith", "2024-04", 2000.5])
    book.save(tmp_path / "quotas.xlsx")
    pq.write_table(
        pa.table({"Month": [date(2024, 6, 1)], "Channel": ["Outbound"], "Spend": [42.0]}),
        tmp_path / "spend.parquet",
    )
    quota = SourceConfig.model_validate(
        {
            "name": "quotas",
            "table": "quota",
            "file": "quotas.xlsx",
            "sheet": "Quotas",
            "columns": {"rep": "Rep", "period_start": "Start", "amount": "Quota"},
            "rep": "name",
        }
    )
    done = import_sources(db, [quota, _spend("spend.parquet")], SETTINGS, tmp_path)
    assert [(d.name, d.rows, d.unmatched) for d in done] == [("quotas", 2, ()), ("spend", 1, ())]
    # quarterly by default: 1 Apr → 30 Jun
    assert _rows(
        db, "SELECT rep, rep_id, period_start, period_end, amount FROM quota ORDER BY 1"
    ) == [
        ("Alice Wang", "U1", date(2024, 4, 1), date(2024, 6, 30), Decimal("1000.00")),
        ("Bob Smith", "U2", date(2024, 4, 1), date(2024, 6, 30), Decimal("2000.50")),
    ]
    assert _rows(db, "SELECT channel, amount FROM marketing_spend") == [
        ("outbound", Decimal("42.00"))
    ]


BAD = [
    (
        "Month,Channel,Spend\n2024-04,Inbound,100\n2024-13,Inbound,5\n",
        "spend.csv line 3, column Month",
    ),
    (
        "Month,Channel,Spend\n2024-04,Inbound,lots\n",
        'spend.csv line 2, column Spend: "lots" is not an amount',
    ),
    ("Month,Channel,Spend\n2024-04,,100\n", "spend.csv line 2, column Channel: is empty"),
    ("Month,Chan,Spend\n2024-04,Inbound,100\n", "spend.csv: no column 'Channel'"),
    ("Month,Channel,Spend\n2024-04,Inbound\n", "spend.csv line 2: 2 values for 3 columns"),
    (
        "Month,Channel,Spend\n2024-04,Inbound,1\n2024-04,inbound,2\n",
        "spend.csv line 3: the key (date, channel) repeats spend.csv line 2",
    ),
    (b"Month,Channel,Spend\n2024-04,\xff\xfe,1\n", "spend.csv: not UTF-8 text"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_a_bad_file_fails_naming_file_line_and_column_and_changes_nothing(
    db: Path, tmp_path: Path, text: str | bytes, message: str
) -> None:
    good = tmp_path / "good.csv"
    good.write_text("Month,Channel,Spend\n2024-04,Inbound,100\n")
    import_sources(db, [_spend("good.csv", key=["date", "channel"])], SETTINGS, tmp_path)
    published = current_target(db)
    before = _rows(db, "SELECT * FROM marketing_spend")
    bad = tmp_path / "spend.csv"
    bad.write_bytes(text if isinstance(text, bytes) else text.encode())
    quota_ok = SourceConfig.model_validate(  # imported together: all or nothing
        {
            "name": "quotas",
            "table": "quota",
            "file": "good_quota.csv",
            "columns": {"rep": "rep", "period_start": "start", "amount": "quota"},
        }
    )
    (tmp_path / "good_quota.csv").write_text("rep,start,quota\nalice@example.com,2024-04-01,9\n")
    with pytest.raises(SourceError) as e:
        import_sources(
            db, [quota_ok, _spend("spend.csv", key=["date", "channel"])], SETTINGS, tmp_path
        )
    assert message in str(e.value)
    assert current_target(db) == published
    assert _rows(db, "SELECT * FROM marketing_spend") == before
    assert _rows(db, "SELECT count(*) FROM quota") == [(0,)]


def test_the_cli_reports_a_bad_file_in_one_message(db: Path, tmp_path: Path) -> None:
    (tmp_path / "spend.csv").write_text(
        "Month,Channel,Spend\n2024-04,Inbound,1\n2024-05,Inbound,x\n"
    )
    config = tmp_path / "app.yaml"
    config.write_text(
        "sources:\n  - {name: spend, table: marketing_spend, file: spend.csv,\n"
        "     columns: {date: Month, channel: Channel, amount: Spend}}\n"
    )
    p = run_kpibot("import", "--config", str(config), "--db", str(db), cwd=tmp_path)
    assert p.returncode == 1
    assert p.stderr.startswith("source spend: 1 bad value(s), nothing imported:")
    assert 'spend.csv line 3, column Spend: "x" is not an amount' in p.stderr
    assert "The cache is unchanged." in p.stderr
    assert "Traceback" not in p.stderr
    p = run_kpibot("import", "nope", "--config", str(config), "--db", str(db), cwd=tmp_path)
    assert p.returncode == 2 and 'there is no source "nope"' in p.stderr


def test_a_bad_sources_setting_names_every_problem(tmp_path: Path) -> None:
    config = tmp_path / "app.yaml"
    config.write_text(
        "sources:\n"
        "  - {name: spend, table: spending, file: s.csv, columns: {date: M}}\n"
        "  - {name: q, table: quota, file: q.txt, sql: {url: 'x', query: 'y'},\n"
        "     columns: {rep: r, period_start: p, amount: a, colour: c}}\n"
        "  - {name: r, table: quota, file: q.csv, sql: {url: 'x', query: 'y'},\n"
        "     columns: {rep: r, colour: c}}\n"
    )
    p = run_kpibot(
        "import", "--config", str(config), "--db", str(tmp_path / "k.duckdb"), cwd=tmp_path
    )
    assert p.returncode == 2
    assert 'sources[0].table: "spending" is not a source table' in p.stderr
    assert 'sources[1].file: "q.txt" must end in .csv, .parquet, .xlsx' in p.stderr
    assert "give either file: or sql: (not both)" in p.stderr
    assert 'columns: "colour" is not a field of quota' in p.stderr
    assert "columns: period_start is required for quota" in p.stderr
    assert "Traceback" not in p.stderr


def test_link_values_that_match_nothing_are_counted_and_kept(db: Path, tmp_path: Path) -> None:
    (tmp_path / "spend.csv").write_text(
        "Month,Channel,Spend\n2024-04,Inbound,1\n2024-04,Events,2\n2024-05,Events,3\n"
        "2024-05,Podcasts,4\n"
    )
    (tmp_path / "quota.csv").write_text(
        "rep,start,quota\nalice@example.com,2024-04-01,10\nghost@example.com,2024-04-01,20\n"
    )
    config = tmp_path / "app.yaml"
    config.write_text(
        "sources:\n"
        "  - {name: spend, table: marketing_spend, file: spend.csv,\n"
        "     columns: {date: Month, channel: Channel, amount: Spend}}\n"
        "  - {name: quotas, table: quota, file: quota.csv, rep: email,\n"
        "     columns: {rep: rep, period_start: start, amount: quota}}\n"
    )
    p = run_kpibot("import", "--config", str(config), "--db", str(db), cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stderr.splitlines() == [
        '  3 rows link to nothing by channel (not in app.yaml channels:), e.g. "Events", '
        '"Podcasts"; they are kept and counted under no one',
        '  1 rows link to nothing by rep by email (no such User), e.g. "ghost@example.com"; '
        "they are kept and counted under no one",
    ]
    assert _rows(db, "SELECT count(*) FROM marketing_spend") == [(4,)]
    assert _rows(db, "SELECT rep, rep_id FROM quota ORDER BY rep") == [
        ("alice@example.com", "U1"),
        ("ghost@example.com", None),
    ]
