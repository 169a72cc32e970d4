"""The `kpibot` command. Each group of subcommands lives in its own module and registers here.

A command line that names a command imports only the module of its group: `kpibot ask` does
not load matplotlib, pandas, simple-salesforce or the Slack SDK, which the other groups need
(an answer on the command line is about a second sooner). Help and an unknown command load
every group.
"""

from __future__ import annotations

import importlib
import sys

import typer

from bot.cli.common import internal_error_sentence

# The groups in the order help lists them, each with the commands its register() adds
# (tests/test_cli_errors.py checks the two agree).
GROUPS: dict[str, tuple[str, ...]] = {
    "bot.cli.data": ("demo", "load"),
    "bot.cli.ask": ("ask", "chat", "complete", "kpis"),
    "bot.cli.boards": ("dashboards", "dashboard", "board"),
    "bot.cli.slack": ("serve", "manifest"),
    "bot.cli.digest": ("digest",),
    "bot.cli.tour": ("demo-tour",),
    "bot.cli.sync": ("sync",),
    "bot.cli.sources": ("import",),
}


def build_app(command: str | None = None) -> typer.Typer:
    """The `kpibot` app: with ``command``, only the group that has it (every group when none
    has it, so that help and "no such command" see them all)."""
    app = typer.Typer(
        name="kpibot",
        help="Sales KPIs from Salesforce, asked in English or Chinese.",
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode="markdown",  # docstrings reflow into paragraphs; `code` shows as code
        pretty_exceptions_enable=False,
    )
    # Typer runs a lone command as the program itself (`kpibot` instead of `kpibot ask`); a
    # root callback keeps every command a subcommand, however few are registered.
    app.callback()(_root)
    modules = [m for m, names in GROUPS.items() if command in names] or list(GROUPS)
    for name in modules:
        importlib.import_module(name).register(app)
    return app


def _root() -> None:
    """Sales KPIs from Salesforce, asked in English or Chinese."""


def main() -> None:
    try:
        build_app(sys.argv[1] if len(sys.argv) > 1 else None)()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception:  # noqa: BLE001 - a bug: one sentence for the user, the trace in a file
        sys.stderr.write(internal_error_sentence(None, " ".join(sys.argv)) + "\n")
        sys.exit(1)
