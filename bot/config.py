"""app.yaml: every setting of kpibot, validated at start-up, every problem reported at once.

The file is chosen by ``--config PATH``, else ``$KPIBOT_CONFIG``, else ``./app.yaml`` (defaults
when there is none). The database by ``--db PATH``, else ``$KPIBOT_DB``, else ``database:``.
Relative paths in the file are relative to the file's folder. Unknown keys are errors.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.digests.config import (
    AlertConfig,
    DeliverySettings,
    DigestConfig,
    check_channel,
    check_unique_names,
)
from bot.digests.schedule import ScheduleError
from bot.state_connection import is_server_url
from cache.lake import LakeTarget
from i18n import DEFAULT, Language
from metrics.config_yaml import read_yaml
from metrics.errors import ConfigError
from metrics.scope import RowPolicy
from metrics.settings import OrgSettings
from metrics.spark import Engine, SparkSettings, lake_target
from salesforce.settings import ExportSettings, SalesforceSettings
from sources.config import SourceConfig, check_unique


class AccessSettings(BaseModel):
    """Who may ask, and where the bot answers. Empty lists mean everyone / everywhere."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    users: list[str] = Field(
        default_factory=list
    )  # Slack user ids (U…), emails, or @usergroup / S… ids
    # channel ids (C…) or "#names"; DMs always allowed. As a mapping, each channel with its
    # row-level scope (docs/access.md): "all", a role (hierarchy) or a team (team).
    channels: list[str] | dict[str, str] = Field(default_factory=list)
    admins: list[str] = Field(
        default_factory=list
    )  # like users; admins may also ask, and list and stop everyone's subscriptions
    # Row-level access (docs/access.md): whose records each person's answers are computed from.
    rows: Literal["all", "hierarchy", "team"] = "all"
    all_roles: list[str] = Field(default_factory=list)  # hierarchy: role names/ids seeing all
    manager_reports: bool = False  # hierarchy: also each user's ManagerId reports
    teams: dict[str, list[str]] = Field(default_factory=dict)  # team: name → members' e-mails
    # Slack user id → the Salesforce user's e-mail, for people whose Slack e-mail differs.
    identities: dict[str, str] = Field(default_factory=dict)
    identity_ttl: float = Field(3600.0, ge=0, le=7 * 86400)  # seconds a Slack e-mail is kept

    def channel_scopes(self) -> dict[str, str]:
        """Each channel (id or "#name") given a row-level scope; none in the list form."""
        return dict(self.channels) if isinstance(self.channels, dict) else {}

    def row_policy(self) -> RowPolicy:
        return RowPolicy(
            rows=self.rows,
            all_roles=tuple(self.all_roles),
            manager_reports=self.manager_reports,
            teams=tuple((k, tuple(v)) for k, v in self.teams.items()),
        )


