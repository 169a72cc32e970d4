"""Every setting and every command is documented (the public surface stays explained)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from bot.config import AppConfig

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.extend(_keys(ann, f"{prefix}{name}."))
        else:
            out.append(prefix + name)
    return out


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [k for k in _keys(AppConfig) if f"`{k}`" not in text]
    assert missing == []


def test_readme_opens_with_the_two_commands() -> None:
    lines = [
        ln for ln in (ROOT / "README.md").read_text(encoding="utf-8").splitlines() if ln.strip()
    ]
    assert lines[0] == "# kpibot"
    assert lines[1] == "```sh"
    assert lines[2].startswith("make demo")
    assert lines[3].startswith("make test")
    assert lines[4] == "```"


def test_every_command_is_in_the_readme() -> None:
    from bot.cli.main import build_app

    app = build_app()

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
    assert names, "no commands registered"
    missing = [n for n in names if f"`kpibot {n}" not in readme]
    assert missing == []
