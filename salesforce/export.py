"""`kpibot load PATH`: load a Salesforce Data Export (a folder or .zip of ``Object.csv`` files
with API field names as headers) into a fresh cache snapshot.

DuckDB reads each file as text (``all_varchar``) twice, streaming: a first pass checks every
value with SQL, a second converts and inserts the rows (so memory stays bounded whatever the file
size). Only when a check fails is the file read into a table that keeps file order, to find the
line. Any problem
raises ``ExportError`` naming the file, the physical line and the column; the snapshot being
built is then discarded and the previous cache stays exactly as it was (cache/snapshot.py).
See docs/data-export.md.

>>> load_export(Path("export.zip"), Path("data/kpibot.duckdb"))  # doctest: +SKIP
"""

from __future__ import annotations

import re
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from cache import schema
from cache.lake import LakeTarget
from cache.snapshot import SnapshotWriter, open_writer
from salesforce.csvcheck import (
    LINE_NOTE,
    MAX_RECORD_BYTES,
    column_label,
    find_structure_error,
    record_lines,
)
from salesforce.errors import ExportError
from salesforce.export_source import ArchiveLimits, find_in_folder, find_in_zip, unpack

# (file name, what is happening, bytes of that file done, bytes of that file)
Progress = Callable[[str, str, int, int], None]


# DuckDB's buffer pool may otherwise grow to 80% of RAM: it keeps every block it wrote until it
# runs short. Capped, it writes them out and spills big joins (the derived tables' rebuild) to
# disk; the load then peaks under 2 GB at 10M Tasks (docs/benchmarks.md).
MEMORY_LIMIT: str | None = "1536MB"

# The tables a Data Export fills: the ones Salesforce owns (other sources' tables are not its).
OBJECTS = schema.owned_by(schema.SALESFORCE)

DEFAULT_LIMITS = ArchiveLimits()


@dataclass(frozen=True)
class LoadSummary:
    rows: dict[str, int]
    deleted_skipped: dict[str, int]
    missing_objects: tuple[str, ...]  # cache objects the export has no file for (left empty)
    ignored_files: tuple[str, ...]
    ignored_columns: dict[str, tuple[str, ...]]
    data_as_of: datetime


def _bool_sql(col: str) -> str:
    v = f"lower(trim({col}))"
    return f"CASE WHEN {v} IN ('true', '1') THEN true WHEN {v} IN ('false', '0') THEN false END"


def _convert_sql(ftype: str, col: str) -> str:
    """SQL turning the text column ``col`` into ``ftype``; NULL where it does not parse."""
    v = f"NULLIF(trim({col}), '')"
    if ftype == schema.BOOL:
        return _bool_sql(col)
    if ftype == schema.DATETIME:
        # The export's own form first (a fixed-format parse is several times faster), then any
        # ISO 8601 form DuckDB knows, such as the REST API's 2024-05-01T13:45:00.000+0000.
        fast = f"try_strptime({v}, '%Y-%m-%dT%H:%M:%S.%gZ')::TIMESTAMPTZ"
        return f"coalesce({fast}, TRY_CAST({v} AS TIMESTAMPTZ))"
    if ftype in (schema.DATE, schema.MONEY, schema.INT, schema.NUMBER):
        return f"TRY_CAST({v} AS {ftype})"
    return f"NULLIF({col}, '')"


_EXPECTED = {
    schema.BOOL: "true/false or 1/0",
    schema.DATETIME: "a datetime like 2024-05-01T13:45:00.000Z",
    schema.DATE: "a date like 2024-05-01",
    schema.MONEY: "a number like 1234.50",
    schema.INT: "a whole number",
}