class RunSettings(BaseModel):
    """``scheduled_runs:``: how replicas share scheduled syncs and re-imports
    (bot/scheduled_runs.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    lease_seconds: float = Field(60, gt=0)  # a claim not renewed for this long is taken over
    check_seconds: float | None = Field(None, gt=0)  # default: every/4, between 1 s and 30 s


class AppConfig(OrgSettings):
    """The whole of app.yaml. The org settings (timezone, currency, …) sit at the top level."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database: str = "data/kpibot.duckdb"
    # audit log, seen events, digests, subscriptions: a SQLite file or a postgresql:// URL
    state_database: str = "data/kpibot-state.sqlite"
    catalog: str | None = None  # a YAML file of extra KPIs/dimensions, merged into the built-in one
    query_timeout: float = Field(10.0, gt=0, le=600)  # seconds
    # where questions run: the embedded DuckDB snapshot, or Spark over its Parquet copy
    engine: Engine = "duckdb"
    spark: SparkSettings = Field(default_factory=SparkSettings)
    # the largest request body /slack/events reads (Slack sends a few hundred KB at most)
    max_request_bytes: int = Field(1_048_576, ge=65_536, le=67_108_864)
    salesforce: SalesforceSettings = Field(default_factory=SalesforceSettings)
    export: ExportSettings = Field(default_factory=ExportSettings)
    access: AccessSettings = Field(default_factory=AccessSettings)
    admin_channel: str | None = None  # failed digests and alerts are reported here
    # The reply language: auto (the question's, else the asker's Slack locale), or always en or
    # always zh (docs/languages.md). Digests and subscriptions may set their own.
    language: Literal["auto", "en", "zh"] = "auto"
    digests: list[DigestConfig] = Field(default_factory=list)
    alerts: list[AlertConfig] = Field(default_factory=list)
    digest_delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    sources: list[SourceConfig] = Field(default_factory=list)  # data beside Salesforce
    scheduled_runs: RunSettings = Field(default_factory=RunSettings)

    # Filled by load(): where the file was, to resolve relative paths. Not a YAML key.
    base_dir: Path = Field(default=Path("."), exclude=True)
    db_override: str | None = Field(default=None, exclude=True)

    @field_validator("digests")
    @classmethod
    def _unique_digests(cls, v: list[DigestConfig]) -> list[DigestConfig]:
        check_unique_names(v, "digests")
        return v

    @field_validator("alerts")
    @classmethod
    def _unique_alerts(cls, v: list[AlertConfig]) -> list[AlertConfig]:
        check_unique_names(v, "alerts")
        return v

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, v: list[SourceConfig]) -> list[SourceConfig]:
        return check_unique(v)

    @field_validator("admin_channel")
    @classmethod
    def _admin_channel(cls, v: str | None) -> str | None:
        return None if v is None else check_channel(v)

    def path(self, value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    @property
    def db_path(self) -> Path:
        if self.db_override:
            return Path(self.db_override).expanduser()
        return self.path(self.database)

    @property
    def state_location(self) -> str:
        """The state database: a PostgreSQL URL as written, or the SQLite file's path."""
        if is_server_url(self.state_database):
            return self.state_database
        return str(self.path(self.state_database))

    @property
    def local_dir(self) -> Path:
        """This machine's folder for kpibot's own files (the error log): the state file's, or
        the cache's when the state is on a server."""
        if is_server_url(self.state_database):
            return self.db_path.parent
        return self.path(self.state_database).parent

    @property
    def lake(self) -> LakeTarget:
        """``spark.data`` (a URI as written, a folder resolved against app.yaml's) and how to
        reach it (``spark.s3``)."""
        data = self.spark.data
        return lake_target(self.spark, data if "://" in data else str(self.path(data)))

    @property
    def publish_lake(self) -> LakeTarget | None:
        """Where every publish (demo, load, sync, import) also writes its Parquet copy:
        ``spark.data`` with ``engine: spark``, nowhere with DuckDB."""
        return self.lake if self.engine == "spark" else None

    @property
    def catalog_path(self) -> Path | None:
        return self.path(self.catalog) if self.catalog else None


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _message(err: dict[str, Any], lang: Language) -> str:
    said = (err.get("ctx") or {}).get("error")
    if isinstance(said, ScheduleError):  # a catalogue message, said in app.yaml's language
        return said.say(lang)
    msg = str(err.get("msg", ""))
    if err.get("type") == "extra_forbidden":
        return "is not a known setting (see docs/configuration.md)"
    if msg.startswith("Value error, "):
        msg = msg.removeprefix("Value error, ")
    inp = err.get("input")
    if err.get("type") in {
        "int_parsing",
        "float_parsing",
        "bool_parsing",
        "string_type",
        "list_type",
        "dict_type",
    }:
        msg = f"{msg} (got {inp!r})"
    return msg


def problems_of(exc: ValidationError, lang: Language = DEFAULT) -> list[str]:
    """Pydantic's errors as ``key.path: what is wrong`` lines; a catalogue message among them
    is said in ``lang`` (app.yaml's fixed ``language``)."""
    return [f"{_loc(tuple(e['loc']))}: {_message(dict(e), lang)}" for e in exc.errors()]


def _fixed_language(data: dict[str, Any]) -> Language:
    """The language app.yaml fixes (``language: zh``) for its own problems; English for auto."""
    value = data.get("language")
    return Language(value) if value in {x.value for x in Language} else DEFAULT


def find_config(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    if explicit:
        return Path(explicit)
    env = os.environ.get("KPIBOT_CONFIG")
    if env:
        return Path(env)
    default = Path("app.yaml")
    return default if default.exists() else None


def load(config: str | os.PathLike[str] | None = None, db: str | None = None) -> AppConfig:
    """Read and validate the configuration. Raises ConfigError listing every problem."""
    path = find_config(config)
    data: Any = {}
    if path is not None:
        data = read_yaml(path) or {}
        if not isinstance(data, dict):
            raise ConfigError(["(top level): must be a mapping of settings"], str(path))
    for reserved in ("base_dir", "db_override"):
        if reserved in data:
            raise ConfigError([f"{reserved}: is not a known setting"], str(path or "app.yaml"))
    base = path.parent if path is not None else Path(".")
    try:
        cfg = AppConfig.model_validate(
            {**data, "base_dir": base, "db_override": db or os.environ.get("KPIBOT_DB")}
        )
    except ValidationError as e:
        raise ConfigError(problems_of(e, _fixed_language(data)), str(path or "app.yaml")) from None
    return cfg
