"""Every KPI of kpis.md on the hand-made fixture org, expected numbers worked out by hand.

The org (tests/fixtures/org/*.csv) is in Asia/Shanghai (UTC+8). Today is Thu 27 Jun 2024, so
the default window "this quarter" is 1 Apr – 27 Jun 2024. Local times below are org-zone times.

Records in Q2 (deleted rows L6, O8 and its history, T09 never count):
  Leads   L1 Alice Web 2 Apr · L2 Alice Partner 10 Apr, converted → O1 (won), contact C1
          L3 Bob Cold Call 7 May 01:30 (UTC 6 May)
          L4 张伟 (no source) 3 Jun, converted → O3 (open), C2
          L5 Bob WEBSITE 1 Apr 01:00 (UTC 31 Mar!) · L7 (15 Jan) is Q1
  Opps    O1 Alice won 50000 close 15 May, created 11 Apr local → cycle 34 d
          O2 Bob won no amount close 10 Jun, created 1 Jun local (UTC 31 May) → 9 d
          O5 张伟 won 80000 close 20 Jun, created 5 Jan → 167 d
          O11 Bob won 50000 close 20 May, created 1 May → 19 d
          O4 Alice lost 20000 close 1 Jun · O6 Bob open 10000 close 30 Apr
          O3 张伟 open 30000 close 15 Jul
          Q1: O7 Alice won 40000 15 Feb · 2023: O9 Alice lost 10 May, O10 Bob won 25000 20 May
  Calls   T00 Alice out 'connected ' 180 s Mon 1 Apr 08:00 (before L1 existed)
          T01 Alice out Connected 120 s Tue 2 Apr 11:00 · T03 Alice out No Answer Thu 4 Apr 09:00
          T04 Bob inbound Wed 10 Apr · T06 Bob out Connected 300 s Wed 8 May 01:30
          T07 Bob out Left Voicemail Tue 7 May 01:30 (UTC Monday 17:30)
          T08 张伟 out Connected no duration Thu 20 Jun 10:00
  Emails  T02 Alice (L1) · T05 Alice (C1, the converted L2) · T13 Bob. Other task: T10 Bob.
  Events  E1 Alice Meeting booked 5 Apr, starts 8 Apr · E2 Bob Demo booked 15 May, starts 28 Jun
          E3 张伟 Other on C2 4 Jun · E4 Alice Demo booked 20 Mar (Q1), starts 2 Apr
          E5 Bob Meeting booked 27 Jun, starts 28 Jun 04:00 local (UTC 27 Jun 20:00)
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cache.snapshot import SnapshotReader
from i18n import Language
from metrics.catalog import Catalog
from metrics.catalog_load import load_catalog
from metrics.engine import run
from metrics.errors import Invalid, NoData, QueryTimeout
from metrics.jsonout import answer_to_json, error_to_json
from metrics.query import Comparison, Filter, MetricFilter, Query, Ranking, Sort, WindowSpec
from metrics.values import load_values
from metrics.watchdog import execute
from tests.fixture_org import fixture_settings, load_fixture_org

TODAY = date(2024, 6, 27)
Q2 = WindowSpec("quarter", year=2024, number=2)


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> SnapshotReader:
    db = tmp_path_factory.mktemp("org") / "kpibot.duckdb"
    load_fixture_org(db)
    r = SnapshotReader(db)
    yield r  # type: ignore[misc]
    r.close()


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def Q(*metrics: str, **kw: Any) -> Query:
    return Query(metrics=metrics, **kw)


# (id, query, expected columns, expected rows, settings file, today)
CASES: list[tuple[str, Query, list[str], list[tuple[Any, ...]]]] = [
    # ---------------------------------------------------------------- leads (this quarter, default)
    (
        "lead totals",
        Q(
            "leads",
            "converted leads",
            "lead-to-opportunity ratio",
            "lead conversion rate",
            "lead response time",
            "uncontacted leads",
            "follow-up rate",
        ),
        [
            "leads",
            "converted leads",
            "lead-to-opportunity ratio",
            "lead conversion rate",
            "lead response time",
            "uncontacted leads",
            "follow-up rate",
        ],
        # leads L1..L5 = 5 (L6 deleted, L7 Q1; L5 is 1 Apr local though 31 Mar UTC)
        # converted L2, L4 = 2; with an opportunity L2, L4 = 2/5 = 0.4; to a won one L2 = 1/5 = 0.2
        # response: L1 T01 2 h (T00 was before L1), L2 T04 4 h, L3 T06 24 h,
        #   L4 E3 on contact C2 24 h
        #   → (2 + 4 + 24 + 24) / 4 = 13.5 h; uncontacted L5 = 1
        # attempts: L1 T01,T02,T03 = 3; L2 T04 + T05 (on contact C1) = 2; L3 1;
        #   L4 0 (event only); L5 0
        #   follow-up = ≥2 (L1, L2) / ≥1 (L1, L2, L3) = 2/3
        [(5, 2, 0.4, 0.2, 13.5, 1, 2 / 3)],
    ),
    (
        "leads by rep",
        Q("leads", groupings=("rep",)),
        ["rep", "leads"],
        # Alice L1, L2; Bob L3, L5; 张伟 L4 — ties by name
        [("Alice Wang", 2), ("Bob Smith", 2), ("张伟", 1)],
    ),
    (
        "leads by channel",
        Q("leads", groupings=("channel",)),
        ["channel", "leads"],
        # Web, WEBSITE → inbound 2; Cold Call → outbound; Partner → partner; none → other
        [("inbound", 2), ("other", 1), ("outbound", 1), ("partner", 1)],
    ),
    (
        "leads by week",
        Q("leads", groupings=("week",)),
        ["week", "leads"],
        # L5 Mon 1 Apr + L1 Tue 2 Apr; L2 week of 8 Apr; L3 Tue 7 May local; L4 Mon 3 Jun.
        # Every Monday from 1 Apr to 24 Jun is a row (13 weeks); weeks without leads count 0.
        [
            (date(2024, 4, 1), 2),
            (date(2024, 4, 8), 1),
            (date(2024, 4, 15), 0),
            (date(2024, 4, 22), 0),
            (date(2024, 4, 29), 0),
            (date(2024, 5, 6), 1),
            (date(2024, 5, 13), 0),
            (date(2024, 5, 20), 0),
            (date(2024, 5, 27), 0),
            (date(2024, 6, 3), 1),
            (date(2024, 6, 10), 0),
            (date(2024, 6, 17), 0),
            (date(2024, 6, 24), 0),
        ],
    ),
    (
        "leads by month",
        Q("leads", groupings=("month",)),
        ["month", "leads"],
        [(date(2024, 4, 1), 3), (date(2024, 5, 1), 1), (date(2024, 6, 1), 1)],
    ),
    (
        "leads inbound only",
        Q("leads", filters=(Filter("channel", "in", ("inbound",)),)),
        ["leads"],
        [(2,)],
    ),
    (
        "leads not from web keeps empty sources",
        Q("leads", filters=(Filter("lead source", "not_in", ("Web",)),)),
        ["leads"],
        # L2 Partner, L3 Cold Call, L4 (none), L5 WEBSITE
        [(4,)],
    ),
    (
        "leads with no source",
        Q("leads", filters=(Filter("lead source", "in", (None,)),)),
        ["leads"],
        [(1,)],
    ),
    (
        "lead response time by rep",
        Q("lead response time", groupings=("rep",)),
        ["rep", "lead response time"],
        # Alice (2 + 4) / 2 = 3; Bob L3 24 (L5 never answered); 张伟 L4 24
        # lower is better: ascending
        [("Alice Wang", 3.0), ("Bob Smith", 24.0), ("张伟", 24.0)],
    ),
    (
        "uncontacted leads by rep",
        Q("uncontacted leads", groupings=("rep",)),
        ["rep", "uncontacted leads"],
        # only Bob has a record of this KPI (L5)
        [("Bob Smith", 1)],
    ),
    (
        "follow-up rate by rep",
        Q("follow-up rate", groupings=("rep",)),
        ["rep", "follow-up rate"],
        # Alice L1 (3), L2 (2) → 2/2; Bob L3 (1) → 0/1; 张伟 L4 has no attempt → no row
        [("Alice Wang", 1.0), ("Bob Smith", 0.0)],
    ),
    (
        "follow-up rate by attempt",
        Q("follow-up rate by attempt"),
        ["contact attempt", "follow-up rate by attempt"],
        # attempts 3, 2, 1: k=1 ≥2/≥1 = 2/3; k=2 ≥3/≥2 = 1/2; k=3 ≥4/≥3 = 0/1; nobody reached 4
        [("1", 2 / 3), ("2", 0.5), ("3", 0.0)],
    ),
    (
        "follow-up rate by attempt by rep",
        Q("follow-up rate by attempt", groupings=("rep",)),
        ["contact attempt", "rep", "follow-up rate by attempt"],
        # Alice L1 3, L2 2: k1 2/2, k2 1/2, k3 0/1; Bob L3 1: k1 0/1
        [
            ("1", "Alice Wang", 1.0),
            ("1", "Bob Smith", 0.0),
            ("2", "Alice Wang", 0.5),
            ("3", "Alice Wang", 0.0),
        ],
    ),
    (
        "lead conversion rate by lead source",
        Q("lead conversion rate", groupings=("lead source",)),
        ["lead source", "lead conversion rate"],
        [("Partner", 1.0), ("Cold Call", 0.0), ("WEBSITE", 0.0), ("Web", 0.0), (None, 0.0)],
    ),
    # ---------------------------------------------------------------- opportunities
    (
        "opportunity totals",
        Q(
            "deals won",
            "deals lost",
            "revenue won",
            "average deal size",
            "win rate",
            "sales cycle length",
            "new opportunities",
            "time in stage",
        ),
        [
            "deals won",
            "deals lost",
            "revenue won",
            "average deal size",
            "win rate",
            "sales cycle length",
            "new opportunities",
            "time in stage",
        ],
        # won O1, O2, O5, O11 = 4; lost O4 = 1; revenue 50000 + 80000 + 50000 = 180000 (O2 has none)
        # deal size 180000 / 3 = 60000; win rate 4 / 5 = 0.8; cycle (34 + 9 + 167 + 19) / 4 = 57.25
        # new: O1, O4 (Apr), O11 (May), O2 (1 Jun local), O3 = 5
        # stage visits ended in Q2: O1 Prospecting 10 d, O1 Qualification 24.5 d,
        #   O4 Prospecting 42 d,
        #   O3 Prospecting 0 d (tie on CreatedDate, H12 before H13) → 76.5 / 4 = 19.125 (O8 deleted)
        [(4, 1, 180000.0, 60000.0, 0.8, 57.25, 5, 19.125)],
    ),
    (
        "win rate by rep",
        Q("win rate", groupings=("rep",)),
        ["rep", "win rate"],
        # Alice O1 won O4 lost 1/2; Bob O2, O11 2/2; 张伟 O5 1/1
        [("Bob Smith", 1.0), ("张伟", 1.0), ("Alice Wang", 0.5)],
    ),
    (
        "deals lost by rep: only reps with lost deals",
        Q("deals lost", groupings=("rep",)),
        ["rep", "deals lost"],
        [("Alice Wang", 1)],
    ),
    (
        "deals won and lost by rep: missing group is 0",
        Q("deals won", "deals lost", groupings=("rep",)),
        ["rep", "deals won", "deals lost"],
        [("Bob Smith", 2, 0), ("Alice Wang", 1, 1), ("张伟", 1, 0)],
    ),
    (
        "deals won by industry",
        Q("deals won", groupings=("industry",)),
        ["industry", "deals won"],
        # O1, O5 Acme Technology; O2 Globex Finance; O11 Initech (no industry)
        [("Technology", 2), ("Finance", 1), (None, 1)],
    ),
    (
        "revenue won by rep",
        Q("revenue won", groupings=("rep",)),
        ["rep", "revenue won"],
        [("张伟", 80000.0), ("Alice Wang", 50000.0), ("Bob Smith", 50000.0)],
    ),
    (
        "average deal size by rep",
        Q("average deal size", groupings=("rep",)),
        ["rep", "average deal size"],
        # Bob: O2 has no amount, O11 50000 → 50000
        [("张伟", 80000.0), ("Alice Wang", 50000.0), ("Bob Smith", 50000.0)],
    ),
    (
        "sales cycle by rep",
        Q("sales cycle length", groupings=("rep",)),
        ["rep", "sales cycle length"],
        # Bob (9 + 19) / 2 = 14; Alice 34; 张伟 167; ascending (lower is better)
        [("Bob Smith", 14.0), ("Alice Wang", 34.0), ("张伟", 167.0)],
    ),
    (
        "deals won over 40000",
        Q("deals won", filters=(Filter("amount", "gt", (40000.0,)),)),
        ["deals won"],
        # O1 50000, O5 80000, O11 50000 (O2's null amount never passes)
        [(3,)],
    ),
    (
        "revenue of only null amounts is 0",
        Q(
            "revenue won",
            "average deal size",
            window=WindowSpec("month", year=2024, number=6),
            filters=(Filter("rep", "in", ("Bob Smith",)),),
        ),
        ["revenue won", "average deal size"],
        [(0.0, None)],
    ),
    (
        "new opportunities by month",
        Q("new opportunities", groupings=("month",)),
        ["month", "new opportunities"],
        # O2 created 31 May 17:00 UTC = 1 Jun local
        [(date(2024, 4, 1), 2), (date(2024, 5, 1), 1), (date(2024, 6, 1), 2)],
    ),
    (
        "open pipeline, all time by default",
        Q("open pipeline"),
        ["open pipeline"],
        # O3 30000 + O6 10000
        [(40000.0,)],
    ),
    (
        "open pipeline by stage in stage order",
        Q("open pipeline", groupings=("stage",)),
        ["stage", "open pipeline"],
        [("Proposal/Price Quote", 30000.0), ("Negotiation/Review", 10000.0)],
    ),
    (
        "open pipeline next quarter",
        Q("open pipeline", window=WindowSpec("next", unit="quarter")),
        ["open pipeline"],
        [(30000.0,)],
    ),
    (
        "open pipeline this year: expected to close by 31 Dec, not by today",
        Q("open pipeline", window=WindowSpec("this", unit="year")),
        ["open pipeline"],
        # Open deals closing 1 Jan – 31 Dec 2024: O6 30 Apr 10000 and O3 15 Jul 30000 (cut at
        # today, 27 Jun, it would have been O6's 10000 alone).
        [(40000.0,)],
    ),
    (
        "open pipeline by month this quarter: June is whole, not to date",
        Q("open pipeline", groupings=("month",), window=WindowSpec("this", unit="quarter")),
        ["month", "open pipeline"],
        # O6 closes 30 Apr; O3 (15 Jul) is next quarter; nothing in May or June.
        [(date(2024, 4, 1), 10000.0), (date(2024, 5, 1), 0.0), (date(2024, 6, 1), 0.0)],
    ),
    (
        "time in stage by stage",
        Q("time in stage", groupings=("stage",)),
        ["stage", "time in stage"],
        # Prospecting (10 + 42 + 0) / 3; Qualification 24.5
        [("Prospecting", 52 / 3), ("Qualification", 24.5)],
    ),
    (
        "time in stage by rep",
        Q("time in stage", groupings=("rep",)),
        ["rep", "time in stage"],
        # Alice O1 10, 24.5 and O4 42 → 25.5; 张伟 O3 0
        [("张伟", 0.0), ("Alice Wang", 25.5)],
    ),
    (
        "top deals",
        Q("top deals"),
        ["name", "account", "rep", "amount", "close date", "cycle length (days)"],
        # 80000 first; O11 and O1 tie at 50000: later close date (20 May) first; O2 has no amount
        [
            ("Acme platform", "Acme", "张伟", 80000.0, date(2024, 6, 20), 167),
            ("Initech suite", "Initech", "Bob Smith", 50000.0, date(2024, 5, 20), 19),
            ("Acme expansion", "Acme", "Alice Wang", 50000.0, date(2024, 5, 15), 34),
        ],
    ),
    (
        "top 1 deal for Alice",
        Q("top deals", ranking=Ranking("top", 1), filters=(Filter("rep", "in", ("alice wang",)),)),
        ["name", "account", "rep", "amount", "close date", "cycle length (days)"],
        [("Acme expansion", "Acme", "Alice Wang", 50000.0, date(2024, 5, 15), 34)],
    ),
    # ---------------------------------------------------------------- activities
    (
        "activity totals",
        Q(
            "calls",
            "outbound calls",
            "connected calls",
            "connect rate",
            "average call duration",
            "emails",
            "activities",
            "meetings booked",
            "demos booked",
            "meetings held",
            "calls per deal",
        ),
        [
            "calls",
            "outbound calls",
            "connected calls",
            "connect rate",
            "average call duration",
            "emails",
            "activities",
            "meetings booked",
            "demos booked",
            "meetings held",
            "calls per deal",
        ],
        # calls T00 T01 T03 T04 T06 T07 T08 = 7 (T09 deleted); outbound all but T04 = 6
        # connected T00 ('connected ' trimmed), T01, T06, T08 = 4 → 4/6
        # duration over connected with one: (180 + 120 + 300) / 3 / 60 = 3.333 min
        # emails T02 T05 T13 = 3; activities 11 tasks + E1 E2 E3 E5 = 15
        # booked E1 E2 E5 = 3 (E3 is Other); demos E2 = 1; held E4 (2 Apr), E1 (8 Apr) = 2 — E2 and
        #   E5 start on 28 Jun local, after the end of today; calls per deal 6 / 4 won = 1.5
        [(7, 6, 4, 4 / 6, 10 / 3, 3, 15, 3, 1, 2, 1.5)],
    ),
    (
        "several KPIs by rep",
        Q("calls", "connect rate", "demos booked", "deals won", groupings=("rep",)),
        ["rep", "calls", "connect rate", "demos booked", "deals won"],
        # Alice T00 T01 T03 (2 connected of 3 outbound), no demo, O1
        # Bob T04 T06 T07 (1 of 2 outbound), E2, O2 O11; 张伟 T08 (1 of 1), O5
        [("Alice Wang", 3, 2 / 3, 0, 1), ("Bob Smith", 3, 0.5, 1, 2), ("张伟", 1, 1.0, 0, 1)],
    ),
    (
        "connect rate by weekday",
        Q("connect rate", groupings=("weekday",)),
        ["weekday", "connect rate"],
        # Mon T00 1/1; Tue T01 + T07 (UTC Monday!) 1/2; Wed T06 1/1; Thu T03 + T08 1/2
        [("Mon", 1.0), ("Tue", 0.5), ("Wed", 1.0), ("Thu", 0.5)],
    ),
    (
        "connect rate by hour",
        Q("connect rate", groupings=("hour",)),
        ["hour", "connect rate"],
        # 1: T06 yes T07 no; 8: T00; 9: T03 no; 10: T08; 11: T01
        [(1, 0.5), (8, 1.0), (9, 0.0), (10, 1.0), (11, 1.0)],
    ),
    (
        "Bob's calls by weekday",
        Q("calls", groupings=("weekday",), filters=(Filter("rep", "in", ("Bob Smith",)),)),
        ["weekday", "calls"],
        # T07 (6 May 17:30 UTC) is Tuesday in Shanghai;
        # T04 10 Apr 14:00 and T06 8 May 01:30 are Wednesdays
        [("Tue", 1), ("Wed", 2)],
    ),
    (
        "calls per deal by rep",
        Q("calls per deal", groupings=("rep",)),
        ["rep", "calls per deal"],
        # Alice 3 outbound / 1 won; Bob 2 / 2; 张伟 1 / 1 — lower is better
        [("Bob Smith", 1.0), ("张伟", 1.0), ("Alice Wang", 3.0)],
    ),
    (
        "average call duration by rep",
        Q("average call duration", groupings=("rep",)),
        ["rep", "average call duration"],
        # Alice (180 + 120) / 2 / 60 = 2.5; Bob 300 / 60 = 5;
        # 张伟's only connected call has no duration
        [("Bob Smith", 5.0), ("Alice Wang", 2.5)],
    ),
    (
        "activities by rep",
        Q("activities", groupings=("rep",)),
        ["rep", "activities"],
        # Alice T00 T01 T02 T03 T05 E1 = 6; Bob T04 T06 T07 T10 T13 E2 E5 = 7; 张伟 T08 E3 = 2
        [("Bob Smith", 7), ("Alice Wang", 6), ("张伟", 2)],
    ),
    (
        "meetings booked by event type",
        Q("meetings booked", groupings=("event type",)),
        ["event type", "meetings booked"],
        [("Meeting", 2), ("Demo", 1)],
    ),
    (
        "emails by rep",
        Q("emails", groupings=("rep",)),
        ["rep", "emails"],
        [("Alice Wang", 2), ("Bob Smith", 1)],
    ),
    # ---------------------------------------------------------------- metric filters, ranking, sort
    (
        "calls by rep over 2",
        Q("calls", groupings=("rep",), metric_filters=(MetricFilter("calls", "gt", 2),)),
        ["rep", "calls"],
        [("Alice Wang", 3), ("Bob Smith", 3)],
    ),
    (
        "calls by rep with 2+ deals won (filter on a KPI not shown)",
        Q("calls", groupings=("rep",), metric_filters=(MetricFilter("deals won", "ge", 2),)),
        ["rep", "calls"],
        [("Bob Smith", 3)],
    ),
    (
        "top 1 rep by revenue",
        Q("revenue won", groupings=("rep",), ranking=Ranking("top", 1)),
        ["rep", "revenue won"],
        [("张伟", 80000.0)],
    ),
    (
        "bottom 1 rep by calls",
        Q("calls", groupings=("rep",), ranking=Ranking("bottom", 1)),
        ["rep", "calls"],
        [("张伟", 1)],
    ),
    (
        "top 2 reps by connect rate, showing calls",
        Q("calls", groupings=("rep",), ranking=Ranking("top", 2, "connect rate")),
        ["rep", "calls"],
        [("张伟", 1), ("Alice Wang", 3)],
    ),
    (
        "leads by rep sorted by rep desc",
        Q("leads", groupings=("rep",), sort=Sort("rep", True)),
        ["rep", "leads"],
        [("张伟", 1), ("Bob Smith", 2), ("Alice Wang", 2)],
    ),
    (
        "connect rate by weekday sorted desc",
        Q("connect rate", groupings=("weekday",), sort=Sort("weekday", True)),
        ["weekday", "connect rate"],
        [("Thu", 0.5), ("Wed", 1.0), ("Tue", 0.5), ("Mon", 1.0)],
    ),
    # ---------------------------------------------------------------- comparisons
    (
        "deals won vs previous period (to date)",
        Q("deals won", comparison=Comparison("previous")),
        ["deals won", "deals won (previous)", "deals won growth"],
        # 1 Apr – 27 Jun (88 days) against 1 Jan – 28 Mar: O7 → (4 − 1) / 1 = 3
        [(4, 1, 3.0)],
    ),
    (
        "revenue and win rate vs last year",
        Q("revenue won", "win rate", comparison=Comparison("last_year")),
        [
            "revenue won",
            "revenue won (previous)",
            "revenue won growth",
            "win rate",
            "win rate (previous)",
            "win rate growth",
        ],
        # 1 Apr – 27 Jun 2023: O10 won 25000, O9 lost → revenue (180000 − 25000) / 25000 = 6.2;
        # win rate 0.5 → (0.8 − 0.5) / 0.5 = 0.6
        [(180000.0, 25000.0, 6.2, 0.8, 0.5, 0.6)],
    ),
    (
        "calls by rep vs previous period",
        Q("calls", groupings=("rep",), comparison=Comparison("previous")),
        ["rep", "calls", "calls (previous)", "calls growth"],
        # Alice T11 T12 in Q1 → (3 − 2) / 2; Bob and 张伟 had none: previous 0, no growth
        [("Alice Wang", 3, 2, 0.5), ("Bob Smith", 3, 0, None), ("张伟", 1, 0, None)],
    ),
    (
        "connect rate by rep vs previous period",
        Q("connect rate", groupings=("rep",), comparison=Comparison("previous")),
        ["rep", "connect rate", "connect rate (previous)", "connect rate growth"],
        # Alice 1 of 2 in Q1 → (2/3 − 1/2) / (1/2) = 1/3; the others have no previous value
        [
            ("张伟", 1.0, None, None),
            ("Alice Wang", 2 / 3, 0.5, 1 / 3),
            ("Bob Smith", 0.5, None, None),
        ],
    ),
    (
        "leads vs Q1",
        Q("leads", comparison=Comparison("window", WindowSpec("quarter", year=2024, number=1))),
        ["leads", "leads (previous)", "leads growth"],
        # Q1: L7 only (L5 is 1 Apr local) → (5 − 1) / 1
        [(5, 1, 4.0)],
    ),
    (
        "connect rate vs last year with nothing last year",
        Q("connect rate", comparison=Comparison("last_year")),
        ["connect rate", "connect rate (previous)", "connect rate growth"],
        [(4 / 6, None, None)],
    ),
    (
        "revenue by month, Q2 vs last year",
        Q("revenue won", groupings=("month",), window=Q2, comparison=Comparison("last_year")),
        ["month", "revenue won", "revenue won (previous)", "revenue won growth"],
        # May 2024 O1 + O11 = 100000 against May 2023 O10 25000 → 3.0
        # Jun 2024 O5 80000 (O2 no amount) against nothing in Jun 2023; Apr 2024 has no won
        # deal: a row of 0 against Apr 2023's 0 (growth undefined)
        [
            (date(2024, 4, 1), 0.0, 0.0, None),
            (date(2024, 5, 1), 100000.0, 25000.0, 3.0),
            (date(2024, 6, 1), 80000.0, 0.0, None),
        ],
    ),
    (
        "leads by month vs previous period",
        Q("leads", groupings=("month",), comparison=Comparison("previous")),
        ["month", "leads", "leads (previous)", "leads growth"],
        # 1 Apr – 27 Jun against 1 Jan – 28 Mar, buckets three months apart:
        # Apr 3 ← Jan 1 (L7) → 2.0; May 1 ← Feb 0; Jun 1 ← Mar 0 (L5 is 1 Apr local)
        [
            (date(2024, 4, 1), 3, 1, 2.0),
            (date(2024, 5, 1), 1, 0, None),
            (date(2024, 6, 1), 1, 0, None),
        ],
    ),
    (
        "deals won by month and rep: each rep once a month",
        Q("deals won", groupings=("month", "rep")),
        ["month", "rep", "deals won"],
        # This quarter's won deals by CloseDate: O1 Alice 15 May, O11 Bob 20 May, O2 Bob 10 Jun,
        # O5 张伟 20 Jun (O8 deleted). Every month × the three reps, 0 where none: 9 rows, not a
        # rep repeated for each month they have a row in.
        [
            (date(2024, 4, 1), "Alice Wang", 0),
            (date(2024, 4, 1), "Bob Smith", 0),
            (date(2024, 4, 1), "张伟", 0),
            (date(2024, 5, 1), "Alice Wang", 1),
            (date(2024, 5, 1), "Bob Smith", 1),
            (date(2024, 5, 1), "张伟", 0),
            (date(2024, 6, 1), "Alice Wang", 0),
            (date(2024, 6, 1), "Bob Smith", 1),
            (date(2024, 6, 1), "张伟", 1),
        ],
    ),
    # ---------------------------------------------------------------- empty windows
    (
        "empty window, no grouping",
        # March 2024: after tasks (10 Jan 2024) and opportunities (1 Apr 2023) begin, and no
        # call created nor deal won in it (a window before them is no 0: test_records_begin.py)
        Q(
            "calls",
            "connect rate",
            "revenue won",
            "average deal size",
            window=WindowSpec("month", year=2024, number=3),
        ),
        ["calls", "connect rate", "revenue won", "average deal size"],
        [(0, None, 0.0, None)],
    ),
]


def _check_rows(got: tuple[tuple[Any, ...], ...], expected: list[tuple[Any, ...]]) -> None:
    assert len(got) == len(expected), got
    for g, e in zip(got, expected, strict=True):
        assert len(g) == len(e), g
        for gv, ev in zip(g, e, strict=True):
            if isinstance(ev, float):
                assert gv == pytest.approx(ev, abs=1e-9), g
            else:
                assert gv == ev, g


@pytest.mark.parametrize(("name", "query", "columns", "rows"), CASES, ids=[c[0] for c in CASES])
def test_fixture_org(
    name: str,
    query: Query,
    columns: list[str],
    rows: list[tuple[Any, ...]],
    reader: SnapshotReader,
    catalog: Catalog,
) -> None:
    answer = run(
        query,
        catalog=catalog,
        settings=fixture_settings(),
        reader=reader,
        today=TODAY,
        question=name,
    )
    assert [c.name for c in answer.columns] == columns
    _check_rows(answer.rows, rows)


FISCAL_FEB = [
    (
        "revenue by fiscal quarter this year",
        Q("revenue won", groupings=("quarter",), window=WindowSpec("this", unit="year")),
        # FY2025 starts 1 Feb 2024: Q1 (Feb–Apr) O7 40000; Q2 (May–Jul) O1 + O5 + O11 = 180000
        [(date(2024, 2, 1), 40000.0), (date(2024, 5, 1), 180000.0)],
    ),
    (
        "revenue in FY2024",
        Q("revenue won", window=WindowSpec("year", year=2024)),
        # 1 Feb 2023 – 31 Jan 2024: O10 25000
        [(25000.0,)],
    ),
    (
        "deals won by fiscal year, all time",
        Q("deals won", groupings=("year",), window=WindowSpec("all")),
        # O10 (May 2023) in FY2024; O7, O1, O2, O5, O11 in FY2025
        [(date(2023, 2, 1), 1), (date(2024, 2, 1), 5)],
    ),
]


@pytest.mark.parametrize(("name", "query", "rows"), FISCAL_FEB, ids=[c[0] for c in FISCAL_FEB])
def test_fiscal_year_from_february(
    name: str, query: Query, rows: list[tuple[Any, ...]], reader: SnapshotReader, catalog: Catalog
) -> None:
    answer = run(
        query,
        catalog=catalog,
        settings=fixture_settings("app-fiscal-feb.yaml"),
        reader=reader,
        today=TODAY,
    )
    _check_rows(answer.rows, rows)


def test_meetings_held_up_to_the_end_of_a_pinned_today(
    reader: SnapshotReader, catalog: Catalog
) -> None:
    # Pinned to 28 Jun: E2 (10:00 local) and E5 (04:00 local) have started by its end → 2 + 2
    answer = run(
        Q("meetings held"),
        catalog=catalog,
        settings=fixture_settings(),
        reader=reader,
        today=date(2024, 6, 28),
    )
    assert answer.rows == ((4,),)


def test_grouped_empty_window_is_no_data(reader: SnapshotReader, catalog: Catalog) -> None:
    with pytest.raises(NoData, match="1 – 31 Mar 2023"):
        run(
            Q("calls", groupings=("rep",), window=WindowSpec("month", year=2023, number=3)),
            catalog=catalog,
            settings=fixture_settings(),
            reader=reader,
            today=TODAY,
        )
    with pytest.raises(NoData):
        run(
            Q("top deals", window=WindowSpec("month", year=2023, number=1)),
            catalog=catalog,
            settings=fixture_settings(),
            reader=reader,
            today=TODAY,
        )


@pytest.mark.parametrize(
    ("query", "words"),
    [
        (Q("calls", groupings=("stage",)), ("calls", "stage")),
        (Q("calls", "deals won", groupings=("disposition",)), ("deals won", "disposition")),
        (Q("deals won", groupings=("hour",)), ("deals won", "hour")),
        (Q("calls", filters=(Filter("lead source", "in", ("Web",)),)), ("calls", "lead source")),
        (Q("top deals", groupings=("rep",)), ("top deals", "rep")),
        # 27 May – 26 Jun against 26 Apr – 26 May: month buckets do not line up
        (
            Q(
                "leads",
                groupings=("month",),
                window=WindowSpec("last", n=31, unit="day"),
                comparison=Comparison("previous"),
            ),
            ("month",),
        ),
        (Q("leads", window=WindowSpec("all"), comparison=Comparison("previous")), ("all time",)),
        (Q(), ("KPI",)),
    ],
)
def test_invalid_questions_say_why(
    query: Query, words: tuple[str, ...], reader: SnapshotReader, catalog: Catalog
) -> None:
    with pytest.raises(Invalid) as e:
        run(query, catalog=catalog, settings=fixture_settings(), reader=reader, today=TODAY)
    for w in words:
        assert w in e.value.message


def test_answer_metadata_and_json(reader: SnapshotReader, catalog: Catalog) -> None:
    answer = run(
        Q("connect rate", groupings=("weekday",), window=WindowSpec("last", n=31, unit="day")),
        catalog=catalog,
        settings=fixture_settings(),
        reader=reader,
        today=TODAY,
        question="connect rate by weekday last 31 days",
    )
    assert answer.restated == "[connect rate] by [weekday] · 27 May – 26 Jun 2024 (last 31 days)"
    assert answer.data_as_of is not None
    assert set(answer.timings) >= {"compile", "sql", "total"}
    data = answer_to_json(answer)
    assert list(data) == [
        "question",
        "restated",
        "window",
        "compare_window",
        "columns",
        "rows",
        "sql",
        "notes",
        "samples",
        "open_shares",
        "partial",
        "language",
    ]
    # the only call in 27 May – 26 Jun is T08 (Thu 20 Jun), connected
    assert data["rows"] == [["Thu", 1.0]]
    # ... one outbound call: the base of that 100%; weekdays are not time buckets
    assert data["samples"] == {"connect rate": {"base": "outbound calls", "counts": [1]}}
    assert data["open_shares"] == {} and data["partial"] is None
    assert data["window"] == {"start": "2024-05-27", "end": "2024-06-26"}
    assert data["compare_window"] is None


def test_default_window_and_comparison_are_restated(
    reader: SnapshotReader, catalog: Catalog
) -> None:
    a = run(
        Q("deals won", comparison=Comparison("previous")),
        catalog=catalog,
        settings=fixture_settings(),
        reader=reader,
        today=TODAY,
    )
    assert a.restated == (
        "[deals won] · 1 Apr – 27 Jun 2024 (this quarter, default)"
        " vs 1 Jan – 28 Mar 2024 (previous period, like for like)"
    )
    assert answer_to_json(a)["compare_window"] == {"start": "2024-01-01", "end": "2024-03-28"}
    a = run(
        Q("open pipeline"), catalog=catalog, settings=fixture_settings(), reader=reader, today=TODAY
    )
    assert a.restated == "[open pipeline] · all time (default)"
    a = run(
        Q("open pipeline", groupings=("month",), window=WindowSpec("this", unit="quarter")),
        catalog=catalog,
        settings=fixture_settings(),
        reader=reader,
        today=TODAY,
    )
    assert a.restated == "[open pipeline] by [month] · 1 Apr – 30 Jun 2024 (this quarter)"
    assert a.partial == (None, None, None)  # June's pipeline is all of June's


def test_error_json() -> None:
    err = NoData("No data for calls in 1 – 31 Mar 2023 (Mar 2023).")
    assert error_to_json("calls by rep march 2023", err) == {
        "question": "calls by rep march 2023",
        "error": {
            "kind": "no_data",
            "message": "No data for calls in 1 – 31 Mar 2023 (Mar 2023).",
            "suggestions": [],
        },
        "language": "en",
    }


def test_stored_values_for_fuzzy_matching(reader: SnapshotReader, catalog: Catalog) -> None:
    values = load_values(reader.cursor(), catalog, fixture_settings().channels)
    # Every User, record owner or not: the four reps and the role hierarchy's two managers and VP.
    assert values["rep"] == (
        "Alice Wang",
        "Bob Smith",
        "Dana Lee",
        "Ian Grant",
        "Olga Petrova",
        "Vera Stone",
        "张伟",
    )
    assert values["lead source"] == (
        "Cold Call",
        "Partner",
        "Partner Referral",
        "Web",
        "WEBSITE",
        "Website",
    )
    assert values["channel"] == ("inbound", "outbound", "partner", "other")
    assert values["industry"] == ("Finance", "Technology")
    assert values["event type"] == ("Demo", "Meeting", "Other")
    assert "Prospecting" in values["stage"] and "Closed Won" in values["stage"]


def test_a_slow_query_is_interrupted(reader: SnapshotReader) -> None:
    with pytest.raises(QueryTimeout, match="longer than"):
        execute(
            reader.cursor(),
            "SELECT count(*) FROM range(10000000000) AS a(x) WHERE x % 7 = 3",
            {},
            0.2,
        )


def test_a_duckdb_cursor_works_as_reader(tmp_path: Path, catalog: Catalog) -> None:
    db = load_fixture_org(tmp_path / "k.duckdb")
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    a = run(Q("leads"), catalog=catalog, settings=fixture_settings(), reader=con, today=TODAY)
    assert a.rows == ((5,),) and a.data_as_of is not None
    con.close()


def test_a_metric_filter_no_group_passes_is_no_data(
    reader: SnapshotReader, catalog: Catalog
) -> None:
    # Calls this quarter: Alice T00 T01 T03, Bob T04 T06 T07, 张伟 T08: nobody above 50, and
    # the answer says that rather than that there are no calls.
    q = Q("calls", groupings=("rep",), metric_filters=(MetricFilter("calls", "gt", 50),))
    with pytest.raises(NoData) as e:
        run(q, catalog=catalog, settings=fixture_settings(), reader=reader, today=TODAY)
    assert e.value.message == (
        "No rep has [calls > 50] in 1 Apr – 27 Jun 2024 (this quarter, default); "
        "leave the condition out to see every rep."
    )
    assert e.value.text(Language.ZH) == (
        "2024年4月1日 – 6月27日（本季度，默认）没有销售满足 [电话数 > 50]；"
        "去掉这个条件即可看到所有销售。"
    )


def test_no_data_for_a_filter_names_the_filter(reader: SnapshotReader, catalog: Catalog) -> None:
    # Vera Stone (U7, the VP) owns no lead.
    q = Q("leads", groupings=("rep",), filters=(Filter("rep", "in", ("Vera Stone",)),))
    with pytest.raises(NoData) as e:
        run(q, catalog=catalog, settings=fixture_settings(), reader=reader, today=TODAY)
    assert e.value.message == (
        "No data for leads for [rep = Vera Stone] in 1 Apr – 27 Jun 2024 (this quarter, default)."
    )
    assert e.value.text(Language.ZH) == (
        "2024年4月1日 – 6月27日（本季度，默认）没有符合 [销售 = Vera Stone] 的线索数数据。"
    )


def test_records_restatement(reader: SnapshotReader, catalog: Catalog) -> None:
    a = run(
        Q("top deals", ranking=Ranking("top", 2)),
        catalog=catalog,
        settings=fixture_settings(),
        reader=reader,
        today=TODAY,
    )
    assert a.restated == "[top deals] (first 2) · 1 Apr – 27 Jun 2024 (this quarter, default)"
    assert a.kind == "records" and len(a.rows) == 2


def test_same_shape_different_values_do_not_share_answers(
    reader: SnapshotReader, catalog: Catalog
) -> None:
    # Both compile to one cached template; each must bind its own values.
    for rep, calls in (("Alice Wang", 3), ("张伟", 1), ("Bob Smith", 3)):
        q = Q("calls", filters=(Filter("rep", "in", (rep,)),))
        a = run(q, catalog=catalog, settings=fixture_settings(), reader=reader, today=TODAY)
        assert a.rows == ((calls,),) and a.query == q and rep in a.restated
