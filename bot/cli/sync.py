"""kpibot subcommands: sync (Salesforce → the cache)."""

from __future__ import annotations

import sys
from datetime import tzinfo
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bot.cli.common import ConfigOpt, DbOpt, fail, load_config, setup_logging
from cache.lake import LakeWriteFailed
from cache.snapshot import WriterBusy
from metrics.format import format_as_of
from salesforce.errors import LimitExceeded, SyncError
from salesforce.scheduler import run_sync_from_env
from salesforce.sync import SyncResult

EXIT_STOPPED = 3  # the sync stopped early; what finished is published


class _Bars:
    """A rich progress bar per object on a terminal; nothing but warnings otherwise."""

    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(
            TextColumn("{task.description:<20}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[api]}"),
            TimeRemainingColumn(),
            console=console,
            disable=not console.is_terminal,
            transient=False,
        )
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> _Bars:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def begin(self, obj: str, total: int, api: str) -> None:
        if obj in self.tasks:
            self.progress.update(self.tasks[obj], total=total, completed=0, api=api)  # type: ignore[arg-type]
        else:
            self.tasks[obj] = self.progress.add_task(obj, total=total, api=api)  # type: ignore[assignment]

    def advance(self, obj: str, n: int) -> None:
        if obj in self.tasks:
            self.progress.advance(self.tasks[obj], n)  # type: ignore[arg-type]

    def warn(self, message: str) -> None:
        self.console.print(f"[yellow]warning:[/] {message}", highlight=False)


def _summary(result: SyncResult, tz: tzinfo) -> str:
    lines = [f"Synced from {result.instance} ({format_as_of(result.started_at.astimezone(tz))})"]
    for o in result.objects:
        state = "" if o.complete else "  (stopped here)"
        lines.append(
            f"  {o.name:<20} {o.mode:<11} {o.api:<9} read {o.fetched:>9,}  "
            f"upserted {o.upserted:>9,}  deleted {o.deleted:>7,}{state}"
        )
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command("sync")
    def sync(
        config: ConfigOpt = None,
        db: DbOpt = None,
        full: Annotated[
            bool, typer.Option("--full", help="Reload every object from scratch.")
        ] = False,
        verbose: Annotated[
            bool, typer.Option("--verbose", "-v", help="Log each request step.")
        ] = False,
    ) -> None:
        """Bring the cache up to date with Salesforce (SF_* credentials, see docs/sync.md)."""
        if verbose:
            setup_logging(True)
        cfg = load_config(config, db)
        err = Console(stderr=True)
        try:
            with _Bars(err) as bars:
                result = run_sync_from_env(
                    cfg.db_path,
                    cfg.salesforce,
                    full=full,
                    observer=bars,
                    tz=cfg.timezone,
                    lake=cfg.publish_lake,
                )
        except WriterBusy as e:
            fail(f"{e}; try again when it has finished.", 1)
        except (SyncError, LakeWriteFailed) as e:
            fail(f"sync failed, the cache is unchanged: {e}", 1)
        sys.stdout.write(_summary(result, cfg.tz) + "\n")
        if result.error is not None:
            done = [o.name for o in result.objects if o.complete]
            left = "resume by running `kpibot sync` again"
            if isinstance(result.error, LimitExceeded):
                left = "the next sync (after the limit resets) resumes where this one stopped"
            fail(
                f"sync stopped early: {result.error}\n"
                f"Published: {', '.join(done) or 'nothing new'} (and every window finished before "
                f"the stop); {left}.",
                EXIT_STOPPED,
            )