def load_export(
    path: Path,
    db_path: Path,
    *,
    progress: Progress | None = None,
    wait: float = 600.0,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    tz: str | None = None,
    lake: LakeTarget | None = None,
) -> LoadSummary:
    """Load the export at ``path`` as the cache's new snapshot (all objects replaced).
    ``tz``: the org's time zone (the days of cache/derived.py's tables); ``lake``: also publish
    it as Parquet there (``engine: spark``)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(str(path))
    source = f"export:{path.resolve()}"
    now = datetime.now(UTC)
    with ExitStack() as stack:
        if path.is_dir():
            found, zf = find_in_folder(path), None
        elif zipfile.is_zipfile(path):
            zf = stack.enter_context(_open_zip(path))
            found = find_in_zip(zf, path, limits)
        else:
            raise ExportError(f"{path}: not a folder or a .zip file of a Salesforce Data Export")
        if not found.files:
            raise ExportError(
                f"{path}: no CSV file of a cached object "
                f"(expected some of {', '.join(o.name + '.csv' for o in OBJECTS)})"
            )
        w = stack.enter_context(
            open_writer(Path(db_path), source=source, fresh=True, wait=wait, tz=tz, lake=lake)
        )
        if zf is None:
            files = {obj: path.resolve() / rel for obj, rel in found.files.items()}
        else:
            # Unpacked only now, holding the writer lock: a killed load's copy is the next
            # writer's to remove.
            files = unpack(zf, path, found, w.scratch("export"))
        rows, deleted, ignored_cols = _load_all(w, files, source, now, progress)
    missing = tuple(o.name for o in OBJECTS if o.name not in files and not o.needed_by)
    return LoadSummary(rows, deleted, missing, found.ignored, ignored_cols, now)


@contextmanager
def _open_zip(path: Path) -> Iterator[zipfile.ZipFile]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise ExportError(f"{path.name}: not a readable .zip file ({e})") from None
    with zf:
        yield zf


def _load_all(
    w: SnapshotWriter,
    files: dict[str, Path],
    source: str,
    now: datetime,
    progress: Progress | None,
) -> tuple[dict[str, int], dict[str, int], dict[str, tuple[str, ...]]]:
    rows: dict[str, int] = {}
    deleted: dict[str, int] = {}
    ignored_cols: dict[str, tuple[str, ...]] = {}
    w.con.execute("SET TimeZone = 'UTC'")  # a datetime without offset is UTC, as exported
    # DuckDB draws its own bar on the terminal otherwise; the CLI draws ours.
    w.con.execute("SET enable_progress_bar_print = false")
    if MEMORY_LIMIT:
        w.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    for obj in OBJECTS:
        f = files.get(obj.name)
        if f is not None:
            loaded = _load_file(w.con, obj, f, progress)
            rows[obj.name], deleted[obj.name] = loaded[0], loaded[1]
            if loaded[2]:
                ignored_cols[f.name] = loaded[2]
        w.mark_refreshed(obj.name, source=source, refreshed_at=now)
    return rows, deleted, ignored_cols


def _csv(f: Path) -> tuple[str, list[str]]:
    """The file as a DuckDB relation of text columns (read as it streams, never held whole)."""
    return (
        "read_csv(?, all_varchar = true, header = true, delim = ',', quote = '\"', "
        "escape = '\"', strict_mode = true, null_padding = false, encoding = 'utf-8', "
        f"max_line_size = {MAX_RECORD_BYTES})",
        [str(f)],
    )


def _unreadable(f: Path) -> ExportError:
    # DuckDB's message quotes the offending line and counts lines its own way: never shown.
    problem = find_structure_error(f)
    if problem is not None:
        line, column, why = problem
        at = f", column {column}" if column else ""
        return ExportError(f"{f.name}, line {line}{at}: {why} ({LINE_NOTE})")
    return ExportError(
        f"{f.name}: cannot be read as CSV; save it as comma-separated UTF-8 text, "
        "as Salesforce exports it"
    )


def _load_file(
    con: duckdb.DuckDBPyConnection, obj: schema.SObject, f: Path, progress: Progress | None
) -> tuple[int, int, tuple[str, ...]]:
    """Check every value of ``f`` in one streaming pass, then insert it in a second one.

    Neither pass holds the file: the largest export file (2 GB of Tasks at 10M) would
    otherwise sit in memory as text while it is checked. Only when a check fails is the file
    read into a table, in file order, to say on which line."""
    size = f.stat().st_size
    if progress:
        progress(f.name, "reading", 0, size)
    src, params = _csv(f)
    try:
        header = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}", params).fetchall()]
    except duckdb.Error:
        raise _unreadable(f) from None
    cols = _match_columns(obj, header, f)
    extra = tuple(h for h in header if h not in cols.values() and h.lower() != "isdeleted")
    keep, checks = _row_checks(obj, header, cols)
    total = _check_pass(con, obj, f, (src, params), checks, size, progress)
    kept_extra = _insert_pass(con, obj, f, (src, params), cols, extra, keep, size, progress)
    (kept,) = con.execute(f'SELECT count(*) FROM "{obj.table}"').fetchone()  # type: ignore[misc]
    if progress:
        progress(f.name, "done", size, size)
    added = {h for h, _ in kept_extra}
    return int(kept), total - int(kept), tuple(h for h in extra if h not in added)


def _row_checks(
    obj: schema.SObject, header: list[str], cols: dict[str, str]
) -> tuple[str, list[tuple[str, str, str]]]:
    """(SQL true on a row to keep — not deleted, the checks: SQL true on a bad row, its
    column, the message)."""
    keep = "true"
    checks: list[tuple[str, str, str]] = []
    deleted_col = next((h for h in header if h.lower() == "isdeleted"), None)
    if deleted_col is not None:
        checks.append(_bad_value(deleted_col, schema.BOOL, "true"))
        keep = f"NOT coalesce({_bool_sql(_q(deleted_col))}, false)"
    for fld in obj.fields:
        src_col = cols.get(fld.name)
        if src_col is None:
            continue
        if fld.type != schema.TEXT:
            checks.append(_bad_value(src_col, fld.type, keep))
        if fld.required:
            bad = f"({keep}) AND NULLIF(trim({_q(src_col)}), '') IS NULL"
            checks.append((bad, src_col, f"{fld.name} is empty"))
    return keep, checks


def _check_pass(
    con: duckdb.DuckDBPyConnection,
    obj: schema.SObject,
    f: Path,
    csv_src: tuple[str, list[str]],
    checks: list[tuple[str, str, str]],
    size: int,
    progress: Progress | None,
) -> int:
    """The first pass: the file's row count, every check at once; the first problem found
    (read whole only then, to say on which line) raises."""
    src, params = csv_src
    flags = "".join(f", bool_or({bad})" for bad, _, _ in checks)
    try:
        with _watch(con, f.name, "reading", size, 0.0, 0.5, progress):
            row = con.execute(f"SELECT count(*){flags} FROM {src}", params).fetchone()
    except duckdb.Error:
        raise _unreadable(f) from None
    assert row is not None
    if progress:
        progress(f.name, "checking", size // 2, size)
    if any(row[1:]):
        with _read_whole(con, obj, f) as raw:
            _first_problem(con, raw, f, checks)
    return int(row[0])


def _insert_pass(
    con: duckdb.DuckDBPyConnection,
    obj: schema.SObject,
    f: Path,
    csv_src: tuple[str, list[str]],
    cols: dict[str, str],
    extra: tuple[str, ...],
    keep: str,
    size: int,
    progress: Progress | None,
) -> list[tuple[str, str]]:
    """The second pass: the kept rows inserted, typed, with the extra columns kept (those
    returned, with their types); Ids equal once trimmed raise."""
    src, params = csv_src
    select = ", ".join(
        _convert_sql(fld.type, _q(cols[fld.name])) if fld.name in cols else "NULL"
        for fld in obj.fields
    )
    kept_extra = _add_extra_columns(con, obj, csv_src, extra, keep)
    select += "".join(f", {_convert_sql(t, _q(h))}" for h, t in kept_extra)
    # By name: the table has columns of kpibot's own too (the owner key, cache/owner_keys.py)
    names = ", ".join(_q(n) for n in [*obj.field_names, *(h for h, _ in kept_extra)])
    with _watch(con, f.name, "loading", size, 0.6, 0.4, progress):
        con.execute(
            f'INSERT INTO "{obj.table}" ({names}) SELECT {select} FROM {src} WHERE {keep}',
            params,
        )
    if _has_equal_ids(con, obj.table):
        with _read_whole(con, obj, f) as raw:
            _check_unique_ids(con, raw, f, cols["Id"], keep)
    return kept_extra


def _has_equal_ids(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether two rows of ``table`` may have Ids equal once trimmed: their 64-bit hashes are.

    The cache's tables carry no primary-key index (cache/schema.py): an index of 50M Task Ids
    outgrew the loader's memory cap. A grouping of 8-byte hashes is a fraction of the Ids' size
    and spills to disk when it must; a true answer is confirmed on the file's text
    (``_check_unique_ids``), so a collision of two hashes only costs that slower look."""
    twice = f'SELECT hash(trim("Id")) AS h FROM "{table}" GROUP BY h HAVING count(*) > 1'
    return con.execute(f"SELECT 1 FROM ({twice}) LIMIT 1").fetchone() is not None


