"""`python -m bot` is the `kpibot` command."""

from bot.cli.main import main

main()
