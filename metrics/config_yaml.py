"""Reading a YAML file a person wrote (app.yaml, an extra catalog): strictly, failing clearly.

PyYAML keeps the last of two equal keys without a word, so a setting written twice would be
half-ignored; here it is an error with both lines. A file that is missing, a folder, not UTF-8
or not YAML is a ``ConfigError`` saying so, never a traceback.

>>> read_yaml(Path("app.yaml"))  # doctest: +SKIP
{'timezone': 'Asia/Shanghai'}
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from metrics.errors import ConfigError


class _DuplicateKey(Exception):
    def __init__(self, key: object, first: int, second: int):
        self.key, self.first, self.second = key, first, second


# PyYAML's safe loader in C (libyaml, in every PyYAML wheel) reads a file ~10x faster than in
# Python: the catalog and the messages are read at every command's start.
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # "<<: *defaults": keys written after it may override the merged ones
            key = self.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    raise _DuplicateKey(key, seen[key], line)
            except TypeError:  # an unhashable key: SafeLoader says so itself
                continue
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def packaged_yaml(package: str, name: str) -> Any:
    """A YAML file shipped in ``package`` (catalog.yaml, keywords.yaml, dashboards.yaml)."""
    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader


def read_yaml(path: Path) -> Any:
    """The YAML document in ``path``; ConfigError (naming ``path``) for anything unreadable."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file"], source) from None
    except IsADirectoryError:
        raise ConfigError([f"{path}: is a folder; give the YAML file in it"], source) from None
    except OSError as e:
        raise ConfigError([f"{path}: cannot be read ({e.strerror or e})"], source) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise ConfigError(
            [f"line {line}: is not UTF-8 text (save the file as UTF-8)"], source
        ) from None
    return parse_yaml(text, source)


def parse_yaml(text: str, source: str) -> Any:
    """``text`` as YAML, with duplicate keys refused; ConfigError naming ``source``."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except _DuplicateKey as e:
        raise ConfigError(
            [f"line {e.second}: {e.key} is set twice (also on line {e.first}); keep one"], source
        ) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError([f"{where}not valid YAML ({getattr(e, 'problem', e)})"], source) from None
