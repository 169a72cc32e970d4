"""Field search, second part: date fields anchor the window, checkboxes as filters, future
windows, custom Lead fields on the lead KPIs. The fixture org is loaded as a real Data Export
with tests/test_fields.py's custom Opportunity fields plus two custom Lead fields (below).
Every expected number is worked out by hand from tests/fixtures/org/*.csv; today is Thu 27 Jun
2024 in Asia/Shanghai (UTC+8), so "this quarter" is 1 Apr – 27 Jun 2024 and "last month"
1 – 31 May 2024.

Opportunities (CloseDate; CreatedDate in local time; Amount; IsClosed/IsWon):
  O1 15 May, 11 Apr, 50000, won · O2 10 Jun, 1 Jun, —, won · O3 15 Jul, 3 Jun, 30000, open
  O4 1 Jun, 20 Apr, 20000, lost · O5 20 Jun, 5 Jan, 80000, won · O6 30 Apr, 1 Feb, 10000, open
  O7 15 Feb 2024 · O9, O10 2023 · O11 20 May, 1 May, 50000 · O8 deleted
Leads (CreatedDate local): L1 2 Apr · L2 10 Apr · L3 7 May 01:30 (UTC 6 May) · L4 3 Jun
  · L5 1 Apr 01:00 (UTC 31 Mar) · L7 15 Jan · L6 deleted.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

import grammar
from cache.describe import describe_cache
from cache.snapshot import SnapshotReader
from charts.labels import title_of
from grammar.followup import merge
from metrics.catalog_load import load_catalog
from metrics.errors import NoData, UserError
from metrics.fields import with_fields
from metrics.query import WindowSpec
from metrics.values import load_values
from salesforce.export import load_export
from tests.fixture_org import fixture_settings
from tests.test_fields import _ask, _export_with_custom_fields

# Lead Id → (Region__c, First_Meeting_Date__c); "" is an empty cell.
LEAD_CUSTOM = {
    "L1": ("EMEA", "2024-05-02"),
    "L2": ("APAC", "2024-04-12"),
    "L3": ("EMEA", ""),
    "L4": ("APAC", "2024-06-05"),
    "L5": ("EMEA", "2024-05-20"),
    "L6": ("APAC", "2024-05-01"),  # deleted
    "L7": ("EMEA", "2024-02-01"),
}

# Tasks logged on an account or an opportunity (WhatId; the fixture's T05 is on O1 already).
TASK_WHAT = {"T07": "A2", "T10": "O6"}
# A call logged on a contact only (WhoId): its account is the contact's. C3 is a contact of A3
# Initech that no lead was converted to, so the lead KPIs' activities stay as they were.
TASK_WHO = {"T08": "C3"}
CONTACT_C3 = "C3,Wu Fang,A3,U3,wu@initech.example,,false,2024-05-01T00:00:00.000Z\n"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("fields_dates")
    export = _export_with_custom_fields(tmp / "export")
    path = export / "Lead.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([*rows[0], "Region__c", "First_Meeting_Date__c"])
    for r in rows[1:]:
        w.writerow([*r, *LEAD_CUSTOM[r[0]]])
    path.write_text(out.getvalue(), encoding="utf-8")
    tasks = export / "Task.csv"
    text = tasks.read_text(encoding="utf-8")
    for tid, what in TASK_WHAT.items():
        text = text.replace(f"\n{tid},,,", f"\n{tid},,{what},")
    for tid, who in TASK_WHO.items():
        text = text.replace(f"\n{tid},,,", f"\n{tid},{who},,")
    tasks.write_text(text, encoding="utf-8")
    contacts = export / "Contact.csv"
    contacts.write_text(contacts.read_text(encoding="utf-8") + CONTACT_C3, encoding="utf-8")
    db = tmp / "k.duckdb"
    load_export(export, db)
    return db


# -- date fields anchor the window -------------------------------------------------------------


def test_by_close_date_counts_on_it_and_groups_by_week(db: Path) -> None:
    a = _ask(db, "opportunities by close date")
    # "opportunities" is the KPI new opportunities (on CreatedDate), here counted on CloseDate;
    # the default window is this quarter (13 weeks from Mon 1 Apr), so grouped by week:
    # O6 30 Apr (week of 29 Apr), O1 15 May (13 May), O11 20 May (20 May), O4 1 Jun (27 May),
    # O2 10 Jun (10 Jun), O5 20 Jun (17 Jun); O3 15 Jul is next quarter → 6 deals.
    assert a.restated.startswith("[new opportunities] on [close date] by [week] · 1 Apr – 27 Jun")
    nonzero = {r[0]: r[1] for r in a.rows if r[1]}
    assert nonzero == {
        date(2024, 4, 29): 1,
        date(2024, 5, 13): 1,
        date(2024, 5, 20): 1,
        date(2024, 5, 27): 1,
        date(2024, 6, 10): 1,
        date(2024, 6, 17): 1,
    }
    assert len(a.rows) == 13  # every week of the quarter, empty ones as 0
    # The chart's title keeps the chosen date: these are not the opportunities created each week.
    assert title_of(a) == "New opportunities on close date by week"


def test_created_last_month(db: Path) -> None:
    a = _ask(db, "leads created last month")
    # Created 1 – 31 May local: only L3 (7 May 01:30 local, 6 May in UTC).
    assert a.rows == ((1,),)
    assert a.restated == "[leads] on [created date] · 1 – 31 May 2024 (last month)"


def test_sum_of_amount_by_close_date_this_quarter(db: Path) -> None:
    a = _ask(db, "sum of amount by close date this quarter")
    assert a.restated.startswith(
        "[sum of amount] of [Opportunity] on [close date] by [week] · 1 Apr – 27 Jun 2024"
    )
    nonzero = {r[0]: r[1] for r in a.rows if r[1]}
    # O6 10000 (29 Apr), O1 50000 (13 May), O11 50000 (20 May), O4 20000 (27 May),
    # O5 80000 (17 Jun); O2 (10 Jun) has no amount.
    assert nonzero == {
        date(2024, 4, 29): 10000.0,
        date(2024, 5, 13): 50000.0,
        date(2024, 5, 20): 50000.0,
        date(2024, 5, 27): 20000.0,
        date(2024, 6, 17): 80000.0,
    }


def test_a_kpi_on_another_date_of_its_records(db: Path) -> None:
    # revenue won counts on CloseDate; on CreatedDate this quarter (local): O1 11 Apr 50000,
    # O2 1 Jun (no amount), O11 1 May 50000 → 100000 (O5 was created 5 Jan).
    a = _ask(db, "revenue won by created date this quarter by month")
    assert a.restated.startswith("[revenue won] on [created date] by [month] · ")
    assert [r[1] for r in a.rows] == [50000.0, 50000.0, 0.0]  # Apr, May, Jun


def test_a_follow_up_keeps_the_chosen_date(db: Path) -> None:
    reader = SnapshotReader(db)
    cur = reader.cursor()
    catalog = with_fields(load_catalog(), describe_cache(cur), fixture_settings())
    parser = grammar.parser_for(catalog, load_values(cur, catalog, fixture_settings().channels))
    text = merge("opportunities by close date", "last month", parser)
    q = parser.parse(text).query
    assert (q.anchor, q.groupings, q.window) == (
        "close date",
        ("week",),
        WindowSpec("previous", unit="month"),
    )
    # Closing in May: O1 15 May, O11 20 May, hand-worked above.
    a = _ask(db, text)
    assert sum(r[1] for r in a.rows) == 2


def test_grain_follows_the_window(db: Path) -> None:
    # last month is 31 days → by day; this year → by month.
    assert _ask(db, "sum of amount by close date last month").query.groupings == ("day",)
    assert _ask(db, "sum of amount by close date this year").query.groupings == ("month",)


def test_a_date_the_kpi_has_not(db: Path) -> None:
    with pytest.raises(UserError, match="calls has no close date"):
        _ask(db, "calls by close date")


# -- checkboxes ----------------------------------------------------------------------------------


def test_a_checkbox_named_alone_filters_on_true(db: Path) -> None:
    a = _ask(db, "opportunities is closed")
    # Created this quarter: O1, O2, O3, O4, O11; closed O1, O2, O4, O11 → 4.
    assert a.rows == ((4,),)
    assert a.restated.startswith("[new opportunities] for [is closed = true] · ")
    # Won and closing this quarter: O1 50000, O5 80000, O11 50000 (O2 has no amount).
    assert _ask(db, "sum of amount is closed is won").rows == ((180000.0,),)


def test_not_a_checkbox_filters_on_false(db: Path) -> None:
    a = _ask(db, "opportunities not closed")
    assert a.rows == ((1,),)  # of the five above only O3 is open
    assert a.restated.startswith("[new opportunities] for [is closed = false] · ")
    # Closing this quarter and still open: O6 10000 (O3 closes in July).
    assert _ask(db, "sum of amount is not closed").rows == ((10000.0,),)
    # Leads created this quarter L1–L5; converted L2, L4 → not converted L1, L3, L5.
    assert _ask(db, "leads not converted").rows == ((3,),)
    assert _ask(db, "leads is converted").rows == ((2,),)


def test_by_a_checkbox_still_groups(db: Path) -> None:
    a = _ask(db, "opportunities by is closed")
    assert sorted(a.rows, key=str) == [(False, 1), (True, 4)]


# -- by account -------------------------------------------------------------------------------


def test_activities_by_account(db: Path) -> None:
    # Salesforce's Task.AccountId rule: WhatId's account (an account, or an opportunity's), else
    # the account of the WhoId contact. Tasks created this quarter (local): T00–T08 but T09
    # (deleted), T10, T13 = 11. T05 on O1 → Acme (its contact C1 is Acme's too: WhatId first);
    # T10 on O6 → Acme; T07 on A2 → Globex; T08 on contact C3 only → Initech (A3); the other 7
    # have neither (leads or nothing).
    a = _ask(db, "tasks by account")
    assert dict(a.rows) == {"Acme": 2, "Globex": 1, "Initech": 1, None: 7}
    # Calls this quarter: T00, T01, T03, T04, T06, T07, T08 → Globex T07, Initech T08, 5 none.
    assert dict(_ask(db, "calls by account").rows) == {"Globex": 1, "Initech": 1, None: 5}
    # Events all time: E3 with contact C2 → Initech (A3); E1, E2, E4, E5 have none.
    assert dict(_ask(db, "events by account all time").rows) == {"Initech": 1, None: 4}


def test_opportunity_measures_by_account(db: Path) -> None:
    # Closing this quarter: Acme O1 50000 + O5 80000 + O6 10000; Globex O4 20000 (O2 none);
    # Initech O11 50000.
    a = _ask(db, "sum of amount by account")
    assert a.rows == (("Acme", 140000.0), ("Initech", 50000.0), ("Globex", 20000.0))


# -- future windows ------------------------------------------------------------------------------


def test_field_measures_on_close_date_may_look_ahead(db: Path) -> None:
    # Opportunities can close in the future (the catalog's open pipeline looks ahead on
    # CloseDate): next quarter 1 Jul – 30 Sep holds O3 15 Jul 30000.
    assert _ask(db, "sum of amount next quarter").rows == ((30000.0,),)


def test_created_dates_have_not_happened_yet(db: Path) -> None:
    with pytest.raises(NoData, match="has not happened yet"):
        _ask(db, "accounts next quarter")
    with pytest.raises(NoData, match="has not happened yet"):
        _ask(db, "sum of amount by created date next quarter")


# -- custom Lead fields on the lead KPIs ---------------------------------------------------------


def test_lead_kpis_by_a_custom_lead_field(db: Path) -> None:
    a = _ask(db, "leads by region")
    # This quarter: L1 EMEA, L2 APAC, L3 EMEA, L4 APAC, L5 EMEA (L6 deleted, L7 Q1).
    assert sorted(a.rows) == [("APAC", 2), ("EMEA", 3)]
    b = _ask(db, "lead response time by region")
    # Responses (tests/test_metrics_fixture.py): L1 2 h, L2 4 h, L3 24 h, L4 24 h, L5 none.
    # EMEA (2 + 24) / 2 = 13 h; APAC (4 + 24) / 2 = 14 h.
    assert sorted(b.rows) == [("APAC", 14.0), ("EMEA", 13.0)]
    c = _ask(db, "leads region is APAC")
    assert c.rows == ((2,),)  # L2, L4


def test_follow_up_rate_by_attempt_by_a_custom_lead_field(db: Path) -> None:
    # Contact attempts this quarter (tests/test_metrics_fixture.py): L1 3 (EMEA), L2 2 (APAC),
    # L3 1 (EMEA); L4 (APAC) and L5 (EMEA) none, so at no attempt.
    # EMEA: k1 ≥2/≥1 = 1/2; k2 ≥3/≥2 = 1/1; k3 ≥4/≥3 = 0/1. APAC: k1 1/1; k2 0/1.
    a = _ask(db, "follow-up rate by attempt by region")
    assert a.restated.startswith("[follow-up rate by attempt] by [region] · 1 Apr – 27 Jun 2024")
    assert [c.name for c in a.columns][:3] == [
        "contact attempt",
        "region",
        "follow-up rate by attempt",
    ]
    assert sorted(r[:3] for r in a.rows) == [
        ("1", "APAC", 1.0),
        ("1", "EMEA", 0.5),
        ("2", "APAC", 0.0),
        ("2", "EMEA", 1.0),
        ("3", "EMEA", 0.0),
    ]
    b = _ask(db, "follow-up rate by attempt region is APAC")
    assert b.restated.startswith("[follow-up rate by attempt] for [region = APAC]")
    assert [r[:2] for r in b.rows] == [("1", 1.0), ("2", 0.0)]
    # On a custom Lead date: leads whose first meeting was in May are L1 (3 attempts) and L5
    # (none): k1 1/1, k2 1/1, k3 0/1.
    c = _ask(db, "follow-up rate by attempt first meeting date last month")
    assert [r[:2] for r in c.rows] == [("1", 1.0), ("2", 1.0), ("3", 0.0)]
    # A field of another object is still refused, naming the KPI.
    with pytest.raises(UserError, match="follow-up rate by attempt has no"):
        _ask(db, "follow-up rate by attempt by stage")


def test_lead_kpis_on_a_custom_lead_date(db: Path) -> None:
    a = _ask(db, "leads first meeting date last month")
    # First meeting in May: L1 2 May, L5 20 May (L6 is deleted).
    assert a.rows == ((2,),)
    assert a.restated.startswith("[leads] on [first meeting date] · 1 – 31 May 2024")
