"""Which file of a Data Export holds each cached object: a folder walked, or a zip opened safely.

A folder is walked without following links out of it. A zip is only read as far as its
directory until every check has passed: one file per object across all its folders, and an
unpacked size within ``ArchiveLimits`` (a zip bomb is refused before a byte is unpacked). Then
only the members that are loaded are unpacked, into a scratch folder the snapshot writer owns
(removed afterwards, or by the next writer when this process was killed). A damaged member (bad
checksum, cut short) stops the load naming it.

>>> found = find_in_folder(Path("export"))  # doctest: +SKIP
>>> found.files["Lead"]
PosixPath('export/Lead.csv')
"""

from __future__ import annotations

import os
import shutil
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cache import schema
from salesforce.errors import ExportError

GB = 1_000_000_000
# Below this unpacked size a member's compression ratio says nothing (a short header-only CSV
# compresses well) and cannot hurt: the ratio limit applies from here up.
RATIO_FLOOR = 1 << 20


@dataclass(frozen=True)
class ArchiveLimits:
    """The most a zip may unpack to: in total, and as a multiple of its packed size."""

    max_unpacked_bytes: int = 50 * GB
    max_ratio: float = 200.0


@dataclass(frozen=True)
class Found:
    """Cached object → the file (or zip member name) holding it, and the other CSV files."""

    files: dict[str, str]
    ignored: tuple[str, ...]


def _said(name: str) -> str:
    """A file or member name as a message may show it: one line, nothing that steers a
    terminal (a name in a zip is whatever its maker wrote)."""
    return "".join(c if c.isprintable() else "?" for c in name)


def _is_csv(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() == ".csv"


def _match(names: Iterable[str], where: str) -> Found:
    """Map CSV names to objects; two files for one object, in any folders, are an error."""
    by_lower = {o.name.lower(): o.name for o in schema.owned_by(schema.SALESFORCE)}
    files: dict[str, str] = {}
    ignored: list[str] = []
    for name in sorted(n for n in names if _is_csv(n)):
        obj = by_lower.get(PurePosixPath(name).stem.lower())
        if obj is None:
            ignored.append(_said(PurePosixPath(name).name))
        elif obj in files:
            raise ExportError(
                f"{where}: two files for {obj}, {_said(files[obj])} and {_said(name)}; "
                "keep one (a Data Export has one file per object)"
            )
        else:
            files[obj] = name
    return Found(files, tuple(ignored))


# -- folders -------------------------------------------------------------------------------------


def find_in_folder(folder: Path) -> Found:
    """The object files of an export folder (sub-folders included), as paths relative to it.
    A link to a file is read only when it stays inside the folder, links to folders are not
    walked, and a link leading out is an error: nothing behind it is read."""
    root = folder.resolve()
    names: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        for d in list(dirnames):
            if (here / d).is_symlink():
                dirnames.remove(d)
                _inside(root, here / d)  # a link to a folder outside is refused too
        for fname in filter(_is_csv, filenames):
            path = here / fname
            if path.is_symlink():
                _inside(root, path)
            if path.is_file():
                names.append(path.relative_to(root).as_posix())
    return _match(names, str(folder))


def _inside(root: Path, link: Path) -> None:
    target = link.resolve()
    if target != root and root not in target.parents:
        rel = link.relative_to(root).as_posix()
        raise ExportError(
            f"{_said(rel)}: is a link to something outside the export folder, which kpibot "
            "does not follow; copy the file into the folder instead"
        )


# -- zips ----------------------------------------------------------------------------------------


def find_in_zip(zf: zipfile.ZipFile, path: Path, limits: ArchiveLimits) -> Found:
    """The object members of ``zf``, refused when unpacking them would pass ``limits``."""
    members = {i.filename: i for i in zf.infolist() if not i.is_dir()}
    found = _match(members, path.name)
    total = 0
    for name in found.files.values():
        info = members[name]
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= RATIO_FLOOR and ratio > limits.max_ratio:
            raise ExportError(
                f"{path.name}: {_said(name)} would unpack to {ratio:,.0f} times its packed size "
                f"(at most {limits.max_ratio:g}; export.max_ratio in app.yaml), so the archive "
                "is refused as a possible zip bomb"
            )
    if total > limits.max_unpacked_bytes:
        raise ExportError(
            f"{path.name}: its object files would unpack to {_size(total)} (at most "
            f"{_size(limits.max_unpacked_bytes)}; export.max_unpacked_gb in app.yaml), so the "
            "archive is refused"
        )
    return found


def unpack(zf: zipfile.ZipFile, path: Path, found: Found, scratch: Path) -> dict[str, Path]:
    """Unpack the members of ``found`` (and nothing else) into ``scratch``; one file each,
    named as in the zip, never more bytes than the member declares."""
    out: dict[str, Path] = {}
    for obj, name in found.files.items():
        dest = scratch / obj / _said(PurePosixPath(name).name)  # messages name it
        dest.parent.mkdir(mode=0o700)
        info = zf.getinfo(name)
        try:
            with zf.open(info) as src, open(dest, "wb") as dst:
                # zipfile stops at the declared size and checks the CRC at the end.
                shutil.copyfileobj(src, dst, 1 << 20)
                written = dst.tell()
        except zipfile.BadZipFile as e:
            # zipfile reports a stream cut short as a bad CRC too: both are a damaged download.
            why = "cut short, or its checksum does not match" if "CRC" in str(e) else "not valid"
            raise ExportError(_damaged(path, name, why)) from None
        except (EOFError, zlib.error):
            raise ExportError(_damaged(path, name, "cut short or corrupt")) from None
        except RuntimeError as e:  # zipfile: "File … is encrypted, password required …"
            if "encrypted" not in str(e):
                raise
            raise ExportError(
                f"{path.name}: {_said(name)} is encrypted; export again without a password, or "
                "unpack it yourself and load the folder"
            ) from None
        except NotImplementedError:
            raise ExportError(
                f"{path.name}: {_said(name)} is packed with a method kpibot cannot unpack; "
                "unpack the zip yourself and load the folder"
            ) from None
        if written != info.file_size:
            raise ExportError(_damaged(path, name, "cut short or corrupt"))
        out[obj] = dest
    return out


def _damaged(path: Path, name: str, why: str) -> str:
    return (
        f"{path.name}: {_said(name)} is damaged ({why}); download the export again, "
        "or unpack it with another tool and load the folder"
    )


def _size(n: int) -> str:
    return f"{n / GB:,.1f} GB" if n >= GB else f"{n / 1e6:,.1f} MB"
