"""Hostile and damaged exports: zips built here with the real zipfile module (and bytes corrupted
by hand), links out of the folder, oversized fields. Each one is refused with a clear message
that never quotes the file, and the previous cache stays byte for byte as it was."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import build_app
from cache.snapshot import PENDING_PREFIX, current_target, snapshot_dir
from salesforce.errors import ExportError
from salesforce.export import load_export
from salesforce.export_source import ArchiveLimits
from tests.test_export import EDGE, LEAD_HEADER, LEAD_ROW, rows

app = build_app()

ROOT = Path(__file__).resolve().parent.parent
SECRET = "s3cr3t-pa55w0rd"


class Cache:
    """A loaded cache and a fingerprint of it: which snapshot, its bytes, the folder's files."""

    def __init__(self, tmp_path: Path):
        self.db = tmp_path / "k.duckdb"
        load_export(EDGE, self.db)
        self.target = current_target(self.db)
        assert self.target is not None
        self.bytes = self.target.read_bytes()
        self.files = self._files()

    def _files(self) -> list[str]:
        return sorted(p.name for p in snapshot_dir(self.db).iterdir())

    def assert_unchanged(self) -> None:
        assert current_target(self.db) == self.target
        assert self.target is not None and self.target.read_bytes() == self.bytes
        assert self._files() == self.files  # no pending snapshot, no scratch folder left
        assert rows(self.db, "SELECT count(*) FROM Lead") == [(3,)]

    def refuse(self, path: Path, match: str, **kw: object) -> str:
        with pytest.raises(ExportError, match=match) as exc:
            load_export(path, self.db, **kw)  # type: ignore[arg-type]
        self.assert_unchanged()
        msg = str(exc.value)
        assert SECRET not in msg and "Traceback" not in msg
        return msg


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache(tmp_path)


def edge_zip(path: Path, extra: dict[str, bytes] | None = None, **kw: int) -> Path:
    with zipfile.ZipFile(path, "w", **kw) as zf:  # type: ignore[arg-type]
        for f in sorted(EDGE.iterdir()):
            zf.write(f, f"export/{f.name}")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def test_same_object_in_two_folders_of_a_zip_is_an_error(cache: Cache, tmp_path: Path) -> None:
    # Before: the second Lead.csv silently replaced the first when unpacked by its bare name.
    second = (EDGE / "Lead.csv").read_bytes()
    z = edge_zip(tmp_path / "e.zip", {"other/Lead.csv": second})
    msg = cache.refuse(z, "two files for Lead")
    assert "export/Lead.csv and other/Lead.csv" in msg


def test_zip_bomb_is_refused_by_ratio_before_unpacking(cache: Cache, tmp_path: Path) -> None:
    # 40 MB of one repeated row packs about 1000× (deflate's best); the limit is 200×.
    bomb = (LEAD_HEADER + "\n").encode() + b"0" * (40 << 20)
    z = edge_zip(tmp_path / "bomb.zip", {"x/Task.csv": bomb}, compression=zipfile.ZIP_DEFLATED)
    assert z.stat().st_size < 1 << 20
    msg = cache.refuse(z, "possible zip bomb")
    assert "Task.csv would unpack to" in msg and "export.max_ratio" in msg


def test_zip_refused_by_declared_size(cache: Cache, tmp_path: Path) -> None:
    z = edge_zip(tmp_path / "e.zip")
    total = sum(f.stat().st_size for f in EDGE.iterdir() if f.name != "Campaign.csv")
    # Just under what the three object files declare: refused; at exactly that: loaded.
    cache.refuse(z, "would unpack to", limits=ArchiveLimits(max_unpacked_bytes=total - 1))
    load_export(z, cache.db, limits=ArchiveLimits(max_unpacked_bytes=total))


