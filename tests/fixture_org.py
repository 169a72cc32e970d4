"""Load the hand-made fixture org (tests/fixtures/org/*.csv, Data Export format) into a snapshot.

Test-only stand-in for salesforce.export until the loader lands: read each CSV with DuckDB,
drop IsDeleted = true rows, insert by column name into the schema's tables.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from cache import schema
from cache.snapshot import open_writer
from metrics.settings import OrgSettings

ORG = Path(__file__).parent / "fixtures" / "org"


def load_fixture_org(db_path: Path, org: Path = ORG) -> Path:
    with open_writer(db_path, source="fixture", fresh=True) as w:
        for obj in schema.OBJECTS:
            csv = org / f"{obj.name}.csv"
            if not csv.exists():
                continue
            w.con.execute(
                f'INSERT INTO "{obj.name}" BY NAME SELECT * EXCLUDE (IsDeleted) '
                "FROM read_csv(?, header = true, all_varchar = true) "
                "WHERE lower(IsDeleted) <> 'true'",
                [str(csv)],
            )
            w.mark_refreshed(obj.name)
    return db_path


def fixture_settings(name: str = "app.yaml") -> OrgSettings:
    return OrgSettings.model_validate(yaml.safe_load((ORG / name).read_text(encoding="utf-8")))
