"""kpibot subcommands that fill the cache: `demo` and `load` (docs/demo.md, docs/data-export.md).

Exit codes: 0 done; 1 the data could not be loaded (bad export, another writer busy); 2 usage or
configuration. Errors are one clean message on stderr, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from bot.cli.common import ConfigOpt, DbOpt, TodayOpt, fail, load_config, parse_today
from bot.config import AppConfig
from cache.lake import LakeWriteFailed
from cache.snapshot import WriterBusy
from metrics.format import format_as_of
from salesforce.demo import build_demo, default_today
from salesforce.demo_org import DemoSpec
from salesforce.errors import ExportError
from salesforce.export import LoadSummary, load_export
from salesforce.export_source import GB, ArchiveLimits

BIG_FILE = 20 << 20  # files this large get a progress bar


def _console() -> Console:
    return Console(file=sys.stdout, highlight=False, soft_wrap=True)


def demo(
    today: TodayOpt = None,
    scale: Annotated[
        float, typer.Option("--scale", help="Volume multiplier (62 ≈ 10M Tasks).")
    ] = 1.0,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Build the demo org: two years of a sales team's history, ending on --today."""
    cfg = load_config(config, db)
    day = parse_today(today) or default_today(cfg.timezone)
    if not (0 < scale <= 10_000):
        fail(f"--scale: {scale:g} must be above 0 (1 = about 160k Tasks, 62 = about 10M)")
    spec = DemoSpec(day, scale, cfg.timezone, cfg.fiscal_year_start_month)
    try:
        summary = build_demo(cfg.db_path, spec, lake=cfg.publish_lake)
    except WriterBusy as e:
        fail(f"{e}; try again when it has finished", 1)
    except LakeWriteFailed as e:
        fail(f"Nothing was published; the cache is unchanged.\n{e}", 1)
    except OSError as e:
        fail(f"cannot write the cache {cfg.db_path}: {e.strerror or e}", 1)
    except duckdb.Error as e:  # out of memory or disk: the old cache is untouched
        fail(f"the demo org could not be built: {str(e).splitlines()[0]}", 1)
    out = _console()
    out.print(f"Demo org built in {summary.seconds:.1f} s (--today {day}, --scale {scale:g}).")
    for obj, n in summary.rows.items():
        out.print(f"  {obj:<20} {n:>12,}")
    out.print(f"Cache: {cfg.db_path}")
    out.print(format_as_of(summary.data_as_of.astimezone(cfg.tz)))


def load(
    path: Annotated[str, typer.Argument(help="A Data Export folder or .zip of Object.csv files.")],
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Load a Salesforce Data Export into the cache, replacing what is there."""
    cfg = load_config(config, db)
    src = Path(path).expanduser()
    if not src.exists():
        fail(f"{src}: no such file or folder")
    bars = _FileBars()
    try:
        limits = ArchiveLimits(int(cfg.export.max_unpacked_gb * GB), cfg.export.max_ratio)
        summary = load_export(
            src, cfg.db_path, progress=bars, limits=limits, tz=cfg.timezone, lake=cfg.publish_lake
        )
    except (ExportError, LakeWriteFailed, WriterBusy, OSError, duckdb.Error) as e:
        bars.stop()
        fail(_not_loaded(e, src, cfg), 1)
    bars.stop()
    _print_loaded(src, summary, cfg)


class _FileBars:
    """A progress bar on stderr for each file of BIG_FILE bytes or more, as ``load_export``
    reports its steps; nothing for small files."""

    def __init__(self) -> None:
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeElapsedColumn(),
            console=Console(file=sys.stderr, highlight=False),
            transient=True,
        )
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, name: str, step: str, done: int, total: int) -> None:
        if total < BIG_FILE:
            return
        if name not in self.tasks:
            self.bar.start()
            self.tasks[name] = self.bar.add_task(name, total=total)
        self.bar.update(self.tasks[name], completed=done, description=f"{name}: {step}")

    def stop(self) -> None:
        if self.tasks:
            self.bar.stop()


def _not_loaded(e: Exception, src: Path, cfg: AppConfig) -> str:
    """Why nothing was loaded, in words."""
    if isinstance(e, (ExportError, LakeWriteFailed)):
        return f"Nothing was loaded; the cache is unchanged.\n{e}"
    if isinstance(e, WriterBusy):
        return f"{e}; try again when it has finished"
    if isinstance(e, OSError):
        return f"cannot read {src} or write {cfg.db_path}: {e.strerror or e}"
    # out of memory or disk: the old cache is untouched
    return f"Nothing was loaded; the cache is unchanged.\n{str(e).splitlines()[0]}"


def _print_loaded(src: Path, summary: LoadSummary, cfg: AppConfig) -> None:
    """What was loaded, what was left out, and the data's as-of time."""
    out = _console()
    out.print(f"Loaded {src}:")
    for obj, n in summary.rows.items():
        skipped = summary.deleted_skipped.get(obj, 0)
        out.print(
            f"  {obj:<20} {n:>12,}" + (f"   ({skipped:,} deleted rows left out)" if skipped else "")
        )
    if summary.missing_objects:
        out.print(f"Warning: no file for {', '.join(summary.missing_objects)}; left empty.")
    if cfg.access.rows == "hierarchy" and "UserRole" not in summary.rows:
        out.print(
            "Warning: no UserRole.csv, but access.rows is hierarchy: everyone sees only their "
            "own records until an export with UserRole.csv is loaded."
        )
    if summary.ignored_files:
        out.print(f"Ignored files (not cached objects): {', '.join(summary.ignored_files)}")
    for fname, cols in summary.ignored_columns.items():
        out.print(f"Ignored columns of {fname}: {', '.join(cols)}")
    out.print(f"Cache: {cfg.db_path}")
    out.print(format_as_of(summary.data_as_of.astimezone(cfg.tz)))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
    app.command("load")(load)
