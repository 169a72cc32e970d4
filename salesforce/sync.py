"""`kpibot sync`: bring every cached object up to date with the org, losing and doubling nothing.

For each object the cache says Salesforce owns (``schema.owned_by(schema.SALESFORCE)``):

1. describe it; fields this user cannot read are stored as NULL (warned once);
2. without a watermark from an earlier sync (first run, or ``--full``) load everything,
   otherwise re-read from ``watermark − overlap`` (late commits) — always through queryAll, so
   deletions (IsDeleted) and archived activities arrive;
3. count the window (``SELECT COUNT()``): at or above ``bulk_threshold`` records, a Bulk API 2.0
   job fetches it, else REST pages;
4. merge the window and the new watermark in one transaction (``stage.Stage.commit``).
   QUERY_TIMEOUT splits the window in two and goes on with the halves.

All of it happens in one pending snapshot (``snapshot.open_writer``), published when the loop
ends. A kill leaves the published snapshot and its watermarks as they were, and the next run
re-reads from there. If Salesforce stops the sync (API limit, lost network, refused login), the
windows committed so far are still published, with watermarks to match, and the error is raised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from simple_salesforce import Salesforce

from cache import schema
from cache.lake import LakeTarget
from cache.snapshot import SnapshotWriter, open_writer
from salesforce import soql
from salesforce.bulk import BulkJobFailed, run_query_job
from salesforce.client import Api, Description
from salesforce.errors import InvalidField, QueryTimedOut, SyncError
from salesforce.settings import SalesforceSettings, parse_duration
from salesforce.stage import Columns, Merged, Stage

log = logging.getLogger(__name__)

# A describe: field name → (label, Salesforce type), with the object's and picklists' labels.
Described = Description

MAX_SPLITS = 16  # a window halved 16 times is 1/65536 of the span: give up beyond that


class Observer(Protocol):
    """Progress and warnings, for a progress bar or a log."""

    def begin(self, obj: str, total: int, api: str) -> None: ...
    def advance(self, obj: str, n: int) -> None: ...
    def warn(self, message: str) -> None: ...


class LogObserver:
    def begin(self, obj: str, total: int, api: str) -> None:
        log.info("%s: %d record(s) to read via %s", obj, total, api)

    def advance(self, obj: str, n: int) -> None:
        pass

    def warn(self, message: str) -> None:
        log.warning("%s", message)


@dataclass(frozen=True)
class ObjectResult:
    name: str
    mode: str  # "full" | "incremental"
    api: str  # "rest" | "bulk" | "rest+bulk"
    fetched: int
    upserted: int
    deleted: int
    watermark: datetime | None
    complete: bool  # False when the sync stopped inside this object


@dataclass(frozen=True)
class SyncResult:
    started_at: datetime
    instance: str
    objects: tuple[ObjectResult, ...]
    error: SyncError | None = None  # why the sync stopped early, if it did

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class _Progress:
    apis: set[str] = field(default_factory=set)
    fetched: int = 0
    upserted: int = 0
    deleted: int = 0


class Syncer:
    """One sync run. ``api`` is a logged-in ``client.Api``."""

    def __init__(
        self,
        api: Api,
        settings: SalesforceSettings,
        *,
        observer: Observer | None = None,
        warned: set[str] | None = None,
        bulk_page_size: int = 50_000,
        bulk_poll: float = 2.0,
        objects: tuple[schema.SObject, ...] = schema.owned_by(schema.SALESFORCE),
        tz: str | None = None,
        lake: LakeTarget | None = None,
    ):
        self.api = api
        self.lake = lake  # engine: spark — each publish is also written as Parquet there
        self.tz = tz  # the org's time zone, for the derived tables of days (None: keep theirs)
        self.settings = settings
        self.observer: Observer = observer or LogObserver()
        self.warned = warned if warned is not None else set()
        self.overlap = parse_duration(settings.overlap) if settings.overlap else timedelta(0)
        self.bulk_page_size = bulk_page_size
        self.bulk_poll = bulk_poll
        self.objects = objects

    @property
    def source(self) -> str:
        return f"salesforce:{self.api.instance}"

    def run(self, db_path: Path, *, full: bool = False) -> SyncResult:
        results: list[ObjectResult] = []
        error: SyncError | None = None
        # Describe before opening the writer: a bad login fails without touching the cache.
        described = {self.objects[0].name: self.api.describe_fields(self.objects[0].name)}
        started = self.api.server_now()
        with open_writer(db_path, source=self.source, tz=self.tz, lake=self.lake) as writer:
            for obj in self.objects:
                progress = _Progress()
                mode = "full"
                try:
                    fields = described.pop(obj.name, None) or self.api.describe_fields(obj.name)
                    synced = with_custom_fields(obj, fields)
                    _add_columns(writer, obj, synced)
                    mode = self._sync_object(writer, synced, fields, started, full, progress)
                    _record_labels(writer, synced, fields)
                    results.append(self._result(obj, mode, progress, writer, complete=True))
                except SyncError as e:
                    results.append(self._result(obj, mode, progress, writer, complete=False))
                    error = e
                    break
        return SyncResult(started, self.api.instance, tuple(results), error)

    def _result(
        self, obj: schema.SObject, mode: str, p: _Progress, w: SnapshotWriter, *, complete: bool
    ) -> ObjectResult:
        wm = self._state(w, obj.name)[1]
        return ObjectResult(
            obj.name,
            mode,
            "+".join(sorted(p.apis, reverse=True)) or "rest",
            p.fetched,
            p.upserted,
            p.deleted,
            wm,
            complete,
        )

    def _state(
        self, w: SnapshotWriter, obj: str
    ) -> tuple[str | None, datetime | None, datetime | None]:
        row = w.con.execute(
            f"SELECT source, watermark, refreshed_at FROM {schema.META_OBJECTS} WHERE object = ?",
            [obj],
        ).fetchone()
        if row is None:
            return None, None, None
        utc = [v.astimezone(UTC) if v is not None else None for v in row[1:]]
        return row[0], utc[0], utc[1]

    def _columns(self, obj: schema.SObject, fields: Described) -> Columns:
        source: dict[str, str | None] = {}
        for col in obj.field_names:
            src = self.settings.field_map.get(f"{obj.name}.{col}", col)
            if src in fields:
                source[col] = src
            else:
                source[col] = None
                self._warn_hidden(obj.name, src, col)
        if obj.watermark not in fields:
            raise SyncError(
                f"{obj.name}.{obj.watermark} is not readable by this Salesforce user, "
                f"so {obj.name} "
                "cannot be synced incrementally; give the user read access to it."
            )
        if source.get("Id") is None:
            raise SyncError(f"{obj.name}.Id is not readable by this Salesforce user.")
        return Columns(obj, source, "IsDeleted" in fields)

    def _warn_hidden(self, obj: str, src: str, col: str) -> None:
        key = f"{obj}.{src}"
        if key in self.warned:
            return
        self.warned.add(key)
        into = f" (for {obj}.{col})" if src != col else ""
        self.observer.warn(
            f"{key}{into} is not visible to this Salesforce user; stored as empty. "
            "Grant field-level read access to sync it."
        )

    def _sync_object(
        self,
        writer: SnapshotWriter,
        obj: schema.SObject,
        fields: Described,
        started: datetime,
        full: bool,
        progress: _Progress,
    ) -> str:
        source, watermark, refreshed_at = self._state(writer, obj.name)
        # Another source (demo, Data Export, another org) is replaced by a full load.
        incremental = not full and watermark is not None and source == self.source
        if not incremental:
            watermark = None
        cols = self._columns(obj, fields)
        replace_table = not incremental
        windows = [(soql.Window(watermark - self.overlap if watermark else None, None), 0)]
        while windows:
            window, depth = windows.pop(0)
            try:
                merged, cols = self._sync_window(
                    writer,
                    obj,
                    cols,
                    window,
                    progress,
                    replace_table=replace_table,
                    watermark=watermark,
                    # Only the last window makes the object current
                    # as of the sync's start.
                    refreshed_at=started
                    if not windows
                    else _partial_as_of(refreshed_at, watermark, started),
                )
            except QueryTimedOut:
                if window.start is None:
                    # Halving from 1970 would spend most calls on empty decades: start the
                    # window at the object's oldest record instead (an indexed LIMIT 1 query).
                    first = self.api.first_cursor(obj.name, obj.watermark)
                    if first is not None:
                        windows.insert(0, (soql.Window(first, window.end), depth))
                        continue
                if depth >= MAX_SPLITS:
                    raise SyncError(
                        f"Salesforce keeps timing out on {obj.name} even for a window of "
                        f"{window.width(self.api.server_now())}; try again later."
                    ) from None
                halves = window.split(self.api.server_now())
                log.info("%s: query timed out; splitting %s into two windows", obj.name, window)
                windows[0:0] = [(halves[0], depth + 1), (halves[1], depth + 1)]
                continue
            replace_table = False
            watermark = merged.max_cursor
        return "incremental" if incremental else "full"

    def _sync_window(
        self,
        writer: SnapshotWriter,
        obj: schema.SObject,
        cols: Columns,
        window: soql.Window,
        progress: _Progress,
        *,
        replace_table: bool,
        watermark: datetime | None,
        refreshed_at: datetime,
    ) -> tuple[Merged, Columns]:
        while True:
            stage = Stage(writer.con, cols)
            try:
                fetched, api = self._fetch(obj, cols, window, stage)
            except InvalidField as e:
                # describe listed it, the query refused it (access changed mid-sync): null it.
                if e.field not in cols.fetched or e.field == "Id" or e.field == obj.watermark:
                    raise SyncError(f"Salesforce refused {obj.name}.{e.field}: {e}") from None
                source = {c: (None if s == e.field else s) for c, s in cols.source.items()}
                for c, s in cols.source.items():
                    if s == e.field:
                        self._warn_hidden(obj.name, s, c)
                has_deleted = cols.has_is_deleted and e.field != "IsDeleted"
                cols = Columns(obj, source, has_deleted)
                stage.drop()
                continue
            except BaseException:
                stage.drop()
                raise
            progress.apis.add(api)
            progress.fetched += fetched
            merged = stage.commit(
                writer,
                replace_table=replace_table,
                previous_watermark=watermark,
                refreshed_at=refreshed_at,
                source=self.source,
            )
            stage.drop()
            progress.upserted += merged.upserted
            progress.deleted += merged.deleted
            return merged, cols

    def _fetch(
        self, obj: schema.SObject, cols: Columns, window: soql.Window, stage: Stage
    ) -> tuple[int, str]:
        total = self.api.count(soql.count(obj.name, window, obj.watermark))
        if total == 0:
            stage.reset()
            self.observer.begin(obj.name, 0, "rest")
            return 0, "rest"
        use_bulk = total >= self.settings.bulk_threshold and total > 0
        api = "bulk" if use_bulk else "rest"
        self.observer.begin(obj.name, total, api)
        if use_bulk:
            query = soql.select(obj.name, cols.fetched, window, obj.watermark, ordered=False)

            def job(sf: Salesforce) -> int:
                stage.reset()  # a retried job starts over
                run_query_job(
                    sf,
                    obj.name,
                    query,
                    lambda page: self.observer.advance(obj.name, stage.add_csv(page)),
                    page_size=self.bulk_page_size,
                    poll=self.bulk_poll,
                )
                return stage.staged()

            try:
                return self.api.call(job, f"the Bulk API job for {obj.name}"), api
            except BulkJobFailed as e:
                self.observer.warn(
                    f"{obj.name}: Bulk API job failed ({e}); reading it through REST instead."
                )
                api = "rest"
        stage.reset()
        query = soql.select(obj.name, cols.fetched, window, obj.watermark, ordered=True)
        n = 0
        for page in self.api.query_pages(query):
            k = stage.add_records(page)
            n += k
            self.observer.advance(obj.name, k)
        return n, api


def _partial_as_of(
    previous: datetime | None, watermark: datetime | None, started: datetime
) -> datetime:
    """refreshed_at for an object the sync has only partly read (more windows to go).

    Its data is complete for changes up to the watermark, never later than the sync's start.
    """
    candidates = [t for t in (previous, watermark) if t is not None]
    return min(max(candidates), started) if candidates else soql.FLOOR


def sync(
    db_path: Path,
    settings: SalesforceSettings,
    api_factory: Callable[[], Api],
    *,
    full: bool = False,
    observer: Observer | None = None,
    warned: set[str] | None = None,
    **kwargs: object,
) -> SyncResult:
    """Log in (``api_factory``) and run one sync into the cache at ``db_path``."""
    api = api_factory()
    return Syncer(api, settings, observer=observer, warned=warned, **kwargs).run(db_path, full=full)  # type: ignore[arg-type]


# Salesforce field type → the cache column type of a custom field (docs/field-search.md).
_CUSTOM_TYPES = {
    "boolean": schema.BOOL,
    "date": schema.DATE,
    "datetime": schema.DATETIME,
    "currency": schema.NUMBER,
    "double": schema.NUMBER,
    "percent": schema.NUMBER,
    "int": schema.NUMBER,
    "long": schema.NUMBER,
}


def with_custom_fields(obj: schema.SObject, fields: Described) -> schema.SObject:
    """The object with the org's custom fields (``…__c``) after the registry's own: every field
    of the org is cached, so field search can ask about it."""
    custom = tuple(
        schema.Field(name, _CUSTOM_TYPES.get(ftype, schema.TEXT))
        for name, (_, ftype) in sorted(fields.items())
        if name.endswith("__c") and name not in obj.field_names
    )
    return replace(obj, fields=obj.fields + custom) if custom else obj


def _add_columns(writer: SnapshotWriter, obj: schema.SObject, synced: schema.SObject) -> None:
    """Custom fields new since the last sync get their column before records arrive."""
    for f in synced.fields[len(obj.fields) :]:
        column = f'"{f.name}" {f.type}'
        writer.con.execute(f'ALTER TABLE "{obj.table}" ADD COLUMN IF NOT EXISTS {column}')


def _record_labels(writer: SnapshotWriter, obj: schema.SObject, fields: Described) -> None:
    """Keep the org's labels of the object, its cached fields and their picklist values (field
    search names fields and matches values by them, in the org's language)."""
    rows = [(obj.name, f, fields[f][0]) for f in obj.field_names if f in fields]
    if fields.label:
        rows.append((obj.name, "", fields.label))
    writer.con.execute(f"DELETE FROM {schema.META_LABELS} WHERE object = ?", [obj.name])
    if rows:
        writer.con.executemany(
            f"INSERT INTO {schema.META_LABELS} (object, field, label) VALUES (?, ?, ?)", rows
        )
    writer.con.execute(schema.PICKLIST_LABELS_DDL)  # a snapshot older than the table
    writer.con.execute(f"DELETE FROM {schema.META_PICKLISTS} WHERE object = ?", [obj.name])
    values = [
        (obj.name, f, value, label)
        for f, pairs in fields.picklists.items()
        if f in obj.field_names
        for value, label in pairs
        if label != value
    ]
    if values:
        writer.con.executemany(f"INSERT INTO {schema.META_PICKLISTS} VALUES (?, ?, ?, ?)", values)
