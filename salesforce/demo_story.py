"""The demo org's story, as data: who sells, where leads come from, and the rates behind each
dashboard of the source document (docs/demo.md lists the stories and where they show).

Volumes are per unit of ``--scale``; rates do not change with scale.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rep:
    name: str
    email: str
    department: str  # "Outbound" or "Inbound"
    response_hours: float  # median hours from a new lead to the first attempt
    follow_up: float  # chance of a 2nd attempt after the 1st (the follow-up rate)


OUTBOUND = "Outbound"
INBOUND = "Inbound"

# 温家豪 answers new leads fastest and follows up most (the KPI dashboard's left side).
REPS: tuple[Rep, ...] = (
    Rep("Emily Chen", "emily.chen", OUTBOUND, 4.0, 0.80),
    Rep("李明", "li.ming", OUTBOUND, 5.0, 0.78),
    Rep("James Walker", "james.walker", OUTBOUND, 3.5, 0.82),
    Rep("张伟", "zhang.wei", OUTBOUND, 6.0, 0.76),
    Rep("Sophia Martinez", "sophia.martinez", OUTBOUND, 4.5, 0.79),
    Rep("温家豪", "wen.jiahao", INBOUND, 0.15, 0.97),
    Rep("Olivia Brown", "olivia.brown", INBOUND, 2.0, 0.84),
    Rep("王芳", "wang.fang", INBOUND, 2.5, 0.83),
    Rep("Daniel Kim", "daniel.kim", INBOUND, 3.0, 0.81),
    Rep("刘洋", "liu.yang", INBOUND, 1.8, 0.85),
    Rep("Grace Liu", "grace.liu", INBOUND, 2.2, 0.82),
)


@dataclass(frozen=True)
class Role:
    name: str
    parent: str | None


@dataclass(frozen=True)
class Manager:
    """A user above the reps in the role hierarchy (access.rows: hierarchy); owns no records and
    is on no team (Department empty), so the teams stay the reps."""

    name: str
    email: str
    role: str
    reports_to: str | None  # the role of their manager


# VP → two managers → one role per team of reps. A role is a team (the `team` dimension is the
# owner's role): the outbound team of five is the source document's 外拨电话大屏 team. At
# --scale N the extra teams get roles of their own ("Outbound Team 2") under the same manager.
ROLES: tuple[Role, ...] = (
    Role("VP Sales", None),
    Role("Inbound Manager", "VP Sales"),
    Role("Outbound Manager", "VP Sales"),
)
TEAM_ROLES: dict[str, Role] = {
    INBOUND: Role("Inbound Team", "Inbound Manager"),
    OUTBOUND: Role("Outbound Team", "Outbound Manager"),
}


def team_role(department: str, team: int) -> Role:
    """The role of team number ``team`` (0-based) of a department: "Outbound Team", then
    "Outbound Team 2", …"""
    base = TEAM_ROLES[department]
    return base if team == 0 else Role(f"{base.name} {team + 1}", base.parent)


MANAGERS: tuple[Manager, ...] = (
    Manager("Morgan Hale", "morgan.hale", "VP Sales", None),
    Manager("Priya Nair", "priya.nair", "Inbound Manager", "VP Sales"),
    Manager("Tom Becker", "tom.becker", "Outbound Manager", "VP Sales"),
)
# Extra teams at --scale > 1 get generated names from these.
EXTRA_FIRST = ("Alex", "Mia", "Noah", "Ava", "Lucas", "陈", "杨", "赵", "黄", "周")
EXTRA_LAST = ("Taylor", "Nguyen", "Patel", "Rossi", "Schmidt", "静", "磊", "敏", "军", "丽")


@dataclass(frozen=True)
class Source:
    name: str  # Lead.LeadSource, as in app.yaml channels
    channel: str
    share: float  # of all leads
    lead_to_opp: float  # leads that become an opportunity
    win_rate: float  # won ÷ closed opportunities
    deal_median: float  # median Amount of its deals
    team: str  # which team owns its leads


# Most leads are inbound; partner deals are the biggest (the KPI dashboard's first chart).
SOURCES: tuple[Source, ...] = (
    Source("Web", "inbound", 0.30, 0.19, 0.16, 20_000, INBOUND),
    Source("Website", "inbound", 0.10, 0.19, 0.16, 19_000, INBOUND),
    Source("Inbound Call", "inbound", 0.12, 0.19, 0.16, 22_000, INBOUND),
    Source("Content", "inbound", 0.13, 0.19, 0.16, 18_000, INBOUND),
    Source("Cold Call", "outbound", 0.15, 0.10, 0.17, 26_000, OUTBOUND),
    Source("Outbound", "outbound", 0.05, 0.10, 0.17, 25_000, OUTBOUND),
    Source("Partner", "partner", 0.08, 0.26, 0.24, 46_000, INBOUND),
    Source("Partner Referral", "partner", 0.05, 0.26, 0.24, 44_000, INBOUND),
    Source("Trade Show", "other", 0.02, 0.12, 0.13, 15_000, INBOUND),
)
# Inbound lead-to-opportunity ratio and win rate drift down over the last INBOUND_DRIFT_DAYS
# days, to these values on --today (the inbound dashboard: 17.9% "slightly falling", 14.8%).
INBOUND_DRIFT_DAYS = 60
INBOUND_LEAD_TO_OPP_TODAY = 0.175
INBOUND_WIN_RATE_TODAY = 0.145

HISTORY_DAYS = 730  # two years ending on --today
LEADS_PER_WEEKDAY = 36.0
LEADS_PER_WEEKEND_DAY = 8.0
LEAD_HOURS = (8, 22)  # web forms arrive from 08:00 to 22:00 org time
WORK_HOURS = (9, 18)  # reps work 09:00–18:00, Monday to Friday
UNCONTACTED = 0.05  # leads nobody ever calls or emails
CONVERSION_LAG_DAYS = 0.5  # mean days from lead to opportunity
CONVERTED_WITHOUT_OPP = 0.01  # leads converted to a contact only

# Chance of one more attempt after attempt k = 2, 3, 4, 5+ (after the 1st it is the rep's
# follow_up): follow-up success falls off after the 3rd and 4th attempt.
NEXT_ATTEMPT = (0.74, 0.28, 0.22, 0.30)
MAX_ATTEMPTS = 9
FIRST_ATTEMPT_CALL = 0.6  # else an email

# Outbound dials to contacts of target accounts, per outbound rep per working day, and how
# much of that the last 31 days keep (the outbound dashboard: calls and demos are down).
DIALS_PER_REP_DAY = 34.0
RECENT_DAYS = 31
RECENT_DIALS = 0.7
RECENT_DEMOS = 0.7
INBOUND_CALLS_PER_REP_DAY = 3.0
TARGET_ACCOUNTS = 600  # per scale unit, two contacts each
# Connect rate by weekday (Mon … Sun): clearly highest on Tuesday and Wednesday.
CONNECT_BY_WEEKDAY = (0.10, 0.20, 0.19, 0.12, 0.10, 0.08, 0.08)
NOT_CONNECTED = (
    ("Left Voicemail", 0.40),
    ("No Answer", 0.40),
    ("Busy", 0.12),
    ("Wrong Number", 0.08),
)
MEETING_PER_CONNECT = 0.12

STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
)
STAGE_WEIGHT = (1.0, 1.5, 2.0, 1.6, 1.2)  # share of the cycle spent in each stage
CYCLE_MEDIAN_DAYS = 35.0
CYCLE_MAX_DAYS = 120
NULL_AMOUNT = 0.015
AMOUNT_MAX = 95_000

# The five biggest deals of last quarter: three with clearly longer cycles (the KPI dashboard's
# right side). (amount, cycle days, day of the quarter it closed, lead source)
BIG_DEALS = (
    (185_000, 48, 20, "Partner"),
    (172_000, 190, 35, "Web"),
    (160_000, 36, 50, "Partner Referral"),
    (151_000, 210, 62, "Cold Call"),
    (143_000, 175, 75, "Website"),
)

INDUSTRIES = (
    "Technology",
    "Manufacturing",
    "Retail",
    "Finance",
    "Healthcare",
    "Education",
    "Logistics",
    "Energy",
    "Media",
    "Hospitality",
)
COMPANY_WORDS = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Tyrell",
    "华为",
    "星辰",
    "东方",
    "蓝海",
    "长城",
    "凌云",
    "天宇",
    "锦程",
    "恒信",
    "博远",
)
COMPANY_KINDS = ("Labs", "Systems", "Group", "Trading", "科技", "集团", "贸易", "Holdings")
PERSON_FIRST = (
    "Anna",
    "Ben",
    "Chloe",
    "David",
    "Ella",
    "Frank",
    "Hannah",
    "Ivan",
    "Julia",
    "Kevin",
    "小红",
    "建国",
    "晓明",
    "丽娜",
    "志强",
    "海燕",
    "文博",
    "雪",
    "浩",
    "静怡",
)
PERSON_LAST = (
    "Smith",
    "Jones",
    "Garcia",
    "Müller",
    "Tanaka",
    "Lee",
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
)
PRODUCTS = ("Platform", "Analytics", "Support Plan", "Expansion", "Pilot", "Renewal")


# Sources beside Salesforce (salesforce/demo_sources.py). Marketing spend by channel and month is
# what each channel's new customers cost: partner leads bring the biggest deals at the lowest CAC.
CAC_BY_CHANNEL: dict[str, int] = {"partner": 2_500, "inbound": 6_000, "outbound": 11_000}
BASE_MONTHLY_SPEND = 4_000  # a channel spends this even in a month without wins
# Quarterly quotas: each rep's usual quarter of revenue won times QUOTA_FACTOR, never so low that
# the rep is past NORMAL_MAX attainment; the quarter's QUOTA_AHEAD best reps are far ahead of
# theirs (revenue won ÷ AHEAD_ATTAINMENT), so quota attainment by rep shows two stars.
QUOTA_FACTOR = 1.1
NORMAL_MAX = 1.15
QUOTA_AHEAD = 2
AHEAD_ATTAINMENT = 1.7
