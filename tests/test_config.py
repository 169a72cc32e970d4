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
