"""The `kpibot` command. Each group of subcommands lives in its own module and registers here."""

from __future__ import annotations

import sys

import typer

from bot.cli import ask, boards, data, digest, slack, sources, sync, tour
from bot.cli.common import internal_error_sentence

app = typer.Typer(
    name="kpibot",
    help="Sales KPIs from Salesforce, asked in English or Chinese.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",  # docstrings reflow into paragraphs; `code` shows as code
    pretty_exceptions_enable=False,
)

for module in (data, ask, boards, slack, digest, tour, sync, sources):
    module.register(app)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception:  # noqa: BLE001 - a bug: one sentence for the user, the trace in a file
        sys.stderr.write(internal_error_sentence(None, " ".join(sys.argv)) + "\n")
        sys.exit(1)