# A column the schema does not list (a custom field such as Region__c, or a standard field kpibot
# does not use) is kept, typed by what its values all are: the first type every non-empty value
# parses as, else text. Field search (docs/field-search.md) makes each one askable.
_INFERRED = (
    (schema.BOOL, "lower(trim(v)) IN ('true', 'false')"),
    (schema.DATE, "regexp_full_match(trim(v), '\\d{4}-\\d{2}-\\d{2}')"),
    (schema.DATETIME, "regexp_full_match(trim(v), '\\d{4}-\\d{2}-\\d{2}T[0-9:.]+Z')"),
    (schema.NUMBER, "TRY_CAST(trim(v) AS DOUBLE) IS NOT NULL"),
)


def _add_extra_columns(
    con: duckdb.DuckDBPyConnection,
    obj: schema.SObject,
    csv_src: tuple[str, list[str]],
    extra: tuple[str, ...],
    keep: str,
) -> list[tuple[str, str]]:
    """Add the export's other columns to the object's table; (header, type) of each added.
    Columns are named as in the header; one whose name differs only in case from a schema field
    (or from another column) is left out, as DuckDB names are case-insensitive. Their types are
    read in one streaming pass over the file."""
    taken = {f.name.lower() for f in obj.fields}
    names: list[str] = []
    for h in sorted(extra, key=lambda c: (not c.endswith("__c"), c)):
        if h.lower() in taken or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", h):
            continue
        taken.add(h.lower())
        names.append(h)
    if not names:
        return []
    probes: list[str] = []
    for h in names:
        v = f"NULLIF(trim({_q(h)}), '')"
        probes.append(f"count({v})")
        probes += [
            f"bool_and({t.replace('trim(v)', v)}) FILTER (WHERE {v} IS NOT NULL)"
            for _, t in _INFERRED
        ]
    src, params = csv_src
    row = con.execute(f"SELECT {', '.join(probes)} FROM {src} WHERE {keep}", params).fetchone()
    assert row is not None
    added: list[tuple[str, str]] = []
    width = 1 + len(_INFERRED)
    for i, h in enumerate(names):
        n, *oks = row[i * width : (i + 1) * width]
        ftype = next((t for (t, _), ok in zip(_INFERRED, oks, strict=True) if ok), schema.TEXT)
        ftype = ftype if n else schema.TEXT
        con.execute(f'ALTER TABLE "{obj.table}" ADD COLUMN {_q(h)} {ftype}')
        added.append((h, ftype))
    return added


