"""What a command loads before it answers: `kpibot ask` only the question's code, not the
charts, the Slack SDK, pandas or simple-salesforce that other commands need (each is a tenth
of a second or more of every answer on the command line; bot/cli/main.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from bot.cli import main
from tests.cli_run import ROOT
from tests.fixture_org import load_fixture_org

CONFIG = ROOT / "tests" / "fixtures" / "org" / "app.yaml"
HEAVY = ("matplotlib", "pandas", "simple_salesforce", "slack_sdk", "pypinyin.phrases_dict")
# Runs the command in a fresh interpreter, then says which of HEAVY it imported.
PROBE = """
import json, sys
from bot.cli.main import main
try:
    main()
except SystemExit as e:
    code = e.code
print(json.dumps({"code": code, "loaded": [m for m in %r if m in sys.modules]}))
""" % (HEAVY,)  # noqa: UP031 - the tuple's repr is the code


def _loaded(*argv: str, cwd: Path) -> dict[str, object]:
    res = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    out: dict[str, object] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


@pytest.fixture(scope="module")
def org_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_fixture_org(tmp_path_factory.mktemp("org") / "kpibot.duckdb")


def test_an_answer_loads_none_of_the_other_commands_libraries(org_db: Path) -> None:
    common = ("--today", "2024-06-27", "--config", str(CONFIG), "--db", str(org_db))
    got = _loaded("ask", "calls by rep last 31 days", *common, cwd=org_db.parent)
    assert got == {"code": 0, "loaded": []}
    # A chart is drawn with matplotlib, loaded then and only then.
    png = org_db.parent / "c.png"
    got = _loaded("ask", "calls by rep last 31 days", "--chart", str(png), *common,
                  cwd=org_db.parent)  # fmt: skip
    assert got["code"] == 0 and got["loaded"] == ["matplotlib"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_each_group_registers_the_commands_main_routes_to_it() -> None:
    for module, names in main.GROUPS.items():
        app = typer.Typer()
        __import__(module, fromlist=["register"]).register(app)
        got = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
        assert sorted(got) == sorted(names), module


def test_a_command_of_one_group_still_runs_as_a_subcommand(tmp_path: Path) -> None:
    # Alone in its app, a Typer command would become the program itself (`kpibot sync` would
    # read "sync" as an argument); the root callback keeps it a subcommand.
    app = main.build_app("manifest")
    assert [c.name for c in app.registered_commands] == ["serve", "manifest"]
    from typer.testing import CliRunner

    res = CliRunner().invoke(app, ["manifest", "--help"])
    assert res.exit_code == 0 and "manifest" in res.output


def test_help_lists_every_group(tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], cwd=tmp_path, env={"PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    for names in main.GROUPS.values():
        for name in names:
            if name != "board":  # hidden: `kpibot board show NAME` is `kpibot dashboard`
                assert f" {name} " in res.stdout, name
