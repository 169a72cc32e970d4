"""Load the hand-made fixture org (tests/fixtures/org/*.csv, Data Export format) into a snapshot.

Test-only stand-in for salesforce.export until the loader lands: read each CSV with DuckDB,
drop IsDeleted = true rows, insert by column name into the schema's tables.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from cache import schema
from cache.lake import LakeTarget
from cache.snapshot import SnapshotReader, open_writer
from i18n import Language
from metrics.answer import Answer
from metrics.settings import OrgSettings

ORG = Path(__file__).parent / "fixtures" / "org"
# A small org in America/New_York whose records straddle daylight-saving changes.
ORG_DST = Path(__file__).parent / "fixtures" / "org-dst"


def load_fixture_org(db_path: Path, org: Path = ORG, lake: LakeTarget | None = None) -> Path:
    # In the org's zone, as `kpibot load` does: the Tasks-per-day rollup is then what call
    # questions read, and the hand-worked numbers check it.
    tz = yaml.safe_load((org / "app.yaml").read_text(encoding="utf-8"))["timezone"]
    with open_writer(db_path, source="fixture", fresh=True, tz=tz, lake=lake) as w:
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


def fixture_settings(name: str = "app.yaml", org: Path = ORG) -> OrgSettings:
    data = yaml.safe_load((org / name).read_text(encoding="utf-8"))
    data.pop("sources", None)  # app.yaml's, not an org setting
    return OrgSettings.model_validate(data)


def load_fixture_sources(
    db_path: Path, name: str = "app.yaml", lake: LakeTarget | None = None
) -> Path:
    """Import the fixture's sources (marketing spend, quotas) into its cache, as `kpibot import`."""
    from bot.config import load as load_config
    from sources.importer import import_sources

    cfg = load_config(ORG / name, str(db_path))
    import_sources(db_path, cfg.sources, cfg, cfg.base_dir, lake=lake)
    return db_path


def ask_fixture(
    reader: SnapshotReader, question: str, lang: Language = Language.EN, today: str = "2024-06-27"
) -> Answer:
    """``question`` in words, parsed and answered in-process on the fixture org (its spec's
    today, Thu 27 Jun 2024, unless told)."""
    from grammar import Parser
    from metrics.catalog_load import load_catalog
    from metrics.engine import run

    catalog = load_catalog()
    return run(
        Parser(catalog, {}).parse(question).query,
        catalog=catalog,
        settings=fixture_settings(),
        reader=reader,
        today=date.fromisoformat(today),
        question=question,
        language=lang,
    )
