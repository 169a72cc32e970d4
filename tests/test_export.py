"""`kpibot load`: a Salesforce Data Export into real DuckDB snapshots, good files and bad."""

from __future__ import annotations

import shutil
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from bot.cli.main import build_app
from cache.snapshot import SnapshotReader, current_target
from salesforce.export import ExportError, load_export

app = build_app()

EDGE = Path(__file__).parent / "fixtures" / "export_edge"
LEAD_HEADER = (
    "Id,Name,Company,OwnerId,LeadSource,Status,IsConverted,ConvertedDate,ConvertedOpportunityId,"
    "ConvertedContactId,ConvertedAccountId,CreatedDate,SystemModstamp"
)
LEAD_ROW = (
    "00Q5g00000000{n:02d}EAA,Lead {n},Co,0055g0000000001AAA,Web,Open,false,,,,,"
    "2024-05-01T13:45:00.000Z,"
)


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    reader = SnapshotReader(db)
    try:
        return reader.cursor().execute(sql).fetchall()
    finally:
        reader.close()


def write_export(folder: Path, files: dict[str, str], bom: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return folder


def leads_csv(n: int, extra: str = "") -> str:
    return (
        LEAD_HEADER + "\n" + "\n".join(LEAD_ROW.format(n=i) for i in range(1, n + 1)) + "\n" + extra
    )


def test_edge_cases_load(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    s = load_export(EDGE, db)
    assert s.rows == {"User": 1, "Lead": 3, "Opportunity": 2}
    assert s.deleted_skipped["Lead"] == 1  # IsDeleted = true is kept out
    assert s.missing_objects == ("Account", "Contact", "OpportunityHistory", "Task", "Event")
    assert s.ignored_files == ("Campaign.csv",)
    # Columns the schema does not list are kept, typed by their values (docs/field-search.md).
    assert s.ignored_columns == {}
    assert rows(db, "SELECT Rating__c, count(*) FROM Lead GROUP BY 1 ORDER BY 1") == [
        ("Hot", 1),
        (None, 2),
    ]
    assert rows(db, "SELECT Probability FROM Opportunity ORDER BY Id") == [(100.0,), (10.0,)]
    assert rows(
        db, "SELECT data_type FROM information_schema.columns WHERE column_name = 'Probability'"
    ) == [("DOUBLE",)]
    leads = rows(
        db,
        "SELECT Id, Name, Company, LeadSource, IsConverted, ConvertedDate, CreatedDate, "
        "SystemModstamp FROM Lead ORDER BY Id",
    )
    utc = UTC
    assert leads[0][1:3] == ("温家豪", "华为, 科技")  # BOM file, Chinese, quoted comma
    assert leads[0][4] is False  # "0"
    assert leads[0][6] == leads[0][7] == datetime(2024, 5, 1, 13, 45, tzinfo=utc)  # Z and +0000
    assert leads[1][1:3] == ('Anna "Ann" Smith', "Multi\nLine Co")  # doubled quote, newline
    assert leads[1][4] is True and leads[1][5] == date(2024, 5, 3)
    assert leads[1][6] == datetime(2024, 5, 2, 1, 2, 3, tzinfo=utc)
    assert leads[2][3] is None and leads[2][4] is True and leads[2][7] is None  # empty → null, TRUE
    assert "00Q5g0000000002EAA" not in {r[0] for r in leads}
    opp = rows(db, "SELECT Name, Amount, IsClosed, IsWon, AccountId FROM Opportunity ORDER BY Id")
    assert opp == [
        ("Big, deal", Decimal("125000.50"), True, True, "0015g0000000001AAA"),
        ("No amount", None, False, False, None),
    ]
    assert rows(db, 'SELECT Name FROM "User"') == [("李明",)]  # no BOM
    assert rows(db, "SELECT count(*) FROM Task") == [(0,)]  # missing object: empty table
    marks = dict(rows(db, "SELECT object, row_count FROM _kpibot_objects"))
    assert marks["Lead"] == 3 and marks["Task"] == 0
    assert rows(db, "SELECT source FROM _kpibot_snapshot")[0][0].startswith("export:")


def test_zip_loads_like_the_folder(tmp_path: Path) -> None:
    zpath = tmp_path / "export.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in EDGE.iterdir():
            zf.write(f, f"WE_00D5g000000abcd_1/{f.name}")
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    load_export(EDGE, a)
    load_export(zpath, b)
    q = "SELECT * FROM Lead ORDER BY Id"
    assert rows(a, q) == rows(b, q)
    assert not list(tmp_path.glob("export-*"))  # the unpacked copy is removed


BAD = [
    # (file, content, expected message parts)
    pytest.param(
        "Lead.csv",
        "Id,Name,CreatedDate,IsConverted\n00Q5g0000000001EAA,x,2024-05-01T00:00:00Z,false\n",
        ["Lead.csv, line 1: required column OwnerId is missing"],
        id="missing-required-column",
    ),
    pytest.param(
        "Lead.csv",
        leads_csv(2)
        .replace("Lead 2,", '"Lead\n2\nthree",')
        .replace("2024-05-01T13:45:00.000Z,\n", "2024-05-01T13:45:00.000Z,\n", 1)
        + LEAD_ROW.format(n=3).replace("2024-05-01T13:45:00.000Z", "2024-02-30T10:00:00Z")
        + "\n",
        [
            'Lead.csv, line 6, column CreatedDate: "2024-02-30T10:00:00Z" is not a datetime',
            "physical lines",
        ],
        id="bad-date-after-multiline-field",
    ),
    pytest.param(
        "Lead.csv",
        leads_csv(3) + LEAD_ROW.format(n=2) + "\n",
        ["Lead.csv, line 5, column Id: duplicate Id 00Q5g0000000002EAA (first on line 3"],
        id="duplicate-id",
    ),
    pytest.param(
        "Lead.csv",
        leads_csv(2).replace("Open,false", "Open,yes", 1),
        ['Lead.csv, line 2, column IsConverted: "yes" is not true/false or 1/0'],
        id="bad-boolean",
    ),
    pytest.param(
        "Opportunity.csv",
        "Id,Name,OwnerId,StageName,Amount,CloseDate,IsClosed,IsWon,CreatedDate\n"
        "0065g0000000001AAA,A,0055g0000000001AAA,Prospecting,12k,2024-06-30,false,false,2024-05-01T00:00:00Z\n",
        ['Opportunity.csv, line 2, column Amount: "12k" is not a number'],
        id="bad-number",
    ),
    pytest.param(
        "Lead.csv",
        leads_csv(2).replace("Open,false", "", 1),
        ["Lead.csv, line 2: has 12 fields, the header has 13"],
        id="short-row",
    ),
    pytest.param(
        "Lead.csv",
        leads_csv(2).replace("Lead 2", '"Lead 2', 1),
        ["Lead.csv, line 3: is not valid CSV"],
        id="unterminated-quote",
    ),
    pytest.param(
        "Lead.csv",
        leads_csv(2).replace("Lead 2", "Lead \udce9", 1),
        ["Lead.csv, line 3: is not UTF-8"],
        id="not-utf8",
    ),
    pytest.param(
        "Lead.csv",
        leads_csv(2).replace("0055g0000000001AAA", "", 1),
        ["Lead.csv, line 2, column OwnerId: OwnerId is empty"],
        id="empty-required-value",
    ),
]


@pytest.mark.parametrize(("name", "content", "expected"), BAD)
def test_bad_input_names_file_line_column(
    tmp_path: Path, name: str, content: str, expected: list[str]
) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / name).write_bytes(content.encode("utf-8", errors="surrogateescape"))
    with pytest.raises(ExportError) as exc:
        load_export(folder, tmp_path / "k.duckdb")
    for part in expected:
        assert part in str(exc.value)


def test_failed_load_leaves_previous_cache_exactly(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    load_export(EDGE, db)
    target = current_target(db)
    assert target is not None
    before = target.read_bytes()
    files_before = sorted(p.name for p in (tmp_path / "k.duckdb.d").iterdir())
    bad = write_export(tmp_path / "bad", {"Lead.csv": leads_csv(3) + LEAD_ROW.format(n=1) + "\n"})
    with pytest.raises(ExportError):
        load_export(bad, db)
    assert current_target(db) == target
    assert target.read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "k.duckdb.d").iterdir()) == files_before
    assert rows(db, "SELECT count(*) FROM Lead") == [(3,)]