@contextmanager
def _read_whole(con: duckdb.DuckDBPyConnection, obj: schema.SObject, f: Path) -> Iterator[str]:
    """``f`` as a scratch table in file order (rowid = record number), for locating a problem."""
    raw = f"_raw_{obj.name}"
    src, params = _csv(f)
    con.execute(f'CREATE OR REPLACE TEMP TABLE "{raw}" AS SELECT * FROM {src}', params)
    try:
        yield raw
    finally:
        con.execute(f'DROP TABLE IF EXISTS "{raw}"')


@contextmanager
def _watch(
    con: duckdb.DuckDBPyConnection,
    name: str,
    step: str,
    size: int,
    start: float,
    share: float,
    progress: Progress | None,
) -> Iterator[None]:
    """Report DuckDB's own progress of the statement run inside, as a share of the file."""
    if progress is None:
        yield
        return
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(0.25):
            pct = con.query_progress()
            if pct >= 0:
                progress(name, step, int(size * (start + share * pct / 100)), size)

    con.execute("SET enable_progress_bar = true")
    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _match_columns(obj: schema.SObject, header: list[str], f: Path) -> dict[str, str]:
    """Schema field → CSV header (exact name, else the same name in another case)."""
    exact = set(header)
    lower = {h.lower(): h for h in header}
    cols: dict[str, str] = {}
    for fld in obj.fields:
        if fld.name in exact:
            cols[fld.name] = fld.name
        elif fld.name.lower() in lower:
            cols[fld.name] = lower[fld.name.lower()]
        elif fld.required:
            names = [column_label(header, k) for k in range(min(len(header), 12))]
            raise ExportError(
                f"{f.name}, line 1: required column {fld.name} is missing "
                f"(the header has {', '.join(names)}{', …' if len(header) > 12 else ''})"
            )
    return cols


