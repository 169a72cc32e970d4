"""The demo org's funnel: leads, their contact attempts, conversions, opportunities and stage
history, and the five big deals of last quarter.

Rates that a dashboard shows over a short window (inbound lead-to-opportunity ratio, win rate)
are drawn by systematic sampling in time order rather than coin flips: a window then holds the
intended share give or take one record, so the stories hold at every --today and --scale.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from salesforce import demo_story as story
from salesforce.demo_activity import calls_and_emails, stage_activities
from salesforce.demo_clock import DAY, HOUR, add_work_days, into_work_hours, weekday
from salesforce.demo_org import DemoOrg, dates, last_quarter_start, masked, pool, take, ts

LEAD_CHUNK = 200_000
STATUS = (
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
)


def systematic(p: np.ndarray, u: float) -> np.ndarray:
    """Pick records in order so that any run of them holds sum(p) picks, give or take one."""
    c = np.cumsum(p) + u
    return np.floor(c) > np.floor(c - p)


class Pipeline:
    def __init__(self, org: DemoOrg):
        self.org = org
        self.rng = org.rng
        self.work = story.WORK_HOURS

    def build(self) -> None:
        self.make_leads()
        self.make_conversions()
        self.make_opportunities()
        self.insert_leads_and_attempts()
        self.insert_opportunities()
        self.add_big_deals()

    # -- leads ------------------------------------------------------------------------------

    def make_leads(self) -> None:
        org, rng = self.org, self.rng
        days = np.arange(org.first_day, org.today + 1)
        rate = np.where(weekday(days) < 5, story.LEADS_PER_WEEKDAY, story.LEADS_PER_WEEKEND_DAY)
        per_day = rng.poisson(rate * org.spec.scale)
        day = np.repeat(days, per_day)
        n = len(day)
        lo, hi = story.LEAD_HOURS
        created = day * DAY + (rng.triangular(lo, 13, hi, n) * HOUR).astype(np.int64)
        order = np.argsort(created, kind="stable")
        created = created[order]
        keep = created <= org.as_of
        self.created = created[keep]
        n = len(self.created)
        shares = np.array([s.share for s in story.SOURCES])
        self.source = rng.choice(len(story.SOURCES), n, p=shares / shares.sum())
        src_inbound = np.array([s.team == story.INBOUND for s in story.SOURCES])[self.source]
        p = org.people
        inb, outb = p.team(True), p.team(False)
        self.owner = np.where(
            src_inbound, inb[rng.integers(0, len(inb), n)], outb[rng.integers(0, len(outb), n)]
        )
        self.n = n

    def make_conversions(self) -> None:
        org, rng, n = self.org, self.rng, self.n
        channel = np.array([s.channel for s in story.SOURCES])[self.source]
        p = np.array([s.lead_to_opp for s in story.SOURCES])[self.source]
        day = self.created // DAY
        drift = np.clip(
            (day - (org.today - story.INBOUND_DRIFT_DAYS)) / story.INBOUND_DRIFT_DAYS, 0, 1
        )
        inbound = channel == "inbound"
        p = np.where(inbound, p + (story.INBOUND_LEAD_TO_OPP_TODAY - p) * drift, p)
        to_opp = np.zeros(n, bool)
        for ch in np.unique(channel):
            sel = np.flatnonzero(channel == ch)
            to_opp[sel] = systematic(p[sel], rng.random())
        lag = (rng.exponential(story.CONVERSION_LAG_DAYS, n) * DAY).astype(np.int64) + 2 * HOUR
        conv_at = into_work_hours(self.created + lag, rng, self.work)
        contact_only = ~to_opp & (rng.random(n) < story.CONVERTED_WITHOUT_OPP)
        self.converted = (to_opp | contact_only) & (conv_at <= org.as_of)
        self.has_opp = to_opp & self.converted
        self.conv_at = conv_at
        # Attempts: the rep's follow-up rate after the 1st, then the story's fall-off.
        attempts = np.where(rng.random(n) < story.UNCONTACTED, 0, 1)
        attempts[self.converted] = 1
        alive = attempts == 1
        for k in range(1, story.MAX_ATTEMPTS):
            pk = org.people.follow_up[self.owner] if k == 1 else story.NEXT_ATTEMPT[min(k, 5) - 2]
            more = alive & (rng.random(n) < pk)
            attempts += more
            alive = more
        self.attempts = attempts
        self.names = take(org.names, rng.integers(0, len(org.names), n))
        self.company = take(org.companies, rng.integers(0, len(org.companies), n))
        self.lead_ids = org.ids["Lead"].take(n)
        # Converted leads get an account and a contact, numbered in conversion order.
        conv = np.flatnonzero(self.converted)
        self.conv_rows = conv
        self.account_ids = org.ids["Account"].take(len(conv))
        self.contact_ids = org.ids["Contact"].take(len(conv))
        self.contact_of = np.full(n, -1, np.int64)
        self.contact_of[conv] = np.arange(len(conv))

    # -- opportunities -------------------------------------------------------------------------

    def make_opportunities(self) -> None:
        org, rng = self.org, self.rng
        rows = np.flatnonzero(self.has_opp)
        m = len(rows)
        self.opp_rows = rows
        src = self.source[rows]
        created = self.conv_at[rows]
        cycle = np.clip(
            rng.lognormal(np.log(story.CYCLE_MEDIAN_DAYS), 0.5, m), 5, story.CYCLE_MAX_DAYS
        )
        close_at = into_work_hours(created + (cycle * DAY).astype(np.int64), rng, self.work)
        median = np.array([s.deal_median for s in story.SOURCES])[src]
        amount = np.clip(
            np.round(rng.lognormal(np.log(median), 0.55) / 100) * 100, 2_000, story.AMOUNT_MAX
        )
        closed = close_at <= org.as_of
        win_p = np.array([s.win_rate for s in story.SOURCES])[src]
        channel = np.array([s.channel for s in story.SOURCES])[src]
        close_day = close_at // DAY
        drift = np.clip(
            (close_day - (org.today - story.INBOUND_DRIFT_DAYS)) / story.INBOUND_DRIFT_DAYS, 0, 1
        )
        win_p = np.where(
            channel == "inbound", win_p + (story.INBOUND_WIN_RATE_TODAY - win_p) * drift, win_p
        )
        won = np.zeros(m, bool)
        order = np.argsort(close_at, kind="stable")
        for ch in np.unique(channel):
            sel = order[(channel[order] == ch) & closed[order]]
            won[sel] = systematic(win_p[sel], rng.random())
        stages = np.where(
            won | ~closed, len(story.STAGES), rng.integers(1, len(story.STAGES) + 1, m)
        )
        self.opp = {
            "created": created,
            "close_at": close_at,
            "amount": amount,
            "closed": closed,
            "won": won,
            "stages": stages,
            "null_amount": rng.random(m) < story.NULL_AMOUNT,
            "ids": org.ids["Opportunity"].take(m),
            "product": rng.integers(0, len(story.PRODUCTS), m),
        }
        self.entries = self.stage_entries(created, close_at, stages)

    def stage_entries(
        self, created: np.ndarray, close_at: np.ndarray, stages: np.ndarray
    ) -> np.ndarray:
        """Entry time of each stage visited (column j = stage j), -1 where not visited."""
        m, k = len(created), len(story.STAGES)
        w = np.array(story.STAGE_WEIGHT) * self.rng.gamma(4.0, 0.25, (m, k))
        w = np.where(np.arange(k) < stages[:, None], w, 0.0)
        frac = np.cumsum(w, axis=1) / w.sum(axis=1, keepdims=True)
        span = (close_at - created).astype(float)
        out = np.full((m, k), -1, np.int64)
        out[:, 0] = created
        for j in range(1, k):
            t = created + (frac[:, j - 1] * span).astype(np.int64)
            t = np.maximum(into_work_hours(t, self.rng, self.work), out[:, j - 1] + 60)
            out[:, j] = np.where(j < stages, np.minimum(t, close_at - 60), -1)
        return out

    # -- output --------------------------------------------------------------------------------

    def insert_leads_and_attempts(self) -> None:
        org = self.org
        p = org.people
        status = np.where(
            self.converted,
            2,
            np.where(self.attempts == 0, 0, np.where(self.created < org.as_of - 30 * DAY, 3, 1)),
        )
        opp_index = np.full(self.n, -1, np.int64)
        opp_index[self.opp_rows] = np.arange(len(self.opp_rows))
        src_names = pool([s.name for s in story.SOURCES])
        for a in range(0, self.n, LEAD_CHUNK):
            sl = slice(a, min(a + LEAD_CHUNK, self.n))
            conv = self.converted[sl]
            ci = np.maximum(self.contact_of[sl], 0)
            oi = np.maximum(opp_index[sl], 0)
            mod = np.where(conv, self.conv_at[sl], self.created[sl])
            org.append(
                "Lead",
                {
                    "Id": self.lead_ids[sl],
                    "Name": self.names[sl],
                    "Company": self.company[sl],
                    "OwnerId": take(p.user_ids, self.owner[sl]),
                    "LeadSource": take(src_names, self.source[sl]),
                    "Status": take(pool(STATUS), status[sl]),
                    "IsConverted": conv,
                    "ConvertedDate": masked(dates(self.conv_at[sl]), ~conv),
                    "ConvertedOpportunityId": masked(take(self.opp["ids"], oi), ~self.has_opp[sl]),
                    "ConvertedContactId": masked(take(self.contact_ids, ci), ~conv),
                    "ConvertedAccountId": masked(take(self.account_ids, ci), ~conv),
                    "CreatedDate": ts(self.created[sl]),
                    "SystemModstamp": ts(mod),
                },
            )
            self.insert_attempts(np.arange(sl.start, sl.stop))

    def insert_attempts(self, leads: np.ndarray) -> None:
        org, rng = self.org, self.rng
        k = self.attempts[leads]
        lead = np.repeat(leads, k)
        nth = np.arange(len(lead)) - np.repeat(np.cumsum(k) - k, k)  # 0-based attempt number
        t = np.zeros(len(lead), np.int64)
        first = nth == 0
        hours = rng.lognormal(np.log(org.people.response_hours[self.owner[lead[first]]]), 0.8)
        t[first] = into_work_hours(
            self.created[lead[first]] + (hours * HOUR).astype(np.int64), rng, self.work
        )
        for j in range(1, int(k.max(initial=0))):
            at = np.flatnonzero(nth == j)
            gap = rng.integers(1, 4, len(at))
            t[at] = add_work_days(t[at - 1], gap, rng, self.work)
            t[at] = np.maximum(t[at], t[at - 1] + 600)
        keep = t <= org.as_of
        lead, t, nth = lead[keep], t[keep], nth[keep]
        order = np.argsort(t, kind="stable")
        lead, t, nth = lead[order], t[order], nth[order]
        is_call = rng.random(len(t)) < np.where(nth == 0, story.FIRST_ATTEMPT_CALL, 0.65)
        conv = self.converted[lead]
        who = pa.compute.if_else(
            pa.array(conv),
            take(self.contact_ids, np.maximum(self.contact_of[lead], 0)),
            take(self.lead_ids, lead),
        )
        calls_and_emails(org, t, is_call, who, self.owner[lead])

    def insert_opportunities(self) -> None:
        org, o = self.org, self.opp
        rows = self.opp_rows
        stage_names = pool(story.STAGES)
        closed, won = o["closed"], o["won"]
        current = (self.entries <= org.as_of) & (self.entries >= 0)
        cur_stage = current.sum(axis=1) - 1
        stage = pa.compute.if_else(
            pa.array(closed),
            pa.compute.if_else(pa.array(won), pa.scalar("Closed Won"), pa.scalar("Closed Lost")),
            take(stage_names, cur_stage),
        )
        names = pa.compute.binary_join_element_wise(
            self.company.take(pa.array(rows)), take(pool(story.PRODUCTS), o["product"]), " - "
        )
        ci = self.contact_of[rows]
        self.insert_opps(
            ids=o["ids"],
            names=names,
            account=take(self.account_ids, ci),
            owner=self.owner[rows],
            source=self.source[rows],
            created=o["created"],
            close_at=o["close_at"],
            amount=masked(o["amount"], o["null_amount"]),
            stage=stage,
            closed=closed,
            won=won,
            entries=self.entries,
            contact=take(self.contact_ids, ci),
            type_="New Business",
        )
        self.insert_converted_accounts()

    def insert_converted_accounts(self) -> None:
        """The accounts and contacts of converted leads."""
        org, p = self.org, self.org.people
        conv = self.conv_rows
        at = self.conv_at[conv]
        industries = pool(story.INDUSTRIES)
        org.append(
            "Account",
            {
                "Id": self.account_ids,
                "Name": self.company.take(pa.array(conv)),
                "Industry": take(
                    industries, self.rng.integers(0, len(story.INDUSTRIES), len(conv))
                ),
                "OwnerId": take(p.user_ids, self.owner[conv]),
                "CreatedDate": ts(at),
                "SystemModstamp": ts(at),
            },
        )
        org.append(
            "Contact",
            {
                "Id": self.contact_ids,
                "Name": self.names.take(pa.array(conv)),
                "AccountId": self.account_ids,
                "OwnerId": take(p.user_ids, self.owner[conv]),
                "Email": pa.compute.binary_join_element_wise(
                    pa.compute.utf8_lower(self.contact_ids), pa.scalar("@example.cn"), ""
                ),
                "LeadSource": take(pool([s.name for s in story.SOURCES]), self.source[conv]),
                "CreatedDate": ts(at),
                "SystemModstamp": ts(at),
            },
        )

    def insert_opps(
        self,
        *,
        ids: pa.Array,
        names: pa.Array,
        account: pa.Array,
        owner: np.ndarray,
        source: np.ndarray,
        created: np.ndarray,
        close_at: np.ndarray,
        amount: pa.Array,
        stage: pa.Array,
        closed: np.ndarray,
        won: np.ndarray,
        entries: np.ndarray,
        contact: pa.Array | None,
        type_: str,
    ) -> None:
        org = self.org
        m = len(ids)
        last_change = np.where(
            closed, close_at, entries.max(axis=1, where=entries <= org.as_of, initial=0)
        )
        org.append(
            "Opportunity",
            {
                "Id": ids,
                "Name": names,
                "AccountId": account,
                "OwnerId": take(org.people.user_ids, owner),
                "LeadSource": take(pool([s.name for s in story.SOURCES]), source),
                "StageName": stage,
                "Type": pa.array([type_] * m, pa.string()),
                "Amount": amount,
                "CloseDate": dates(close_at),
                "IsClosed": closed,
                "IsWon": won,
                "CreatedDate": ts(created),
                "SystemModstamp": ts(last_change),
            },
        )
        self.insert_stage_history(ids, amount, close_at, closed, won, entries)
        stage_activities(org, ids, owner, entries, contact)

    def insert_stage_history(
        self,
        ids: pa.Array,
        amount: pa.Array,
        close_at: np.ndarray,
        closed: np.ndarray,
        won: np.ndarray,
        entries: np.ndarray,
    ) -> None:
        """OpportunityHistory: one row per stage entered, then the closing row."""
        org = self.org
        m = len(ids)
        k = entries.shape[1]
        visited = (entries >= 0) & (entries <= org.as_of)
        opp_i = np.repeat(np.arange(m)[:, None], k, axis=1)[visited]
        stage_j = np.repeat(np.arange(k)[None, :], m, axis=0)[visited]
        at = entries[visited]
        names_h = take(pool(story.STAGES), stage_j)
        c = np.flatnonzero(closed)
        opp_i = np.concatenate([opp_i, c])
        at = np.concatenate([at, close_at[c]])
        closing = pa.compute.if_else(
            pa.array(won[c]), pa.scalar("Closed Won"), pa.scalar("Closed Lost")
        )
        names_h = pa.concat_arrays([names_h, closing.cast(pa.string())])
        order = np.lexsort((opp_i, at))
        opp_i, at = opp_i[order], at[order]
        names_h = names_h.take(pa.array(order))
        amount_h = amount.take(pa.array(opp_i))
        org.append(
            "OpportunityHistory",
            {
                "Id": org.ids["OpportunityHistory"].take(len(opp_i)),
                "OpportunityId": ids.take(pa.array(opp_i)),
                "StageName": names_h,
                "Amount": amount_h,
                "CloseDate": dates(close_at[opp_i]),
                "CreatedDate": ts(at),
                "SystemModstamp": ts(at),
            },
        )

    def add_big_deals(self) -> None:
        """Plant last quarter's five biggest won deals, three with clearly longer cycles."""
        org = self.org
        q0 = last_quarter_start(org.spec.today, org.spec.fiscal_year_start_month)
        q0_day = np.datetime64(q0, "D").astype(np.int64)
        deals = story.BIG_DEALS
        m = len(deals)
        close_at = np.array([(q0_day + d[2]) * DAY + 15 * HOUR for d in deals], np.int64)
        created = np.array([(q0_day + d[2] - d[1]) * DAY + 10 * HOUR for d in deals], np.int64)
        by_name = {s.name: i for i, s in enumerate(story.SOURCES)}
        source = np.array([by_name[d[3]] for d in deals])
        team_inbound = np.array([story.SOURCES[s].team == story.INBOUND for s in source])
        p = org.people
        owner = np.array(
            [p.team(bool(inb))[i % len(p.team(bool(inb)))] for i, inb in enumerate(team_inbound)]
        )
        acc = (np.arange(m) * 7) % len(p.account_ids)
        entries = self.stage_entries(created, close_at, np.full(m, len(story.STAGES)))
        names = pa.compute.binary_join_element_wise(
            take(p.account_names, acc), pa.scalar("Enterprise Expansion"), " - "
        )
        self.insert_opps(
            ids=org.ids["Opportunity"].take(m),
            names=names,
            account=take(p.account_ids, acc),
            owner=owner,
            source=source,
            created=created,
            close_at=close_at,
            amount=pa.array([float(d[0]) for d in deals]),
            stage=pa.array(["Closed Won"] * m, pa.string()),
            closed=np.ones(m, bool),
            won=np.ones(m, bool),
            entries=entries,
            contact=None,
            type_="Existing Business",
        )