def test_zip_limits_come_from_app_yaml(cache: Cache, tmp_path: Path) -> None:
    cfg = tmp_path / "app.yaml"
    cfg.write_text("export:\n  max_unpacked_gb: 0.000001\n", encoding="utf-8")  # 1,000 bytes
    z = edge_zip(tmp_path / "e.zip")
    res = CliRunner().invoke(app, ["load", str(z), "--config", str(cfg), "--db", str(cache.db)])
    assert res.exit_code == 1, res.output
    assert "the cache is unchanged" in res.stderr
    assert "object files would unpack to" in res.stderr and "at most 0.0 MB" in res.stderr
    cache.assert_unchanged()
    cfg.write_text("export:\n  max_ratio: 0.5\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["load", str(z), "--config", str(cfg), "--db", str(cache.db)])
    assert res.exit_code == 2 and "export.max_ratio" in res.stderr


def test_members_not_loaded_are_never_unpacked(tmp_path: Path) -> None:
    # An ignored Campaign.csv of 64 MB (packed to ~64 KB): its ratio does not matter, and it is
    # not written anywhere. What sits in the scratch folder is looked at mid-load.
    big = b"Id,Name\n" + b"0" * (64 << 20)
    z = edge_zip(tmp_path / "e.zip", {"e/Campaign.csv": big}, compression=zipfile.ZIP_DEFLATED)
    db = tmp_path / "k.duckdb"
    seen: list[str] = []

    def progress(name: str, step: str, done: int, total: int) -> None:
        for p in snapshot_dir(db).rglob("*"):
            if p.is_file():
                seen.append(p.name)

    s = load_export(z, db, progress=progress)
    assert s.rows == {"User": 1, "Lead": 3, "Opportunity": 2}
    assert s.ignored_files == ("Campaign.csv", "Campaign.csv")
    assert {"Lead.csv", "User.csv", "Opportunity.csv"} <= set(seen)
    assert "Campaign.csv" not in seen
    left = [p.name for p in snapshot_dir(db).iterdir() if p.name.startswith(PENDING_PREFIX)]
    assert left == []  # the unpacked copy is removed after a load


def _member_offsets(data: bytes, name: str) -> tuple[int, int]:
    """(offset of the member's local header, offset of its central directory entry)."""
    eocd = data.rindex(b"PK\x05\x06")
    (pos,) = struct.unpack("<I", data[eocd + 16 : eocd + 20])
    while data[pos : pos + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack("<HHH", data[pos + 28 : pos + 34])
        if data[pos + 46 : pos + 46 + n].decode() == name:
            (local,) = struct.unpack("<I", data[pos + 42 : pos + 46])
            return local, pos
        pos += 46 + n + m + k
    raise AssertionError(f"{name} is not in the zip")


def test_member_with_bad_crc(cache: Cache, tmp_path: Path) -> None:
    z = edge_zip(tmp_path / "e.zip", compression=zipfile.ZIP_STORED)
    data = bytearray(z.read_bytes())
    local, _ = _member_offsets(bytes(data), "export/Lead.csv")
    n, m = struct.unpack("<HH", data[local + 26 : local + 30])
    data[local + 30 + n + m + 40] ^= 0x20  # one letter's case, deep in the stored Lead.csv
    z.write_bytes(bytes(data))
    msg = cache.refuse(z, "export/Lead.csv is damaged")
    assert "(cut short, or its checksum does not match)" in msg
    assert "download the export again" in msg


def test_truncated_member(cache: Cache, tmp_path: Path) -> None:
    z = edge_zip(tmp_path / "e.zip", compression=zipfile.ZIP_DEFLATED)
    data = bytearray(z.read_bytes())
    _, central = _member_offsets(bytes(data), "export/Lead.csv")
    (packed,) = struct.unpack("<I", data[central + 20 : central + 24])
    data[central + 20 : central + 24] = struct.pack("<I", packed // 2)  # the stream is cut
    z.write_bytes(bytes(data))
    msg = cache.refuse(z, "export/Lead.csv is damaged")
    assert "cut short" in msg


def test_field_longer_than_the_reader_takes(cache: Cache, tmp_path: Path) -> None:
    # Before: "cannot be read as CSV (Invalid Input Error: CSV Error on Line: 1)".
    body = [LEAD_ROW.format(n=i) for i in range(1, 30)]
    body[18] = body[18].replace("Lead 19", '"' + SECRET * 200_000 + '"')  # 3 MB, line 20
    folder = tmp_path / "e"
    folder.mkdir()
    (folder / "Lead.csv").write_text(LEAD_HEADER + "\n" + "\n".join(body) + "\n")
    msg = cache.refuse(folder, "field longer than 2 MB")
    assert msg.startswith("Lead.csv, line 20, column Name: field longer than 2 MB")
    assert "Line: 1" not in msg


def test_a_killed_load_leaves_scratch_that_the_next_writer_removes(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    load_export(EDGE, db)
    z = edge_zip(tmp_path / "e.zip")
    # A real SIGKILL while the zip is unpacked and the first file is being read.
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from salesforce.export import load_export\n"
        "def die(*a): os.kill(os.getpid(), signal.SIGKILL)\n"
        "load_export(Path(sys.argv[1]), Path(sys.argv[2]), progress=die)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(z), str(db)], cwd=ROOT, capture_output=True
    )
    assert proc.returncode == -9
    left = [p for p in snapshot_dir(db).iterdir() if p.name.startswith(PENDING_PREFIX)]
    assert any(p.is_dir() and list(p.rglob("Lead.csv")) for p in left), left
    load_export(EDGE, db)  # the next writer
    assert [p for p in snapshot_dir(db).iterdir() if p.name.startswith(PENDING_PREFIX)] == []


def test_a_link_out_of_the_export_folder_is_not_followed(cache: Cache, tmp_path: Path) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_text(f"Id,Name\n{SECRET},x\n")
    folder = tmp_path / "e"
    folder.mkdir()
    for f in EDGE.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "Task.csv").symlink_to(outside)
    msg = cache.refuse(folder, "Task.csv: is a link to something outside the export folder")
    (folder / "Task.csv").unlink()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "Task.csv").symlink_to(outside)
    (folder / "more").symlink_to(tmp_path / "elsewhere")
    msg = cache.refuse(folder, "more: is a link to something outside")
    assert "more" in msg
    # A link that stays inside the folder is an ordinary file.
    (folder / "more").unlink()
    (folder / "sub").mkdir()
    os.rename(folder / "User.csv", folder / "sub" / "User.csv")
    (folder / "User.csv").symlink_to(folder / "sub" / "User.csv")
    with pytest.raises(ExportError, match="two files for User"):
        load_export(folder, cache.db)
    (folder / "sub" / "User.csv").rename(folder / "sub" / "Users.txt")
    (folder / "User.csv").unlink()
    (folder / "User.csv").symlink_to(folder / "sub" / "Users.txt")
    assert load_export(folder, cache.db).rows["User"] == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            f"{SECRET}:x:0:0:root:/root:/bin/bash\n",
            "required column Id is missing (the header has number 1)",
            id="a-file-that-is-no-csv",
        ),
        pytest.param(
            LEAD_HEADER + "\n" + LEAD_ROW.format(n=1).replace("Open,false", f"Open,{SECRET}!!"),
            "column IsConverted: the value is not true/false or 1/0",
            id="a-bad-value-that-does-not-look-like-one",
        ),
    ],
)
def test_errors_never_echo_the_file(
    cache: Cache, tmp_path: Path, content: str, expected: str
) -> None:
    folder = tmp_path / "e"
    folder.mkdir()
    (folder / "Lead.csv").write_text(content)
    assert expected in cache.refuse(folder, "Lead.csv, line")


