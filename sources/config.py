"""The ``sources:`` key of app.yaml: data kept beside Salesforce (docs/sources.md).

Each source names the cache table it fills (cache/schema.py ``SOURCE_TABLES``: marketing_spend,
quota, call_target), where its rows come from (a file — CSV, Parquet or XLSX, a glob for monthly
files — or a SQL database: a SQLAlchemy URL and a query), which of its columns become the table's
fields (the table gives their types), its key, and how it links to the org. Several sources may
fill one table; each replaces only its own rows on import.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cache import schema
from salesforce.settings import parse_duration

FILE_KINDS = {".csv": "csv", ".parquet": "parquet", ".xlsx": "xlsx"}
RepLink = Literal["id", "email", "name"]


class SqlSource(BaseModel):
    """A query against a database SQLAlchemy can reach (``postgresql+psycopg://…``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str  # may name an environment variable: ${SPEND_DB_URL}
    query: str


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    table: str
    file: str | None = None  # a path or glob, relative to app.yaml
    sheet: str | None = None  # XLSX: the sheet to read (default: the first)
    sql: SqlSource | None = None
    # table field → the source's column (types come from the table; see docs/sources.md)
    columns: dict[str, str]
    key: list[str] = Field(default_factory=list)  # table fields unique per row
    rep: RepLink = "email"  # how a rep value finds its User: by Id, Email or Name
    # quota without a period_end column: each period_start starts a month, quarter or year
    period: Literal["month", "quarter", "year"] = "quarter"
    refresh_every: str | None = None  # `kpibot serve` re-imports this often, e.g. "1d"

    @field_validator("table")
    @classmethod
    def _table(cls, v: str) -> str:
        names = [t.name for t in schema.SOURCE_TABLES]
        if v not in names:
            raise ValueError(f'"{v}" is not a source table (one of {", ".join(names)})')
        return v

    @field_validator("refresh_every")
    @classmethod
    def _every(cls, v: str | None) -> str | None:
        if v is None or str(v).strip() in {"0", ""}:
            return None
        parse_duration(str(v))
        return str(v)

    @field_validator("file")
    @classmethod
    def _file(cls, v: str | None) -> str | None:
        if v is not None and file_kind(v) is None:
            raise ValueError(f'"{v}" must end in {", ".join(FILE_KINDS)}')
        return v

    @model_validator(mode="after")
    def _shape(self) -> SourceConfig:
        problems = []
        if (self.file is None) == (self.sql is None):
            problems.append("give either file: or sql: (not both)")
        table = schema.TABLE_BY_NAME[self.table]
        fields = {f.name for f in table.fields} - {"source", "rep_id"}
        for k in self.columns:
            if k not in fields:
                problems.append(
                    f'columns: "{k}" is not a field of {self.table} ({", ".join(sorted(fields))})'
                )
        for f in table.fields:
            if f.required and f.name not in self.columns:
                problems.append(f"columns: {f.name} is required for {self.table}")
        for k in self.key:
            if k not in self.columns:
                problems.append(f'key: "{k}" is not one of its columns')
        if self.sheet is not None and (self.file is None or file_kind(self.file) != "xlsx"):
            problems.append("sheet: only applies to an .xlsx file")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def file_kind(path: str) -> str | None:
    for ext, kind in FILE_KINDS.items():
        if path.lower().endswith(ext):
            return kind
    return None


def check_unique(sources: list[SourceConfig]) -> list[SourceConfig]:
    seen: set[str] = set()
    for s in sources:
        if s.name in seen:
            raise ValueError(f'two sources are named "{s.name}"')
        seen.add(s.name)
    return sources
