"""app.yaml validation: every problem at once, with its key path and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import config
from metrics.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "app.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_shipped_app_yaml_is_valid() -> None:
    cfg = config.load(Path(__file__).parent.parent / "app.yaml")
    assert cfg.timezone == "Asia/Shanghai"
    assert cfg.db_path.name == "kpibot.duckdb"


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KPIBOT_CONFIG", raising=False)
    monkeypatch.delenv("KPIBOT_DB", raising=False)
    cfg = config.load()
    assert cfg.timezone == "UTC"
    assert cfg.currency == "USD"
    assert cfg.fiscal_year_start_month == 1
    assert cfg.connected_dispositions == ["Connected"]
    assert cfg.meeting_types == ["Meeting", "Demo"]
    assert cfg.db_path == Path("data/kpibot.duckdb")


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "timezone: Mars/Base\ncurrency: dollars\nfiscal_year_start_month: 13\nfoo: 1\n"
        "salesforce:\n  sync_every: soon\n",
    )
    with pytest.raises(ConfigError) as exc:
        config.load(p)
    problems = exc.value.problems
    assert (
        'timezone: "Mars/Base" is not an IANA time zone (e.g. "Asia/Shanghai", "UTC")' in problems
    )
    assert any(x.startswith("currency: ") and "ISO 4217" in x for x in problems)
    assert any(x.startswith("fiscal_year_start_month: ") for x in problems)
    assert "foo: is not a known setting (see docs/configuration.md)" in problems
    assert any(x.startswith("salesforce.sync_every: ") and "duration" in x for x in problems)
    assert len(problems) == 5


def test_db_override_and_relative_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = write(tmp_path, "database: cache/x.duckdb\n")
    monkeypatch.delenv("KPIBOT_DB", raising=False)
    assert config.load(p).db_path == tmp_path / "cache/x.duckdb"
    assert config.load(p, db="/tmp/other.duckdb").db_path == Path("/tmp/other.duckdb")
    monkeypatch.setenv("KPIBOT_DB", "/tmp/env.duckdb")
    assert config.load(p).db_path == Path("/tmp/env.duckdb")


def test_env_chooses_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = write(tmp_path, "currency: CNY\n")
    monkeypatch.setenv("KPIBOT_CONFIG", str(p))
    assert config.load().currency == "CNY"


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    p = write(tmp_path, "timezone: UTC\nchannels: [unclosed\n")
    with pytest.raises(ConfigError) as exc:
        config.load(p)
    assert exc.value.problems[0].startswith("line ")


def test_lead_source_in_two_channels(tmp_path: Path) -> None:
    p = write(tmp_path, "channels:\n  inbound: [Web]\n  partner: [web]\n")
    with pytest.raises(ConfigError) as exc:
        config.load(p)
    assert exc.value.problems == ['channels: lead source "web" is in both inbound and partner']


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        pytest.param(
            lambda d: (d / "app.yaml").write_bytes(b"timezone: UTC\ncurrency: \xa5\n") and None,
            "app.yaml has 1 problem(s):\nline 2: is not UTF-8 text (save the file as UTF-8)",
            id="not-utf8",
        ),
        pytest.param(
            lambda d: (d / "app.yaml").mkdir() and None,
            "app.yaml: is a folder; give the YAML file in it",
            id="a-folder",
        ),
        pytest.param(
            lambda d: (
                (d / "app.yaml").write_text(
                    "timezone: UTC\naccess:\n  users: [U1]\n  channels: []\n  users: []\n"
                )
                and None
            ),
            "line 5: users is set twice (also on line 3); keep one",
            id="duplicate-key",
        ),
    ],
)
def test_unreadable_config_is_a_configuration_error(
    tmp_path: Path, make: object, expected: str
) -> None:
    """Before: a UnicodeDecodeError / IsADirectoryError traceback (exit 1), and a duplicate key
    silently kept its last value (here: every user allowed)."""
    from typer.testing import CliRunner

    from bot.cli.main import build_app

    app = build_app()

    make(tmp_path)  # type: ignore[operator]
    res = CliRunner().invoke(app, ["kpis", "--config", str(tmp_path / "app.yaml")])
    assert res.exit_code == 2, res.output
    assert expected in res.stderr
    assert "Traceback" not in res.output


def test_duplicate_key_in_an_extra_catalog(tmp_path: Path) -> None:
    from metrics.catalog_load import load_catalog

    extra = tmp_path / "more.yaml"
    extra.write_text("metrics:\n  - name: a\n    name: b\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_catalog(extra)
    assert exc.value.problems == ["line 3: name is set twice (also on line 2); keep one"]
