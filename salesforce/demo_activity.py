"""The demo org's activities: calls, emails, tasks, meetings and demos.

Calls get a disposition from the weekday's connect rate (highest on Tuesday and Wednesday);
outbound dials and the demos they book thin out over the last 31 days (the outbound dashboard's
negative growth). Dials are generated a month at a time so memory does not grow with --scale.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from salesforce import demo_story as story
from salesforce.demo_clock import DAY, HOUR, add_work_days, weekday, work_seconds
from salesforce.demo_org import DemoOrg, dates, masked, pool, take, ts

DIAL_DAYS_PER_CHUNK = 31
_DISPOSITIONS = pool(["Connected", *(d for d, _ in story.NOT_CONNECTED)])


def dispositions(org: DemoOrg, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Disposition index (0 = Connected) and duration in seconds of outbound calls at ``t``."""
    rng = org.rng
    n = len(t)
    p_connect = np.array(story.CONNECT_BY_WEEKDAY)[weekday(t // DAY)]
    connected = rng.random(n) < p_connect
    weights = np.array([w for _, w in story.NOT_CONNECTED])
    other = 1 + rng.choice(len(weights), n, p=weights / weights.sum())
    disp = np.where(connected, 0, other)
    duration = np.select(
        [disp == 0, disp == 1, disp == 2],
        [rng.lognormal(np.log(240), 0.6, n), rng.uniform(20, 60, n), rng.uniform(0, 25, n)],
        rng.uniform(0, 5, n),
    ).astype(np.int32)
    return disp, duration


def calls_and_emails(
    org: DemoOrg,
    t: np.ndarray,
    is_call: np.ndarray,
    who: pa.Array,
    owner: np.ndarray,
    what: pa.Array | None = None,
    inbound: bool = False,
) -> np.ndarray:
    """Append call/email Tasks; returns the disposition index of each (-1 for emails)."""
    n = len(t)
    if n == 0:
        return np.zeros(0, np.int64)
    if inbound:
        disp = np.zeros(n, np.int64)
        duration = org.rng.lognormal(np.log(300), 0.5, n).astype(np.int32)
    else:
        disp, duration = dispositions(org, t)
    disp = np.where(is_call, disp, -1)
    call = pa.array(is_call)
    kind = pa.compute.if_else(call, pa.scalar("Call"), pa.scalar("Email"))
    call_type = "Inbound" if inbound else "Outbound"
    subject = pa.compute.if_else(
        call, pa.scalar(f"Call ({call_type.lower()})"), pa.scalar("Email: following up")
    )
    data: dict[str, pa.Array | np.ndarray] = {
        "Id": org.ids["Task"].take(n),
        "WhoId": who,
        "OwnerId": take(org.people.user_ids, owner),
        "Subject": subject,
        "TaskSubtype": kind,
        "Type": kind,
        "CallType": masked(pa.array([call_type] * n, pa.string()), ~is_call),
        "CallDisposition": masked(take(_DISPOSITIONS, np.maximum(disp, 0)), ~is_call),
        "CallDurationInSeconds": masked(duration, ~is_call),
        "ActivityDate": dates(t),
        "Status": pa.array(["Completed"] * n, pa.string()),
        "CreatedDate": ts(t),
        "SystemModstamp": ts(t),
    }
    if what is not None:
        data["WhatId"] = what
    org.append("Task", data)
    return disp


def add_dials_and_inbound_calls(org: DemoOrg) -> None:
    """Outbound reps dial contacts of target accounts; inbound reps take customers' calls.
    Connected dials sometimes book a meeting or demo."""
    rng, p = org.rng, org.people
    outbound, inbound = p.team(False), p.team(True)
    recent_from = org.today - story.RECENT_DAYS
    # Teams come whole (one per unit of scale); a fractional scale thins their days instead.
    per_rep = org.spec.scale / max(1, round(org.spec.scale))
    for a in range(org.first_day, org.today + 1, DIAL_DAYS_PER_CHUNK):
        days = np.arange(a, min(a + DIAL_DAYS_PER_CHUNK, org.today + 1))
        days = days[weekday(days) < 5]
        for team, rate, is_inbound in (
            (outbound, story.DIALS_PER_REP_DAY, False),
            (inbound, story.INBOUND_CALLS_PER_REP_DAY, True),
        ):
            factor = (
                np.where(days >= recent_from, story.RECENT_DIALS, 1.0) if not is_inbound else 1.0
            )
            counts = rng.poisson(
                np.outer(rate * per_rep * factor * np.ones(len(days)), np.ones(len(team)))
            )
            n = int(counts.sum())
            day = np.repeat(np.repeat(days, len(team)), counts.ravel())
            owner = np.repeat(np.tile(team, len(days)), counts.ravel())
            t = day * DAY + work_seconds(rng, n, story.WORK_HOURS)
            keep = t <= org.as_of
            t, owner = t[keep], owner[keep]
            order = np.argsort(t, kind="stable")
            t, owner = t[order], owner[order]
            contact = rng.integers(0, len(p.contact_ids), len(t))
            who = take(p.contact_ids, contact)
            what = take(p.account_ids, p.contact_account[contact])
            disp = calls_and_emails(org, t, np.ones(len(t), bool), who, owner, what, is_inbound)
            if not is_inbound:
                booked = (disp == 0) & (rng.random(len(t)) < story.MEETING_PER_CONNECT)
                add_meetings(
                    org,
                    t[booked] + 120,
                    owner[booked],
                    who.filter(pa.array(booked)),
                    what.filter(pa.array(booked)),
                    demo_share=0.55,
                )


def add_meetings(
    org: DemoOrg,
    created: np.ndarray,
    owner: np.ndarray,
    who: pa.Array | None,
    what: pa.Array,
    demo_share: float,
    types: np.ndarray | None = None,
) -> None:
    """Book Events at ``created``, held a few working days later. Demos booked in the last 31
    days are thinned (the outbound dashboard's fewer demos)."""
    rng = org.rng
    n = len(created)
    if types is None:
        types = np.where(rng.random(n) < demo_share, 1, 0)  # 0 Meeting, 1 Demo, 2 Other
    recent = (created // DAY) >= org.today - story.RECENT_DAYS
    keep = ~((types == 1) & recent & (rng.random(n) >= story.RECENT_DEMOS))
    keep &= created <= org.as_of
    idx = np.flatnonzero(keep)
    created, owner, types = created[idx], owner[idx], types[idx]
    n = len(idx)
    start = add_work_days(created, rng.integers(1, 8, n), org.rng, story.WORK_HOURS)
    start = start - start % (30 * 60)
    end = start + np.where(rng.random(n) < 0.5, 30, 60) * 60
    kinds = pool(["Meeting", "Demo", "Other"])
    subjects = pool(["Discovery meeting", "Product demo", "Internal review"])
    data: dict[str, pa.Array | np.ndarray] = {
        "Id": org.ids["Event"].take(n),
        "WhatId": what.take(pa.array(idx)),
        "OwnerId": take(org.people.user_ids, owner),
        "Subject": take(subjects, types),
        "Type": take(kinds, types),
        "StartDateTime": ts(start),
        "EndDateTime": ts(end),
        "ActivityDate": dates(start),
        "CreatedDate": ts(created),
        "SystemModstamp": ts(created),
    }
    if who is not None:
        data["WhoId"] = who.take(pa.array(idx))
    org.append("Event", data)


STAGE_EVENT = {1: (0, 0.6), 2: (1, 0.8), 4: (2, 0.3)}  # stage j → (event type, chance)


def stage_activities(
    org: DemoOrg,
    opp_ids: pa.Array,
    owner: np.ndarray,
    entries: np.ndarray,
    contact: pa.Array | None,
) -> None:
    """A to-do Task at each stage an opportunity enters; a meeting at Qualification, a demo at
    Needs Analysis, an internal review at Negotiation."""
    rng = org.rng
    m, k = entries.shape
    visited = (entries >= 0) & (entries <= org.as_of - HOUR)
    opp_i = np.repeat(np.arange(m)[:, None], k, axis=1)[visited]
    stage_j = np.repeat(np.arange(k)[None, :], m, axis=0)[visited]
    t = entries[visited] + HOUR
    order = np.lexsort((opp_i, t))
    opp_i, stage_j, t = opp_i[order], stage_j[order], t[order]
    n = len(t)
    subjects = pool([f"{s}: next steps" for s in story.STAGES])
    data: dict[str, pa.Array | np.ndarray] = {
        "Id": org.ids["Task"].take(n),
        "WhatId": opp_ids.take(pa.array(opp_i)),
        "OwnerId": take(org.people.user_ids, owner[opp_i]),
        "Subject": take(subjects, stage_j),
        "TaskSubtype": pa.array(["Task"] * n, pa.string()),
        "Type": pa.array(["Other"] * n, pa.string()),
        "ActivityDate": dates(t),
        "Status": pa.array(["Completed"] * n, pa.string()),
        "CreatedDate": ts(t),
        "SystemModstamp": ts(t),
    }
    if contact is not None:
        data["WhoId"] = contact.take(pa.array(opp_i))
    org.append("Task", data)
    chance = np.zeros(k)
    kind = np.zeros(k, np.int64)
    for j, (ty, c) in STAGE_EVENT.items():
        chance[j], kind[j] = c, ty
    booked = rng.random(n) < chance[stage_j]
    sel = np.flatnonzero(booked)
    add_meetings(
        org,
        t[sel] + 10 * 60,
        owner[opp_i[sel]],
        contact.take(pa.array(opp_i[sel])) if contact is not None else None,
        opp_ids.take(pa.array(opp_i[sel])),
        0.0,
        types=kind[stage_j[sel]],
    )
