""""Data as of" is one text on every surface: the org zone, named (issue: text answers and
images used to disagree by 8 hours)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from bot.backend import Reply
from bot.slack.blocks import ButtonState, answer_message
from bot.text import answer_text
from cache.snapshot import SnapshotReader
from charts.labels import as_of_text
from metrics.catalog_load import load_catalog
from metrics.engine import run
from metrics.format import format_as_of
from metrics.query import Query
from tests.fixture_org import fixture_settings, load_fixture_org


def test_format_as_of_names_the_zone() -> None:
    from zoneinfo import ZoneInfo

    # 5 Dec 2026 10:00 UTC is 18:00 in Asia/Shanghai (CST, UTC+8)
    when = datetime(2026, 12, 5, 10, 0, tzinfo=UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    assert format_as_of(when) == "data as of 5 Dec 2026 18:00 CST"
    ny = datetime(2026, 12, 5, 10, 0, tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))
    assert format_as_of(ny) == "data as of 5 Dec 2026 05:00 EST"


def test_cli_slack_and_chart_say_the_same(tmp_path: Path) -> None:
    reader = SnapshotReader(load_fixture_org(tmp_path / "k.duckdb"))
    settings = fixture_settings()  # Asia/Shanghai
    a = run(
        Query(metrics=("calls",)),
        catalog=load_catalog(),
        settings=settings,
        reader=reader,
        today=date(2024, 6, 27),
    )
    reader.close()
    assert a.data_as_of is not None
    expected = format_as_of(a.data_as_of.astimezone(settings.tz))
    assert expected.endswith(" CST")
    assert expected in answer_text(a, tz=settings.tz).splitlines()
    assert as_of_text(a) == expected
    _, blocks = answer_message(Reply("calls", answer=a), ButtonState("calls", None))
    assert expected in str(blocks)
