"""Where in a CSV file a record starts, for error messages.

DuckDB reads the files (fast); only when something is wrong do we walk the file with Python's
csv module to turn a record number into the physical line it starts on. A quoted field that
spans several lines counts all of its lines, so the number matches what an editor shows.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

csv.field_size_limit(sys.maxsize)

LINE_NOTE = "line numbers are physical lines of the file, the header being line 1"
# DuckDB's limit on one record (its max_line_size), passed to it explicitly so that this check
# and the reader agree. Salesforce's longest field (a 131,072-character long text area) fits.
MAX_RECORD_BYTES = 2_000_000


def record_lines(path: Path, ordinals: list[int]) -> dict[int, int]:
    """Physical start line of data records (0 = the first record after the header)."""
    want = set(ordinals)
    out: dict[int, int] = {}
    if not want:
        return out
    last = max(want)
    with open(path, encoding="utf-8-sig", newline="", errors="replace") as fh:
        reader = csv.reader(fh)
        prev_end = 0
        record = -1  # the header is record -1
        for row in reader:
            start = prev_end + 1
            prev_end = reader.line_num
            if not row:  # blank line: DuckDB skips it too
                continue
            if record in want:
                out[record] = start
            if record >= last:
                break
            record += 1
    return out


def find_structure_error(path: Path) -> tuple[int, str | None, str] | None:
    """(line, column, why) of the first line Python's csv module (strict) or UTF-8 decoding
    rejects, or whose record is longer than the reader takes. Never quotes the file's contents
    beyond a column name."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, strict=True)
            header: list[str] | None = None
            prev_end = 0
            for row in reader:
                start = prev_end + 1
                prev_end = reader.line_num
                if not row:
                    continue
                too_long = _too_long(row, header)
                if too_long:
                    return start, *too_long
                if header is None:
                    header = row
                elif len(row) != len(header):
                    return start, None, f"has {len(row)} fields, the header has {len(header)}"
    except csv.Error as e:
        return reader.line_num, None, f"is not valid CSV ({e})"
    except UnicodeDecodeError:
        return _first_undecodable_line(path), None, "is not UTF-8 text (save the export as UTF-8)"
    return None


def _too_long(row: list[str], header: list[str] | None) -> tuple[str | None, str] | None:
    if sum(map(len, row)) + len(row) < MAX_RECORD_BYTES // 4:  # cheap: 4 bytes a character
        return None
    sizes = [len(v.encode("utf-8", "surrogateescape")) for v in row]
    if sum(sizes) + len(row) <= MAX_RECORD_BYTES:
        return None
    k = max(range(len(row)), key=sizes.__getitem__)
    column = column_label(header, k) if header is not None else None
    limit = f"{MAX_RECORD_BYTES / 1e6:g} MB"
    if sizes[k] > MAX_RECORD_BYTES:
        return column, f"field longer than {limit}, the most one record may hold"
    return column, f"record longer than {limit}, the most one record may hold (longest field)"


_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}")


def column_label(header: list[str], k: int) -> str:
    """A header name as it may appear in a message: an API field name, else its position (an
    arbitrary header is the file's contents, which errors never echo)."""
    name = header[k].strip() if k < len(header) else ""
    return name if _FIELD_NAME.fullmatch(name) else f"number {k + 1}"


def _first_undecodable_line(path: Path) -> int:
    # UnicodeDecodeError offsets are within the decoder's current chunk, not the file.
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return n
    return 1
