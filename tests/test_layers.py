"""Dependencies point one way: the cache knows no source, and the question stages read the cache
only through `cache/`, never through `salesforce/` (docs/cache.md)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# package → the project packages it must not import
FORBIDDEN = {
    "cache": {"salesforce", "metrics", "grammar", "charts", "bot"},
    "metrics": {"salesforce", "bot"},
    "grammar": {"salesforce", "bot"},
    "charts": {"salesforce", "bot"},
    "salesforce": {"metrics", "grammar", "charts", "bot"},
    # the message catalogues: every stage says its sentences through them
    "i18n": {"cache", "salesforce", "sources", "metrics", "grammar", "charts", "bot"},
}


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_packages_import_only_downstream() -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {bad}"
        for package, forbidden in FORBIDDEN.items()
        for path in sorted((ROOT / package).rglob("*.py"))
        for bad in sorted(_imported(path) & forbidden)
    ]
    assert wrong == []