def test_duplicate_task_id_refused_and_cache_kept(tmp_path: Path) -> None:
    """Tables have no primary-key index (cache/schema.py): the loader's grouped check refuses a
    Task Id seen twice (here the second time with a trailing space), in one clear sentence, and
    the cache stays exactly as it was."""
    db = tmp_path / "k.duckdb"
    load_export(EDGE, db)
    target = current_target(db)
    assert target is not None
    before = target.read_bytes()
    row = "00T5g00000000{n:02d}AAA,0055g0000000001AAA,Call,2024-05-{n:02d}T10:00:00.000Z\n"
    tasks = "Id,OwnerId,TaskSubtype,CreatedDate\n" + "".join(row.format(n=n) for n in range(1, 5))
    tasks += row.format(n=2).replace("AAA,", "AAA ,", 1)
    bad = write_export(tmp_path / "bad", {"Task.csv": tasks})
    res = CliRunner().invoke(app, ["load", str(bad), "--db", str(db)])
    assert res.exit_code == 1
    # header line 1, the Ids 01–04 on lines 2–5, the repeated 02 on line 6
    assert "Task.csv, line 6, column Id: duplicate Id 00T5g0000000002AAA (first on line 3" in (
        res.stderr
    )
    assert "Traceback" not in res.output
    assert current_target(db) == target
    assert target.read_bytes() == before


