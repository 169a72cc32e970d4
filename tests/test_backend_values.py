"""The question engine's value list includes app.yaml's own channel names (issue 11, §5), on the
hand-made fixture org, through the real RealBackend used by Slack and `kpibot ask`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from bot.backend import RealBackend
from bot.config import AppConfig
from tests.fixture_org import ORG, load_fixture_org

TODAY = date(2024, 6, 27)
# The fixture's lead sources (see test_metrics_fixture "leads by channel"): L1 Web, L5 WEBSITE,
# L2 Partner, L3 Cold Call, L4 none.
OWN_CHANNELS = {
    "online": ["Web", "Website", "Inbound Call", "Content"],
    "cold calling": ["Cold Call", "Outbound"],
    "referrals": ["Partner", "Partner Referral"],
}


def backend(tmp_path: Path, channels: dict[str, list[str]] | None) -> RealBackend:
    db = tmp_path / "org.duckdb"
    if not db.exists():
        load_fixture_org(db)
    settings = yaml.safe_load((ORG / "app.yaml").read_text(encoding="utf-8"))
    if channels is not None:
        settings["channels"] = channels
    return RealBackend(
        AppConfig.model_validate({**settings, "database": str(db), "base_dir": tmp_path})
    )


def rows(b: RealBackend, question: str) -> list[tuple[object, ...]]:
    reply = b.ask(question, today=TODAY, with_chart=False)
    assert reply.error is None, reply.error.message
    assert reply.answer is not None
    return [tuple(r) for r in reply.answer.rows]


def test_channels_named_in_app_yaml_can_be_asked_for(tmp_path: Path) -> None:
    own = backend(tmp_path, OWN_CHANNELS)
    assert rows(own, "leads referrals") == [(1,)]  # L2 Partner
    assert rows(own, "leads online") == [(2,)]  # L1 Web + L5 WEBSITE
    assert rows(own, "leads cold calling") == [(1,)]  # L3 Cold Call
    # Grouping by channel shows the same names: 2 online, 1 cold calling, 1 referrals, L4 other.
    assert sorted(rows(own, "leads by channel")) == [
        ("cold calling", 1),
        ("online", 2),
        ("other", 1),
        ("referrals", 1),
    ]
    # Another configuration on the same snapshot, in the same process, gets its own names.
    default = backend(tmp_path, None)
    assert rows(default, "leads outbound") == [(1,)]  # L3 Cold Call
    assert rows(own, "leads referrals") == [(1,)]
