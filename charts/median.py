"""A dashboard filtered to one rep shows that rep against their team's median on its by-rep
panels, instead of a lone row that compares with nothing.

``outbound calls dashboard for 温家豪``: the per-rep panel's query runs once more without the
rep filter, grouped by rep and team (`team` is the owner's Salesforce role, metrics/catalog.yaml);
the panel then has two rows: 温家豪, and "Inbound Team median" — per column (each KPI, its
previous value and its growth) the median over the reps of her team who have a row in the
window, her included. A KPI that cannot be grouped by team, or an org without roles, compares
with the median of all reps instead ("median of all reps"). With no other rep to compare (a
team of one; row-level access that shows only her own records) the panel stays her cards.

>>> against_team_median(answer, panel_query, run, "温家豪")  # doctest: +SKIP
Answer(rows=(("温家豪", 412, …), ("Inbound Team median", 388.5, …)), …)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from statistics import median
from typing import Any

from i18n import t
from metrics.answer import Answer, Sample, Unsettled
from metrics.errors import UserError
from metrics.query import Query

Run = Callable[[Query], Answer]
REP, TEAM = "rep", "team"
_MEDIAN_ROLES = ("metric", "previous", "growth")


def one_rep(asked: Query) -> str | None:
    """The rep a question is filtered to, when it is exactly one (``for 温家豪``)."""
    reps = [f for f in asked.filters if f.dimension == REP and f.op == "in"]
    if len(reps) == 1 and len(reps[0].values) == 1 and isinstance(reps[0].values[0], str):
        return reps[0].values[0]
    return None


def applies(answer: Answer, query: Query, rep: str) -> bool:
    """A by-rep panel answered for the one rep the dashboard is filtered to."""
    if REP not in query.groupings or len(answer.rows) != 1:
        return False
    return bool(answer.rows[0][answer.column_index(REP)] == rep)


def _peers(query: Query, rep: str, run: Run) -> tuple[Answer, str | None] | None:
    """Every rep's row (the rep filter dropped) and the rep's team; grouped by team too when
    the KPIs allow it. None when even the plain by-rep query fails."""
    others = tuple(f for f in query.filters if f.dimension != REP)
    base = dataclasses.replace(query, filters=others, ranking=None, sort=None, chart=None,
                               metric_filters=())
    try:
        a = run(dataclasses.replace(base, groupings=(REP, TEAM)))
    except UserError:
        a = None
    if a is not None:
        r, tm = a.column_index(REP), a.column_index(TEAM)
        team = next((row[tm] for row in a.rows if row[r] == rep), None)
        if team is not None:
            return _only_team(a, team), str(team)
    try:
        return run(dataclasses.replace(base, groupings=(REP,))), None
    except UserError:
        return None


def _only_team(a: Answer, team: Any) -> Answer:
    """The team's rows, without the team column."""
    tm = a.column_index(TEAM)
    keep = [i for i, row in enumerate(a.rows) if row[tm] == team]
    cols = [j for j in range(len(a.columns)) if j != tm]
    return dataclasses.replace(
        a,
        columns=tuple(a.columns[j] for j in cols),
        rows=tuple(tuple(a.rows[i][j] for j in cols) for i in keep),
        samples=tuple(dataclasses.replace(s, counts=tuple(s.counts[i] for i in keep))
                      for s in a.samples),
        unsettled=tuple(dataclasses.replace(u, shares=tuple(u.shares[i] for i in keep))
                        for u in a.unsettled),
    )


def _median(values: list[Any]) -> float | None:
    present = [float(v) for v in values if isinstance(v, (int, float))]
    return median(present) if present else None


def against_team_median(answer: Answer, query: Query, run: Run, rep: str) -> Answer:
    """``answer`` (one rep's row of a by-rep panel) with a second row: the team's median.
    ``query`` is the panel's query as run. Unchanged when the peers cannot be asked."""
    peers = _peers(query, rep, run)
    # A median of one rep is that rep (a team of one, or a person who may see only their own
    # records under row-level access): nothing to set her against.
    if peers is None or len(peers[0].rows) < 2:
        return answer
    team_answer, team = peers
    lang = answer.language  # the panel's answer is asked in the reader's language
    label = t(lang, "chart.team_median", team=team) if team else t(lang, "chart.all_median")
    cols = answer.columns
    if [c.name for c in team_answer.columns] != [c.name for c in cols]:
        return answer
    median_row = tuple(
        label if c.name == REP
        else _median([r[j] for r in team_answer.rows]) if c.role in _MEDIAN_ROLES
        else None
        for j, c in enumerate(cols)
    )
    # The median stands on the team's records: it is never "a small sample" of its own.
    samples = tuple(Sample(s.metric, s.noun, (s.counts[0], sum(p.counts)), s.noun_one)
                    for s, p in _pair(answer.samples, team_answer.samples))
    unsettled = tuple(Unsettled(u.metric, u.says, (u.shares[0], None)) for u in answer.unsettled)
    return dataclasses.replace(answer, rows=(answer.rows[0], median_row), samples=samples,
                               unsettled=unsettled, reference_rows=(1,))


def _pair(mine: tuple[Sample, ...], theirs: tuple[Sample, ...]) -> list[tuple[Sample, Sample]]:
    by_metric = {s.metric: s for s in theirs}
    return [(s, by_metric[s.metric]) for s in mine if s.metric in by_metric]
