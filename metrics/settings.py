"""The org settings every KPI depends on (kpis.md names them and their defaults)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator


def _norm(values: list[str]) -> list[str]:
    return [v.strip() for v in values]


class FieldSetting(BaseModel):
    """One cached field as app.yaml shapes it for field search (docs/field-search.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    names: list[str] = Field(default_factory=list)  # other English names
    zh: list[str] = Field(default_factory=list)  # Chinese names
    hidden: bool | None = None  # None: hidden only when it is personal data


class OrgSettings(BaseModel):
    """``timezone``, ``currency``, fiscal calendar and the lists KPIs match against."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = "UTC"
    currency: str = "USD"
    fiscal_year_start_month: int = Field(1, ge=1, le=12)
    connected_dispositions: list[str] = Field(default_factory=lambda: ["Connected"])
    meeting_types: list[str] = Field(default_factory=lambda: ["Meeting", "Demo"])
    # channel name → lead sources; a source in no list (or none) is channel "other".
    channels: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "inbound": ["Web", "Website", "Inbound Call", "Content"],
            "outbound": ["Cold Call", "Outbound"],
            "partner": ["Partner", "Partner Referral"],
        }
    )

    # A rate or mean on fewer records than this is marked as a small sample (tables: †, charts:
    # muted), with the rule said once in the footer.
    min_sample_size: int = Field(20, ge=0)
    # From this share of a rate's records with an outcome still open (a converted lead's
    # opportunity not closed yet), its value is provisional: said in words, drawn hollow.
    open_outcome_share: float = Field(0.1, ge=0.0, le=1.0)
    # "Object.Field" (or "Object" for the object itself) → names and hiding for field search.
    fields: dict[str, FieldSetting] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f'"{v}" is not an IANA time zone (e.g. "Asia/Shanghai", "UTC")'
            ) from None
        if v not in available_timezones() and v != "UTC":
            raise ValueError(f'"{v}" is not an IANA time zone (e.g. "Asia/Shanghai", "UTC")')
        return v

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        if len(v) != 3 or not v.isalpha() or not v.isupper():
            raise ValueError(f'"{v}" is not a 3-letter ISO 4217 currency code (e.g. "USD", "CNY")')
        return v

    @field_validator("connected_dispositions", "meeting_types")
    @classmethod
    def _nonempty_list(cls, v: list[str]) -> list[str]:
        v = _norm(v)
        if not v or any(not x for x in v):
            raise ValueError("must be a non-empty list of non-empty names")
        return v

    @field_validator("channels")
    @classmethod
    def _channels(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        seen: dict[str, str] = {}
        for name, sources in v.items():
            if name.strip().lower() == "other":
                raise ValueError('"other" is kept for lead sources in no channel; do not list it')
            for s in sources:
                key = s.strip().lower()
                if key in seen and seen[key] != name:
                    raise ValueError(f'lead source "{s}" is in both {seen[key]} and {name}')
                seen[key] = name
        return {k.strip(): _norm(vs) for k, vs in v.items()}

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
