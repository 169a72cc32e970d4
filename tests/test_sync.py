"""kpibot sync against the loopback Salesforce emulator: loads, increments, logins, TLS, fields."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest
from simple_salesforce import Salesforce

from cache.snapshot import SnapshotReader, open_writer
from salesforce.credentials import Credentials
from salesforce.errors import AuthFailed, CredentialsError, NetworkError
from salesforce.settings import SalesforceSettings
from tests.sf_emulator import Emulator, Org
from tests.sf_emulator.harness import (
    assert_matches_org,
    cache_rows,
    client,
    meta,
    run,
    seed,
    task_values,
)


@pytest.fixture
def emu(tmp_path: Path):
    org = Org(extra_fields={"Task": {"Call_Result__c": "string"}})
    seed(org, random.Random(7))
    with Emulator(tmp_path / "emu", org, page_size=7) as e:
        yield e


def test_first_run_loads_every_object_through_rest_pages(
    emu: Emulator, tmp_path: Path, monkeypatch
) -> None:
    db = tmp_path / "kpibot.duckdb"
    res = run(client(emu, monkeypatch), db)
    assert res.ok and [o.mode for o in res.objects] == ["full"] * 8
    assert_matches_org(db, emu.org)
    # 27 live Tasks at 7 per page: the client followed nextRecordsUrl through every page.
    assert emu.calls["query_more"] >= 4
    assert {o.api for o in res.objects} == {"rest"}
    # Every query went through queryAll with the cursor ordering; deleted Tasks are not stored.
    assert all("ORDER BY SystemModstamp, Id" in q for k, q in emu.queries if k == "query")
    assert (
        len(cache_rows(db, "Task")) == len(emu.org.live_ids("Task")) < len(emu.org.records["Task"])
    )
    m = meta(db)
    assert all(v[0] == f"salesforce:127.0.0.1:{emu.port}" for v in m.values())
    assert m["Task"][3] is not None and m["Task"][1] == res.started_at


def test_large_objects_use_bulk_api_2_with_result_locators(
    emu: Emulator, tmp_path: Path, monkeypatch
) -> None:
    db = tmp_path / "kpibot.duckdb"
    emu.bulk_polls = 3  # UploadComplete → InProgress → InProgress → JobComplete
    res = run(client(emu, monkeypatch), db, SalesforceSettings(bulk_threshold=20), bulk_page_size=4)
    by = {o.name: o for o in res.objects}
    assert by["Task"].api == "bulk" and by["Lead"].api == "rest"
    assert_matches_org(db, emu.org)
    # 30 Task records (deleted ones included, queryAll) in pages of 4: 8 result pages.
    assert emu.calls["bulk_results"] == 8 and emu.calls["bulk_poll"] == 3
    assert [q for k, q in emu.queries if k == "bulk"] == [
        "SELECT Id, WhoId, WhatId, OwnerId, Subject, TaskSubtype, Type, CallType, CallDisposition, "
        "CallDurationInSeconds, ActivityDate, Status, CreatedDate, SystemModstamp, IsDeleted "
        "FROM Task"
    ]


def test_bulk_csv_columns_are_matched_by_header_name(
    emu: Emulator, tmp_path: Path, monkeypatch
) -> None:
    emu.csv_alphabetical = True  # API versions up to 49.0 ordered result columns by name
    db = tmp_path / "kpibot.duckdb"
    res = run(client(emu, monkeypatch), db, SalesforceSettings(bulk_threshold=20))
    assert {o.name: o.api for o in res.objects}["Task"] == "bulk"
    assert_matches_org(db, emu.org)


def test_later_runs_read_only_changes_and_apply_updates_and_deletes(
    emu: Emulator, tmp_path: Path, monkeypatch
) -> None:
    db = tmp_path / "kpibot.duckdb"
    api = client(emu, monkeypatch)
    run(api, db)
    rng = random.Random(1)
    live = emu.org.live_ids("Task")
    emu.org.update(
        "Task", live[0], {"CallDisposition": "Meeting booked", "CallDurationInSeconds": 61}
    )
    emu.org.delete("Task", live[1])
    emu.org.delete("Lead", emu.org.live_ids("Lead")[0])
    new = emu.org.insert("Task", task_values(rng))
    emu.queries.clear()
    res = run(api, db, SalesforceSettings(overlap="1m"))
    assert [o.mode for o in res.objects] == ["incremental"] * 8
    assert_matches_org(db, emu.org)
    by = {o.name: o for o in res.objects}
    assert by["Task"].deleted == 1 and by["Lead"].deleted == 1
    # Only the overlap window was read: the year-old Tasks did not come back.
    assert by["Task"].fetched < 10
    assert any(r[0] == new for r in cache_rows(db, "Task"))
    assert all(">= " in q for k, q in emu.queries if k == "query")


def test_a_late_committed_record_inside_the_overlap_is_not_missed(
    emu: Emulator, tmp_path: Path, monkeypatch
) -> None:
    db = tmp_path / "kpibot.duckdb"
    api = client(emu, monkeypatch)
    run(api, db)
    wm = meta(db)["Task"][3]
    # A transaction that began before the last sync committed after it, stamped 2 min before the
    # watermark: an overlap of 5 minutes re-reads it.
    late = emu.org.insert(
        "Task",
        task_values(random.Random(2)),
        stamp=int((wm - timedelta(minutes=2)).timestamp() * 1000),
    )
    run(api, db, SalesforceSettings(overlap="5m"))
    assert any(r[0] == late for r in cache_rows(db, "Task"))
    assert_matches_org(db, emu.org)


def test_demo_data_in_the_cache_is_replaced_by_the_first_sync(
    emu: Emulator, tmp_path: Path, monkeypatch
) -> None:
    db = tmp_path / "kpibot.duckdb"
    with open_writer(db, source="demo") as w:
        w.con.execute(
            "INSERT INTO Task (Id, OwnerId, CreatedDate) VALUES ('00Tdemo', '005x', now())"
        )
        w.mark_refreshed("Task")
    res = run(client(emu, monkeypatch), db)
    assert {o.mode for o in res.objects} == {"full"}
    assert_matches_org(db, emu.org)


def test_full_flag_reloads_and_matches(emu: Emulator, tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "kpibot.duckdb"
    api = client(emu, monkeypatch)
    run(api, db)
    res = run(api, db, full=True)
    assert {o.mode for o in res.objects} == {"full"}
    assert_matches_org(db, emu.org)


def test_field_map_fills_a_cache_column_from_a_custom_field(
    emu: Emulator, tmp_path: Path, monkeypatch
) -> None:
    for i, rid in enumerate(emu.org.live_ids("Task")):
        emu.org.update("Task", rid, {"Call_Result__c": f"result {i}"})
    settings = SalesforceSettings(field_map={"Task.CallDisposition": "Call_Result__c"})
    db = tmp_path / "kpibot.duckdb"
    run(client(emu, monkeypatch), db, settings)
    fm = {"Task.CallDisposition": "Call_Result__c"}
    assert_matches_org(db, emu.org, field_map=fm)
    assert all(r[8].startswith("result ") for r in cache_rows(db, "Task"))


@pytest.mark.parametrize("describe_hides", [True, False])
def test_fields_the_user_cannot_see_are_null_and_warned_once(
    emu: Emulator, tmp_path: Path, monkeypatch, describe_hides: bool
) -> None:
    # describe_hides=False: describe still lists the field but the query says INVALID_FIELD
    # (access removed between the two calls).
    emu.hidden = {"Task.CallDisposition", "Lead.LeadSource"}
    emu.describe_hides = describe_hides
    warnings: list[str] = []

    class Obs:
        def begin(self, obj: str, total: int, api: str) -> None: ...
        def advance(self, obj: str, n: int) -> None: ...
        def warn(self, message: str) -> None:
            warnings.append(message)

    db = tmp_path / "kpibot.duckdb"
    api = client(emu, monkeypatch)
    warned: set[str] = set()
    run(api, db, observer=Obs(), warned=warned)
    run(api, db, observer=Obs(), warned=warned)
    assert_matches_org(db, emu.org, hidden=emu.hidden)
    assert sorted(w.split(" ")[0] for w in warnings) == ["Lead.LeadSource", "Task.CallDisposition"]


@pytest.mark.parametrize("mode", ["password", "client"])
def test_login_flows_through_https_proxy_and_ca_bundle(
    emu: Emulator, tmp_path: Path, monkeypatch, mode: str
) -> None:
    db = tmp_path / "kpibot.duckdb"
    api = client(emu, monkeypatch, mode)
    assert api.instance == f"127.0.0.1:{emu.port}" and emu.logins == 1
    run(api, db)
    assert_matches_org(db, emu.org)
    host = "login.salesforce.com:443" if mode == "password" else "acme.my.salesforce.com:443"
    assert emu.proxy.tunnels[0] == host  # HTTPS_PROXY was honoured by our session


def test_wrong_password_names_the_settings_to_check(emu: Emulator, monkeypatch) -> None:
    emu.users["sync@example.com"] = ("other", "TOKEN")
    with pytest.raises(AuthFailed, match="INVALID_LOGIN.*SF_PASSWORD, SF_SECURITY_TOKEN"):
        client(emu, monkeypatch, "password")
    emu.clients["cid"] = "nope"
    with pytest.raises(AuthFailed, match="invalid_client.*SF_CLIENT_SECRET"):
        client(emu, monkeypatch, "client")


def test_an_untrusted_certificate_says_how_to_trust_a_company_ca(
    emu: Emulator, tmp_path: Path, monkeypatch
) -> None:
    api = client(emu, monkeypatch)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    api.session.verify = True  # certifi's bundle does not hold the emulator's CA
    with pytest.raises(NetworkError, match="REQUESTS_CA_BUNDLE"):
        run(api, tmp_path / "kpibot.duckdb")


def test_ssl_cert_file_is_honoured(emu: Emulator, tmp_path: Path, monkeypatch) -> None:
    api = client(emu, monkeypatch)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.setenv("SSL_CERT_FILE", str(emu.ca_path))
    api2 = type(api)(api.creds, sleep=lambda s: None)
    assert api2.session.verify == str(emu.ca_path)
    assert run(api2, tmp_path / "kpibot.duckdb").ok


def test_simple_salesforce_session_verify_alone_trusts_the_emulator(
    emu: Emulator, monkeypatch
) -> None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # they would override session.verify
        monkeypatch.delenv(name, raising=False)
    sf = Salesforce(instance_url=emu.url, session_id="static-token")
    sf.session.verify = str(emu.ca_path)
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == len(emu.org.live_ids("Lead"))


def test_data_as_of_is_the_servers_time_at_the_start_of_the_sync(
    emu: Emulator, tmp_path: Path, monkeypatch
) -> None:
    db = tmp_path / "kpibot.duckdb"
    res = run(client(emu, monkeypatch), db)
    reader = SnapshotReader(db)
    try:
        assert reader.data_as_of() == res.started_at
    finally:
        reader.close()
    assert res.started_at.microsecond == 0  # HTTP Date of the first response


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "No Salesforce credentials"),
        ({"SF_USERNAME": "a", "SF_PASSWORD": "b"}, "SF_SECURITY_TOKEN not set"),
        ({"SF_PASSWORD": "b", "SF_SECURITY_TOKEN": ""}, "SF_USERNAME not set"),
        ({"SF_INSTANCE_URL": "https://x.my.salesforce.com"}, "SF_ACCESS_TOKEN not set"),
        (
            {"SF_INSTANCE_URL": "http://x.example.com", "SF_ACCESS_TOKEN": "t"},
            "SF_INSTANCE_URL: .* https URL",
        ),
        ({"SF_CLIENT_ID": "a", "SF_CLIENT_SECRET": "b"}, "SF_DOMAIN: client-credentials"),
        ({"SF_CLIENT_ID": "a", "SF_CLIENT_SECRET": "b", "SF_DOMAIN": "test"}, "SF_DOMAIN"),
        ({"SF_CLIENT_ID": "a"}, "SF_CLIENT_SECRET not set"),
        (
            {"SF_USERNAME": "a", "SF_PASSWORD": "b", "SF_SECURITY_TOKEN": "", "SF_DOMAIN": "a b"},
            'SF_DOMAIN: "a b"',
        ),
    ],
)
def test_missing_or_wrong_settings_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(CredentialsError, match=message):
        Credentials.from_env(env)


def test_my_domain_forms_are_normalised() -> None:
    for raw in ("acme.my", "acme.my.salesforce.com", "https://acme.my.salesforce.com/"):
        c = Credentials.from_env({"SF_CLIENT_ID": "a", "SF_CLIENT_SECRET": "b", "SF_DOMAIN": raw})
        assert c.domain == "acme.my" and c.mode == "client_credentials"
    c = Credentials.from_env({"SF_USERNAME": "u", "SF_PASSWORD": "p", "SF_SECURITY_TOKEN": ""})
    assert (
        c.domain == "login"
        and c.security_token == ""
        and "p" not in repr(c).replace("password", "")
    )