def test_encrypted_member(cache: Cache, tmp_path: Path) -> None:
    # Before: RuntimeError("File … is encrypted, password required") as a traceback.
    z = edge_zip(tmp_path / "e.zip")
    data = bytearray(z.read_bytes())
    local, central = _member_offsets(bytes(data), "export/Lead.csv")
    data[local + 6] |= 1  # general purpose flag bit 0: encrypted
    data[central + 8] |= 1
    z.write_bytes(bytes(data))
    cache.refuse(z, "export/Lead.csv is encrypted; export again without a password")


def test_a_killed_writers_spill_folder_does_not_block_the_next(tmp_path: Path) -> None:
    # DuckDB spills to "<pending>.duckdb.tmp/" under memory pressure; a writer killed then left
    # that folder, and the next writer's clean-up (unlink) failed on it: IsADirectoryError.
    db = tmp_path / "k.duckdb"
    load_export(EDGE, db)
    spill = snapshot_dir(db) / f"{PENDING_PREFIX}20240101T000000000000Z-deadbeef.duckdb.tmp"
    spill.mkdir()
    (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"\0" * 4096)
    load_export(EDGE, db)
    assert not spill.exists()


def test_member_names_cannot_forge_lines_of_a_message(cache: Cache, tmp_path: Path) -> None:
    lead = (EDGE / "Lead.csv").read_bytes()
    z = edge_zip(tmp_path / "e.zip", {"x\nNothing went wrong\x1b[2K/Lead.csv": lead})
    msg = cache.refuse(z, "two files for Lead")
    assert "\n" not in msg and "\x1b" not in msg
    assert "x?Nothing went wrong?[2K/Lead.csv" in msg
