"""Test helpers: a seeded org, a logged-in client of the emulator, the cache read back."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cache import schema
from cache.snapshot import SnapshotReader
from salesforce.client import Api
from salesforce.credentials import Credentials
from salesforce.settings import SalesforceSettings
from salesforce.sync import Syncer, SyncResult
from tests.sf_emulator.org import Org
from tests.sf_emulator.server import Emulator

OLD = datetime(2023, 3, 1, tzinfo=UTC)


def seed(org: Org, rng: random.Random, *, tasks: int = 30, per_object: int = 6) -> None:
    """A small org with every object, some records stamped in the past, some deleted."""
    users = [
        org.insert(
            "User",
            {
                "Name": f"Rep {i}",
                "Email": f"rep{i}@x.com",
                "IsActive": True,
                "Department": rng.choice(["Inbound", "Outbound"]),
            },
        )
        for i in range(3)
    ]
    for i in range(per_object):
        org.insert(
            "Account", {"Name": f"Acme {i}", "OwnerId": rng.choice(users), "Industry": "Tech"}
        )
        org.insert(
            "Contact", {"Name": f"C {i}", "OwnerId": rng.choice(users), "Email": f"c{i}@x.com"}
        )
        org.insert(
            "Lead",
            {
                "Name": f"L {i}",
                "Company": "Co",
                "OwnerId": rng.choice(users),
                "IsConverted": i % 2 == 0,
                "LeadSource": "Web",
                "ConvertedDate": date(2024, 1, 1 + i) if i % 2 == 0 else None,
            },
        )
        opp = org.insert(
            "Opportunity",
            {
                "Name": f"O {i}",
                "OwnerId": rng.choice(users),
                "StageName": "Won",
                "Amount": 1000.25 * i,
                "CloseDate": date(2024, 2, 1),
                "IsClosed": True,
                "IsWon": i % 3 == 0,
            },
        )
        org.insert(
            "OpportunityHistory", {"OpportunityId": opp, "StageName": "Prospecting", "Amount": 10.5}
        )
        org.insert(
            "Event",
            {
                "OwnerId": rng.choice(users),
                "Type": "Demo",
                "Subject": "demo",
                "StartDateTime": OLD + timedelta(days=i),
                "EndDateTime": OLD + timedelta(days=i, hours=1),
                "ActivityDate": date(2023, 3, 1),
            },
        )
    for i in range(tasks):
        stamp = org.now_ms() - rng.randint(0, 400) * 86_400_000  # some a year old: archived
        org.insert("Task", task_values(rng, users, i), stamp=stamp)
    for rid in rng.sample(org.live_ids("Task"), k=max(1, tasks // 10)):
        org.delete("Task", rid)


def task_values(rng: random.Random, users: list[str] | None = None, i: int = 0) -> dict[str, Any]:
    return {
        "OwnerId": rng.choice(users or ["005000000000009AAA"]),
        "Subject": f'Call "{i}", again',
        "TaskSubtype": "Call",
        "CallType": rng.choice(["Outbound", "Inbound"]),
        "CallDisposition": rng.choice(["Connected", "No Answer", None]),
        "CallDurationInSeconds": rng.randint(0, 900),
        "ActivityDate": date(2024, 5, rng.randint(1, 28)),
        "Status": "Completed",
    }


def client(emu: Emulator, monkeypatch: pytest.MonkeyPatch, mode: str = "token", **kw: Any) -> Api:
    """A logged-in Api trusting the emulator's CA through REQUESTS_CA_BUNDLE."""
    env = emu.env(mode)
    for k in (
        "HTTPS_PROXY",
        "https_proxy",
        "NO_PROXY",
        "no_proxy",
        "SSL_CERT_FILE",
        "CURL_CA_BUNDLE",
    ):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        if k in ("REQUESTS_CA_BUNDLE", "HTTPS_PROXY", "NO_PROXY"):
            monkeypatch.setenv(k, v)
    kw.setdefault("sleep", lambda s: None)
    return Api(Credentials.from_env(env), **kw)


def run(
    api: Api, db: Path, settings: SalesforceSettings | None = None, *, full: bool = False, **kw: Any
) -> SyncResult:
    kw.setdefault("bulk_poll", 0)
    return Syncer(api, settings or SalesforceSettings(), **kw).run(db, full=full)


def cache_rows(db: Path, obj: str) -> list[tuple[Any, ...]]:
    reader = SnapshotReader(db)
    try:
        names = ", ".join(f'"{f}"' for f in schema.BY_NAME[obj].field_names)
        return reader.cursor().execute(f'SELECT {names} FROM "{obj}" ORDER BY "Id"').fetchall()
    finally:
        reader.close()


def assert_matches_org(db: Path, org: Org, **kw: Any) -> None:
    for obj in schema.OBJECTS:
        got, want = cache_rows(db, obj.name), org.expected(obj.name, **kw)
        assert got == want, f"{obj.name}: cache has {len(got)} rows, org {len(want)}"


def meta(db: Path) -> dict[str, tuple[Any, ...]]:
    reader = SnapshotReader(db)
    try:
        rows = (
            reader.cursor()
            .execute(
                "SELECT object, source, refreshed_at, row_count, watermark "
                f"FROM {schema.META_OBJECTS}"
            )
            .fetchall()
        )
        return {r[0]: r[1:] for r in rows}
    finally:
        reader.close()
