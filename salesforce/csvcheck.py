"""Where in a CSV file a record starts, for error messages.

DuckDB reads the files (fast); only when something is wrong do we walk the file with Python's
csv module to turn a record number into the physical line it starts on. A quoted field that
spans several lines counts all of its lines, so the number matches what an editor shows.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

csv.field_size_limit(sys.maxsize)

LINE_NOTE = "line numbers are physical lines of the file, the header being line 1"


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


def find_structure_error(path: Path) -> tuple[int, str] | None:
    """The first line Python's csv module (strict) or UTF-8 decoding rejects, with why."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, strict=True)
            width = None
            prev_end = 0
            for row in reader:
                start = prev_end + 1
                prev_end = reader.line_num
                if not row:
                    continue
                if width is None:
                    width = len(row)
                elif len(row) != width:
                    return start, f"has {len(row)} fields, the header has {width}"
    except csv.Error as e:
        return reader.line_num, f"is not valid CSV ({e})"
    except UnicodeDecodeError:
        return _first_undecodable_line(path), "is not UTF-8 text (save the export as UTF-8)"
    return None


def _first_undecodable_line(path: Path) -> int:
    # UnicodeDecodeError offsets are within the decoder's current chunk, not the file.
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return n
    return 1