def _bad_value(col: str, ftype: str, keep: str) -> tuple[str, str, str]:
    c = _q(col)
    bad = f"({keep}) AND NULLIF(trim({c}), '') IS NOT NULL AND ({_convert_sql(ftype, c)}) IS NULL"
    return bad, col, f"is not {_EXPECTED[ftype]}"


def _where(f: Path, ordinal: int) -> str:
    line = record_lines(f, [ordinal]).get(ordinal)
    return f"{f.name}, line {line}" if line else f"{f.name}, record {ordinal + 1}"


def _first_problem(
    con: duckdb.DuckDBPyConnection, raw: str, f: Path, checks: list[tuple[str, str, str]]
) -> None:
    """Run every check in one pass over the file; report the problem nearest its top."""
    if not checks:
        return
    firsts = con.execute(
        "SELECT "
        + ", ".join(f"min(rowid) FILTER (WHERE {bad})" for bad, _, _ in checks)
        + f' FROM "{raw}"'
    ).fetchone()
    assert firsts is not None
    found = [(int(r), i) for i, r in enumerate(firsts) if r is not None]
    if not found:
        return
    ordinal, i = min(found)
    _, col, message = checks[i]
    (value,) = con.execute(f'SELECT {_q(col)} FROM "{raw}" WHERE rowid = ?', [ordinal]).fetchone()  # type: ignore[misc]
    shown = f"{_shown(value)}{message}" if message.startswith("is not") else message
    raise ExportError(f"{_where(f, ordinal)}, column {col}: {shown} ({LINE_NOTE})")


_VALUE_SHAPE = re.compile(r"[\w .,:+\-/%$€¥£]{1,40}")


def _shown(value: str, quote: str = '"', other: str = "the value ") -> str:
    """A bad cell is quoted when it looks like a value someone typed (short, one line), so it
    can be found and fixed; anything else is the file's contents, which errors never echo."""
    return f"{quote}{value}{quote} " if _VALUE_SHAPE.fullmatch(value) else other


def _check_unique_ids(
    con: duckdb.DuckDBPyConnection, raw: str, f: Path, col: str, keep: str
) -> None:
    c = _q(col)
    dup = con.execute(
        f'SELECT 1 FROM "{raw}" WHERE {keep} GROUP BY trim({c}) HAVING count(*) > 1 LIMIT 1'
    )
    if dup.fetchone() is None:
        return
    row = con.execute(
        f"SELECT min(rowid), max(rowid), any_value(v) FROM ("
        f"  SELECT rowid, {c} AS v, row_number() OVER (PARTITION BY trim({c}) ORDER BY rowid) AS k"
        f'  FROM "{raw}" WHERE {keep}) WHERE k <= 2 GROUP BY trim(v) HAVING count(*) = 2 '
        f"ORDER BY max(rowid) LIMIT 1"
    ).fetchone()
    if row is not None:
        first, second = int(row[0]), int(row[1])
        lines = record_lines(f, [first, second])
        raise ExportError(
            f"{f.name}, line {lines.get(second, second + 2)}, column {col}: duplicate Id "
            f"{_shown(str(row[2]).strip(), quote='', other='')}"
            f"(first on line {lines.get(first, first + 2)}; {LINE_NOTE})"
        )