def test_cli_exit_codes_and_clean_messages(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "k.duckdb")
    ok = runner.invoke(app, ["load", str(EDGE), "--db", db])
    assert ok.exit_code == 0, ok.output
    assert "Lead" in ok.stdout and "Campaign.csv" in ok.stdout
    assert "Ignored columns" not in ok.stdout  # Rating__c is kept (docs/field-search.md)
    assert "Warning: no file for Account" in ok.stdout
    bad = write_export(
        tmp_path / "bad", {"Lead.csv": leads_csv(2).replace("Open,false", "Open,maybe")}
    )
    res = runner.invoke(app, ["load", str(bad), "--db", db])
    assert res.exit_code == 1
    assert "the cache is unchanged" in res.stderr and "column IsConverted" in res.stderr
    assert "Traceback" not in res.output
    missing = runner.invoke(app, ["load", str(tmp_path / "nope"), "--db", db])
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    not_export = tmp_path / "x.txt"
    not_export.write_text("hello")
    res = runner.invoke(app, ["load", str(not_export), "--db", db])
    assert res.exit_code == 1 and "not a folder or a .zip" in res.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    res = runner.invoke(app, ["load", str(empty), "--db", db])
    assert res.exit_code == 1 and "no CSV file of a cached object" in res.stderr


def test_two_files_for_one_object_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "e"
    shutil.copytree(EDGE, folder)
    (folder / "sub").mkdir()
    shutil.copy(EDGE / "Lead.csv", folder / "sub" / "lead.csv")
    with pytest.raises(ExportError, match="two files for Lead, Lead.csv and sub/lead.csv"):
        load_export(folder, tmp_path / "k.duckdb")


def test_loaded_cache_is_a_plain_duckdb_file(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    load_export(EDGE, db)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM Opportunity").fetchone() == (2,)
    con.close()
