"""Owner-only files and folders, whatever the umask.

The cache holds every Salesforce record kpibot reads and the state database holds the audit log,
so both, and the folders kpibot creates for them, are readable by their owner only (0600 / 0700).
A folder that already exists is left as its owner made it, except the ones kpibot alone uses.

>>> private_dir(Path("data"))  # doctest: +SKIP
>>> private_file(Path("data/kpibot-state.sqlite"))  # doctest: +SKIP
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path, *, own: bool = False) -> None:
    """Create ``path`` and any missing parents as 0700. With ``own`` (a folder only kpibot
    uses, such as the snapshot folder) an existing one is set to 0700 too."""
    missing: list[Path] = []
    p = Path(path)
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass  # made by another process meanwhile
        os.chmod(d, DIR_MODE)  # mkdir's mode is masked by the umask
    if own:
        os.chmod(path, DIR_MODE)


def private_file(path: Path) -> None:
    """Create ``path`` empty as 0600 when missing; make an existing one 0600."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
        os.close(fd)
    except FileExistsError:
        pass
    os.chmod(path, FILE_MODE)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (0600) whole or not at all: through a temporary file renamed
    over it. A folder this process may not write to only loses the file (OSError swallowed)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        private_dir(path.parent)
        private_file(tmp)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
