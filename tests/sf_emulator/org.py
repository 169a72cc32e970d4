"""The emulator's in-memory org: records per object, stamped like Salesforce stamps them.

Every object has Id, CreatedDate, SystemModstamp and (except User, as in Salesforce) IsDeleted.
Records are tuples in field order (a million Tasks fit in a few hundred MB); datetimes are
integers of milliseconds since the epoch, formatted per protocol on the way out (REST:
``…000+0000``, Bulk CSV: ``…000Z``). Deleting sets IsDeleted and moves SystemModstamp, which
is what queryAll then shows.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from cache import schema

PREFIX = {
    "User": "005",
    "Account": "001",
    "Contact": "003",
    "Lead": "00Q",
    "Opportunity": "006",
    "OpportunityHistory": "008",
    "Task": "00T",
    "Event": "00U",
}
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# schema type → (Salesforce describe type, kind used for formatting)
SF_TYPES = {
    schema.ID: "string",
    schema.DATETIME: "datetime",
    schema.DATE: "date",
    schema.BOOL: "boolean",
    schema.MONEY: "currency",
    schema.INT: "int",
}


def ms_of(ts: datetime) -> int:
    return int(ts.timestamp() * 1000)


def dt_of(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def rest_dt(ms: int) -> str:
    d = dt_of(ms)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}+0000"


def csv_dt(ms: int) -> str:
    d = dt_of(ms)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


@dataclass
class ObjectSpec:
    name: str
    fields: tuple[str, ...]
    types: dict[str, str]  # field → describe type
    index: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.index = {f: i for i, f in enumerate(self.fields)}


def default_specs(extra: dict[str, dict[str, str]] | None = None) -> dict[str, ObjectSpec]:
    specs = {}
    for obj in schema.OBJECTS:
        types = {f.name: SF_TYPES.get(f.type, "string") for f in obj.fields}
        types["Id"] = "id"
        if obj.name != "User":
            types["IsDeleted"] = "boolean"
        for name, t in (extra or {}).get(obj.name, {}).items():
            types[name] = t
        specs[obj.name] = ObjectSpec(obj.name, tuple(types), types)
    return specs


class Org:
    """Records of one org. Thread-safe; ``now`` is injectable for deterministic stamps."""

    def __init__(self, extra_fields: dict[str, dict[str, str]] | None = None, now: Any = None):
        self.specs = default_specs(extra_fields)
        self.records: dict[str, dict[str, tuple[Any, ...]]] = {n: {} for n in self.specs}
        self.lock = threading.RLock()
        self._now = now or (lambda: int(time.time() * 1000))
        self._last = 0
        self._seq = itertools.count(1)

    def now_ms(self) -> int:
        """Strictly increasing: two writes never share a SystemModstamp (as with one writer)."""
        with self.lock:
            self._last = max(self._now(), self._last + 1)
            return self._last

    def new_id(self, obj: str) -> str:
        n = next(self._seq)
        body = ""
        for _ in range(12):
            n, r = divmod(n, 62)
            body = _ALNUM[r] + body
        return PREFIX[obj] + body + "AAA"

    # --- changes, the way Salesforce records them ---------------------------------------

    def insert(
        self, obj: str, values: dict[str, Any] | None = None, *, stamp: int | None = None
    ) -> str:
        spec = self.specs[obj]
        with self.lock:
            now = stamp if stamp is not None else self.now_ms()
            rec: dict[str, Any] = {f: None for f in spec.fields}
            rec.update(Id=self.new_id(obj), CreatedDate=now, SystemModstamp=now)
            if "IsDeleted" in spec.index:
                rec["IsDeleted"] = False
            rec.update(_normalise(spec, values or {}))
            self.records[obj][rec["Id"]] = tuple(rec[f] for f in spec.fields)
            return str(rec["Id"])

    def update(
        self, obj: str, rid: str, values: dict[str, Any], *, stamp: int | None = None
    ) -> None:
        spec = self.specs[obj]
        with self.lock:
            rec = list(self.records[obj][rid])
            for k, v in _normalise(spec, values).items():
                rec[spec.index[k]] = v
            rec[spec.index["SystemModstamp"]] = stamp if stamp is not None else self.now_ms()
            self.records[obj][rid] = tuple(rec)

    def delete(self, obj: str, rid: str) -> None:
        self.update(obj, rid, {"IsDeleted": True})

    def get(self, obj: str, rid: str) -> dict[str, Any]:
        spec = self.specs[obj]
        return dict(zip(spec.fields, self.records[obj][rid], strict=True))

    def live_ids(self, obj: str) -> list[str]:
        spec = self.specs[obj]
        i = spec.index.get("IsDeleted")
        return [rid for rid, r in self.records[obj].items() if i is None or not r[i]]

    def expected(
        self, obj: str, field_map: dict[str, str] | None = None, hidden: set[str] | None = None
    ) -> list[tuple[Any, ...]]:
        """What the cache table should hold: live records, schema columns, cache types, by Id."""
        sobj = schema.BY_NAME[obj]
        spec = self.specs[obj]
        hidden = hidden or set()
        out = []
        for rid in sorted(self.live_ids(obj)):
            rec = self.records[obj][rid]
            row = []
            for f in sobj.fields:
                src = (field_map or {}).get(f"{obj}.{f.name}", f.name)
                v = None if f"{obj}.{src}" in hidden else rec[spec.index[src]]
                row.append(_cache_value(f.type, v))
            out.append(tuple(row))
        return out


def _normalise(spec: ObjectSpec, values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in values.items():
        if k not in spec.index:
            raise KeyError(f"{spec.name}.{k} is not a field of the emulator's org")
        t = spec.types[k]
        if t == "datetime" and isinstance(v, datetime):
            v = ms_of(v)
        elif t == "date" and isinstance(v, date):
            v = v.isoformat()
        elif t == "currency" and v is not None:
            v = float(v)
        out[k] = v
    return out


def _cache_value(t: str, v: Any) -> Any:
    if v is None:
        return None
    if t == schema.DATETIME:
        return dt_of(v)
    if t == schema.DATE:
        return date.fromisoformat(v)
    if t == schema.MONEY:
        return Decimal(repr(float(v))).quantize(Decimal("0.01"))
    return v
