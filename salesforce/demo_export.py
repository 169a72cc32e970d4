"""Write a cache snapshot out as a Salesforce-style Data Export (one ``Object.csv`` per table,
API names as headers, UTC datetimes as ``2024-05-01T13:45:00.000Z``, ``IsDeleted`` false).

Used to benchmark `kpibot load` on the demo org and to test that demo → export → load gives the
same data back.

>>> write_export(Path("data/kpibot.duckdb"), Path("out/export"))  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from cache import schema
from cache.snapshot import SnapshotReader


def _column(f: schema.Field) -> str:
    col = f'"{f.name}"'
    if f.type == schema.DATETIME:
        return f"strftime(timezone('UTC', {col}), '%Y-%m-%dT%H:%M:%S.%gZ') AS {col}"
    return col


def write_export(db_path: Path, out: Path) -> dict[str, Path]:
    """Write every table of the current snapshot to ``out/<Object>.csv``."""
    out.mkdir(parents=True, exist_ok=True)
    reader = SnapshotReader(db_path)
    files = {}
    try:
        cur = reader.cursor()
        cur.execute("SET enable_progress_bar_print = false")
        for obj in schema.owned_by(schema.SALESFORCE):
            cols = ", ".join(_column(f) for f in obj.fields)
            path = out / f"{obj.name}.csv"
            cur.execute(
                f'COPY (SELECT {cols}, false AS IsDeleted FROM "{obj.name}" ORDER BY Id) '
                f"TO '{path}' (HEADER, DELIMITER ',', QUOTE '\"', FORCE_QUOTE *)"
            )
            files[obj.name] = path
    finally:
        reader.close()
    return files
