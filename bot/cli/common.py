"""What every subcommand shares: options, loading the configuration, and user-facing failure."""

from __future__ import annotations

import logging
import sys
from datetime import date
from typing import Annotated, NoReturn

import typer

from bot import config as config_mod
from metrics.errors import ConfigError

ConfigOpt = Annotated[
    str | None, typer.Option("--config", envvar="KPIBOT_CONFIG", help="app.yaml to use.")
]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", envvar="KPIBOT_DB", help="DuckDB cache file (overrides database:)."),
]
TodayOpt = Annotated[
    str | None, typer.Option("--today", help="Pin today (YYYY-MM-DD) for reproducible answers.")
]


def fail(message: str, code: int = 2) -> NoReturn:
    sys.stderr.write(message.rstrip() + "\n")
    raise typer.Exit(code)


def load_config(config: str | None, db: str | None) -> config_mod.AppConfig:
    try:
        return config_mod.load(config, db)
    except ConfigError as e:
        fail(str(e))


def parse_today(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f'--today: "{value}" is not a date; write YYYY-MM-DD, e.g. 2024-06-27')


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
