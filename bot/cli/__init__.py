"""The `kpibot` command: `main` and one module per group of subcommands."""
