"""`python -m bot` is the `kpibot` command."""

from bot.cli import main

main()
