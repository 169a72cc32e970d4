"""Read a source's rows, as they are, from its files or its database.

Every row carries where it came from (file and line, or query and row) so that a bad value can be
named exactly. Values are the file's own: strings from CSV, typed values from Parquet, XLSX and
SQL; sources/importer.py converts them to the table's types.
"""

from __future__ import annotations

import csv
import glob
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sources.config import SourceConfig, file_kind


class SourceError(Exception):
    """A source could not be read or has bad rows; the message is for the user."""


@dataclass(frozen=True)
class RawRow:
    origin: str  # "spend-2024-05.csv line 4", "query row 12"
    values: dict[str, Any]  # source column → value


def read_rows(src: SourceConfig, base_dir: Path) -> Iterator[RawRow]:
    if src.sql is not None:
        yield from _read_sql(src)
        return
    assert src.file is not None
    pattern = str(
        Path(src.file).expanduser() if Path(src.file).is_absolute() else base_dir / src.file
    )
    paths = sorted(glob.glob(pattern))
    if not paths:
        raise SourceError(f"source {src.name}: no file matches {src.file}")
    for path in paths:
        kind = file_kind(path)
        reader = {"csv": _read_csv, "parquet": _read_parquet, "xlsx": _read_xlsx}[kind or "csv"]
        yield from reader(src, Path(path))


def _check_header(src: SourceConfig, where: str, header: list[str]) -> None:
    missing = [c for c in src.columns.values() if c not in header]
    if missing:
        raise SourceError(
            f"{where}: no column {', '.join(repr(m) for m in missing)} "
            f"(it has {', '.join(repr(h) for h in header) or 'no columns'})"
        )


def _read_csv(src: SourceConfig, path: Path) -> Iterator[RawRow]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = [h.strip() for h in next(reader, [])]
            _check_header(src, path.name, header)
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise SourceError(
                        f"{path.name} line {reader.line_num}: {len(row)} values for "
                        f"{len(header)} columns"
                    )
                yield RawRow(
                    f"{path.name} line {reader.line_num}", dict(zip(header, row, strict=True))
                )
    except UnicodeDecodeError as e:
        raise SourceError(f"{path.name}: not UTF-8 text ({e.reason})") from None
    except csv.Error as e:
        raise SourceError(f"{path.name}: not a CSV file ({e})") from None
    except OSError as e:
        raise SourceError(f"{path.name}: cannot be read ({e.strerror or e})") from None


def _read_parquet(src: SourceConfig, path: Path) -> Iterator[RawRow]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as e:
        raise SourceError(f"{path.name}: not a Parquet file ({str(e).splitlines()[0]})") from None
    header = table.column_names
    _check_header(src, path.name, header)
    for i, row in enumerate(table.to_pylist(), start=1):
        yield RawRow(f"{path.name} row {i}", row)


def _read_xlsx(src: SourceConfig, path: Path) -> Iterator[RawRow]:
    import zipfile

    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise SourceError(f"{path.name}: not an XLSX workbook ({e})") from None
    try:
        if src.sheet is not None and src.sheet not in book.sheetnames:
            raise SourceError(
                f"{path.name}: no sheet {src.sheet!r} (it has {', '.join(book.sheetnames)})"
            )
        sheet = book[src.sheet] if src.sheet else book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        where = f"{path.name} sheet {sheet.title}"
        _check_header(src, where, header)
        for line, row in enumerate(rows, start=2):
            if all(v is None or str(v).strip() == "" for v in row):
                continue
            yield RawRow(f"{where} line {line}", dict(zip(header, row, strict=False)))
    finally:
        book.close()


_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _url(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        value = os.environ.get(m.group(1))
        if value is None:
            raise SourceError(f"the environment variable {m.group(1)} is not set")
        return value

    return _ENV.sub(sub, text)


def _read_sql(src: SourceConfig) -> Iterator[RawRow]:
    import sqlalchemy as sa

    assert src.sql is not None
    try:
        engine = sa.create_engine(_url(src.sql.url))
    except (sa.exc.ArgumentError, ImportError) as e:
        raise SourceError(f"source {src.name}: sql.url is not a database URL ({e})") from None
    try:
        with engine.connect() as con:
            result = con.execute(sa.text(src.sql.query))
            header = list(result.keys())
            _check_header(src, f"source {src.name} (its query)", header)
            for i, row in enumerate(result, start=1):
                yield RawRow(
                    f"source {src.name} query row {i}", dict(zip(header, row, strict=True))
                )
    except sa.exc.SQLAlchemyError as e:
        first = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
        raise SourceError(f"source {src.name}: the query failed: {first}") from None
    finally:
        engine.dispose()
