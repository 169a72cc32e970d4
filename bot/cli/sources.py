"""`kpibot import [NAME]`: bring app.yaml's sources: into the cache (docs/sources.md).

Exit codes: 0 imported (unmatched link values are reported, not fatal); 1 a source could not be
read or has bad values, nothing was imported; 2 usage or configuration.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import duckdb
import typer

from bot.cli.common import ConfigOpt, DbOpt, fail, load_config, run_child
from bot.config import AppConfig
from cache.lake import LakeWriteFailed
from cache.snapshot import WriterBusy
from sources.importer import import_sources
from sources.read import SourceError


def import_(
    name: Annotated[
        str | None, typer.Argument(help="The source to import (default: every source).")
    ] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Import one source, or all of them, into the cache in one step: all or nothing."""
    cfg = load_config(config, db)
    chosen = [s for s in cfg.sources if name is None or s.name == name]
    if name is not None and not chosen:
        known = ", ".join(s.name for s in cfg.sources) or "none are configured"
        fail(f'there is no source "{name}" in app.yaml sources: ({known})')
    try:
        done = import_sources(cfg.db_path, chosen, cfg, cfg.base_dir, lake=cfg.publish_lake)
    except (SourceError, LakeWriteFailed) as e:
        fail(f"{e}\nThe cache is unchanged.", 1)
    except WriterBusy as e:
        fail(f"{e}; try again when it has finished", 1)
    except (OSError, duckdb.Error) as e:
        fail(f"the cache {cfg.db_path} could not be written: {str(e).splitlines()[0]}", 1)
    for item in done:
        print(f"{item.name}: {item.rows:,} rows into {item.table}")
        for u in item.unmatched:
            examples = ", ".join(f'"{x}"' for x in u.examples)
            print(
                f"  {u.rows:,} rows link to nothing by {u.link}, e.g. {examples}; "
                "they are kept and counted under no one",
                file=sys.stderr,
            )


def register(app: typer.Typer) -> None:
    app.command("import")(import_)


def start_import_loops(cfg: AppConfig, config_path: str | None) -> list[Any]:
    """For `kpibot serve`: re-import each source every ``refresh_every`` it declares.

    Like scheduled syncs, each import runs as a `kpibot import NAME` child process; a failed
    import leaves the cache as it was and is logged with its own words.
    """
    import logging

    from bot.scheduled_runs import claimed_loop
    from salesforce.errors import SyncError
    from salesforce.settings import parse_duration

    log = logging.getLogger("kpibot.sources")
    loops = []
    for src in cfg.sources:
        if not src.refresh_every:
            continue
        cmd = [sys.executable, "-m", "bot", "import", src.name, "--db", str(cfg.db_path)]
        if config_path:
            cmd += ["--config", config_path]

        def run_once(cmd: list[str] = cmd, name: str = src.name) -> None:
            done = run_child(cmd)
            for line in (done.stdout + done.stderr).splitlines() if done.returncode == 0 else ():
                log.info("import %s: %s", name, line.strip())
            if done.returncode != 0:
                why = " ".join(done.stderr.split()) or f"exit status {done.returncode}"
                raise SyncError(f"kpibot import {name} exited with {done.returncode}: {why}")

        every = parse_duration(src.refresh_every)
        loop = claimed_loop(f"import:{src.name}", every, run_once, cfg, logger=log)
        loop.start()
        log.info("source %s re-imported every %s", src.name, src.refresh_every)
        loops.append(loop)
    return loops
