"""A Chinese org synced through the Salesforce emulator: the sync keeps the labels describe gives
(the object's, the fields' and the picklist values'), and field search names things by them, so
a question in the org's own words finds its records (docs/field-search.md, Names)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from cache.describe import describe_cache
from cache.snapshot import SnapshotReader
from tests.sf_emulator import Emulator, Org
from tests.sf_emulator.harness import client, run, seed
from tests.test_fields import _ask


@pytest.fixture
def synced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    org = Org(extra_fields={"Task": {"Call_Result__c": "string"}})
    seed(org, random.Random(7))
    # seed() makes six opportunities "O 0" … "O 5"; won where i % 3 == 0 (O 0, O 3).
    for rid in org.live_ids("Opportunity"):
        i = int(org.get("Opportunity", rid)["Name"].split()[1])
        org.update("Opportunity", rid, {"StageName": "Closed Won" if i % 3 == 0 else "Closed Lost"})
    # The first three live tasks left a voicemail, the others reached someone.
    for n, rid in enumerate(org.live_ids("Task")):
        org.update("Task", rid, {"Call_Result__c": "Left voicemail" if n < 3 else "Reached"})
    db = tmp_path / "kpibot.duckdb"
    with Emulator(tmp_path / "emu", org, page_size=7) as emu:
        emu.labels.update(
            {
                "Opportunity": "业务机会",
                "Opportunity.StageName": "阶段",
                "Task": "任务",
                "Task.Call_Result__c": "呼叫结论",
            }
        )
        emu.picklists.update(
            {
                "Opportunity.StageName": [
                    ("Closed Won", "已赢单"),
                    ("Closed Lost", "已丢单"),
                    ("Prospecting", "寻找客户"),
                ],
                "Task.Call_Result__c": [("Left voicemail", "留言"), ("Reached", "已接通")],
            }
        )
        assert run(client(emu, monkeypatch), db).ok
    return db


def test_the_sync_keeps_object_field_and_value_labels(synced: Path) -> None:
    tables = {t.name: t for t in describe_cache(SnapshotReader(synced).cursor())}
    assert tables["Opportunity"].label == "业务机会"
    stage = next(f for f in tables["Opportunity"].fields if f.name == "StageName")
    assert stage.label == "阶段"
    assert set(stage.values) == {
        ("Closed Won", "已赢单"),
        ("Closed Lost", "已丢单"),
        ("Prospecting", "寻找客户"),
    }


def test_questions_in_the_orgs_labels(synced: Path) -> None:
    # The catalog's stage dimension takes the picklist's labels: O 0 and O 3 are won.
    a = _ask(synced, "业务机会数 已赢单 全部时间")
    assert a.rows == ((2,),)
    assert a.restated.startswith(
        "[业务机会数] of [业务机会] on [close date] for [stage = Closed Won]"
    )
    # A custom picklist's labels on its generated dimension: three tasks left a voicemail.
    b = _ask(synced, "任务数 呼叫结论 是 留言 全部时间")
    assert b.rows == ((3,),)
    c = _ask(synced, "任务数 按 呼叫结论 全部时间")
    # seed() makes 30 tasks and deletes 30 // 10 = 3: 27 live, 3 voicemails, 24 reached.
    assert dict(c.rows) == {"Left voicemail": 3, "Reached": 24}
