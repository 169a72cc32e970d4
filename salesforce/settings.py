"""Settings for bringing data in from Salesforce (the ``salesforce:`` key of app.yaml)."""

from __future__ import annotations

import re
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """``"15m"`` → 15 minutes; units s, m, h, d."""
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f'"{text}" is not a duration; write e.g. "15m", "1h", "1d"')
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


class SalesforceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # How often `kpibot serve` syncs; "0" or null turns scheduled syncs off.
    sync_every: str | None = "15m"
    api_version: str = "59.0"
    # Records re-read before the watermark on every incremental run (late commits).
    overlap: str = "5m"
    # Objects at or above this many records are loaded with Bulk API 2.0 on the first run.
    bulk_threshold: int = Field(10_000, ge=0)
    # Orgs that keep call results in custom fields: {"Task.CallDisposition": "Call_Result__c"}.
    field_map: dict[str, str] = Field(default_factory=dict)

    @field_validator("sync_every", "overlap")
    @classmethod
    def _duration(cls, v: str | None) -> str | None:
        if v is None or str(v).strip() in {"0", ""}:
            return None
        parse_duration(str(v))
        return str(v)

    @field_validator("field_map")
    @classmethod
    def _field_map(cls, v: dict[str, str]) -> dict[str, str]:
        from cache.schema import BY_NAME

        for key, target in v.items():
            obj, _, fld = key.partition(".")
            if obj not in BY_NAME or fld not in BY_NAME[obj].field_names:
                raise ValueError(
                    f'"{key}" is not a cached field (write Object.Field, e.g. Task.CallDisposition)'
                )
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", target):
                raise ValueError(f'"{target}" is not a Salesforce field API name')
        return v


class ExportSettings(BaseModel):
    """Limits on a Data Export zip (the ``export:`` key of app.yaml); docs/data-export.md."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The object files of a zip may unpack to at most this many gigabytes (10⁹ bytes) in all.
    max_unpacked_gb: float = Field(50.0, gt=0)
    # …and each to at most this multiple of its packed size (CSV packs 5–20×; bombs 1000×).
    max_ratio: float = Field(200.0, ge=1)
