"""The slice of SOQL the emulator understands: what a sync client sends, answered like Salesforce.

``SELECT f1, f2 | COUNT() FROM Obj [WHERE f op literal [AND …]] [ORDER BY f [ASC|DESC], …]
[LIMIT n]`` with unquoted datetime / date literals, true / false / null, 'strings' and numbers.
Anything else is MALFORMED_QUERY; unknown fields INVALID_FIELD (with Salesforce's
"No such column" wording); unknown objects INVALID_TYPE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tests.sf_emulator.org import ObjectSpec, ms_of


class SoqlError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


_QUERY = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<obj>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?"
    r"(?:\s+ORDER\s+BY\s+(?P<order>.+?))?"
    r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.I | re.S,
)
_COND = re.compile(r"^\s*(\w+)\s*(>=|<=|!=|=|<|>)\s*(.+?)\s*$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_OPS = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


@dataclass(frozen=True)
class Query:
    obj: str
    fields: tuple[str, ...]
    count: bool
    conds: tuple[tuple[str, str, Any], ...]
    order: tuple[tuple[str, bool], ...]  # (field, descending)
    limit: int | None

    def bounds(self, field: str) -> tuple[int | None, int | None]:
        """The [lower, upper) range the WHERE puts on ``field`` (ms), None where open."""
        lo = hi = None
        for f, op, v in self.conds:
            if f == field and isinstance(v, int):
                if op in (">=", ">"):
                    lo = v if lo is None else max(lo, v)
                elif op in ("<", "<="):
                    hi = v if hi is None else min(hi, v)
        return lo, hi


def _no_column(field: str, obj: str) -> SoqlError:
    return SoqlError(
        "INVALID_FIELD",
        f"\n{field}\n^\nERROR at Row:1:Column:8\nNo such column '{field}' on entity '{obj}'. "
        "If you "
        "are attempting to use a custom field, be sure to append the '__c' after the custom field "
        "name. Please reference your WSDL or the describe call for the appropriate names.",
    )


def parse(text: str, specs: dict[str, ObjectSpec], hidden: set[str]) -> Query:
    m = _QUERY.match(text)
    if not m:
        raise SoqlError("MALFORMED_QUERY", f"unexpected token in: {text[:80]}")
    obj = m.group("obj")
    if obj not in specs:
        raise SoqlError("INVALID_TYPE", f"sObject type '{obj}' is not supported.")
    spec = specs[obj]

    def known(f: str) -> str:
        if f not in spec.index or f"{obj}.{f}" in hidden:
            raise _no_column(f, obj)
        return f

    raw_fields = m.group("fields").strip()
    count = raw_fields.upper().replace(" ", "") == "COUNT()"
    fields: tuple[str, ...] = ()
    if not count:
        parts = [p.strip() for p in raw_fields.split(",")]
        if not all(re.fullmatch(r"\w+", p) for p in parts):
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: {raw_fields[:40]}")
        fields = tuple(known(p) for p in parts)
    conds = []
    if m.group("where"):
        for part in re.split(r"\s+AND\s+", m.group("where"), flags=re.I):
            c = _COND.match(part)
            if not c:
                raise SoqlError("MALFORMED_QUERY", f"unexpected token: {part.strip()[:40]}")
            f = known(c.group(1))
            conds.append((f, c.group(2), _literal(c.group(3), spec.types[f])))
    order = []
    if m.group("order"):
        for part in m.group("order").split(","):
            words = part.split()
            if (
                not words
                or len(words) > 2
                or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC"))
            ):
                raise SoqlError("MALFORMED_QUERY", f"unexpected token: {part.strip()[:40]}")
            order.append((known(words[0]), len(words) == 2 and words[1].upper() == "DESC"))
    limit = int(m.group("limit")) if m.group("limit") else None
    return Query(obj, fields, count, tuple(conds), tuple(order), limit)


def _literal(text: str, ftype: str) -> Any:
    t = text.strip()
    if t.lower() == "null":
        return None
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    if t.startswith("'") and t.endswith("'") and len(t) >= 2:
        return t[1:-1].replace("\\'", "'")
    if _DATETIME.match(t):
        if ftype != "datetime":
            raise SoqlError("INVALID_FIELD", f"value of filter criterion must be of type {ftype}")
        return ms_of(datetime.fromisoformat(t.replace("Z", "+00:00")))
    if _DATE.match(t):
        return t
    try:
        return float(t) if "." in t else int(t)
    except ValueError:
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: {t[:40]}") from None


def run(
    q: Query, spec: ObjectSpec, rows: list[tuple[Any, ...]], include_deleted: bool
) -> list[tuple[Any, ...]]:
    """The matching records (whole tuples), ordered and limited."""
    deleted_i = spec.index.get("IsDeleted")
    checks = [(spec.index[f], _OPS[op], v) for f, op, v in q.conds]
    out = []
    for r in rows:
        if not include_deleted and deleted_i is not None and r[deleted_i]:
            continue
        ok = True
        for i, fn, v in checks:
            x = r[i]
            if x is None or v is None:
                same = x is None and v is None
                ok = same if fn is _OPS["="] else (not same if fn is _OPS["!="] else False)
            else:
                ok = fn(x, v)
            if not ok:
                break
        if ok:
            out.append(r)
    for f, desc in reversed(q.order):
        i = spec.index[f]
        out.sort(key=lambda r, i=i: (r[i] is None, r[i]), reverse=desc)
    return out[: q.limit] if q.limit is not None else out
