"""Groupings with one value are said, not drawn.

`deals won last quarter by rep vs previous quarter` groups by rep *and* quarter, but the
window holds one quarter: a "quarter" axis with one value would make a one-entry legend and
hide the comparison. A dashboard filtered to one rep has a by-rep panel with one row. Such a
grouping is dropped from the answer before the chart is chosen, and its value is said
("Q3 2026", "rep: Olivia Brown") in the subtitle instead.

>>> drop_constant_groupings(answer_by_rep_and_quarter)  # doctest: +SKIP
(Answer(... groupings=("rep",) ...), 'quarter: Q3 2026')
"""

from __future__ import annotations

import dataclasses
import re

import i18n
from charts import labels
from charts.choose import grouping_kind
from i18n import Language
from metrics.answer import Answer


def _said(answer: Answer, j: int, fiscal_start_month: int) -> str:
    col = answer.columns[j]
    v = answer.rows[0][j]
    lang = answer.language
    if grouping_kind(col.name) == "time":
        return labels.tick(v, col.name, fiscal_start_month, lang)
    return i18n.t(lang, "chart.value_of", name=col.spoken,
                  value=labels.category(v, col.name, lang))


def _restated_without(restated: str, name: str, lang: Language) -> str:
    """'[deals won] by [rep] and [quarter] · …' → '[deals won] by [rep] · …' (the words of
    the restatement in ``lang``: '[赢单数] 按 [销售] 和 [季度]' → '[赢单数] 按 [销售]')."""
    g = re.escape(f"[{name}]")
    also = re.escape(i18n.t(lang, "restate.also").rstrip())  # " and" / " 和"
    by = i18n.t(lang, "restate.by", names="")  # "by " / "按 "
    for pattern, repl in ((rf"(,|{also}) {g}", ""), (rf" {re.escape(by)}{g}(,|{also}) ", f" {by}"),
                          (rf" {re.escape(by)}{g}", "")):
        out, n = re.subn(pattern, repl, restated, count=1)
        if n:
            return out
    return restated


def drop_constant_groupings(
    answer: Answer, fiscal_start_month: int = 1, known: frozenset[tuple[str, object]] = frozenset()
) -> tuple[Answer, str]:
    """The answer without its one-valued groupings, and a phrase saying their values ('' when
    nothing was dropped). A grouping whose (dimension, stored value) is ``known`` (a filter the
    page's title already says) is dropped unsaid. Records and answers without rows are
    returned as they are."""
    if answer.kind == "records" or not answer.rows:
        return answer, ""
    dims = [j for j, c in enumerate(answer.columns) if c.role == "dimension"]
    same = [j for j in dims if len({r[j] for r in answer.rows}) == 1]
    if not same:
        return answer, ""
    # A one-bucket time grouping is the window itself, whose dates the subtitle already says.
    said = " · ".join(_said(answer, j, fiscal_start_month) for j in same
                      if (answer.window is None or grouping_kind(answer.columns[j].name) != "time")
                      and (answer.columns[j].name, answer.rows[0][j]) not in known)
    keep = [j for j in range(len(answer.columns)) if j not in same]
    names = {answer.columns[j].name for j in same}
    restated = answer.restated
    for j in same:
        restated = _restated_without(restated, answer.columns[j].spoken, answer.language)
    query = dataclasses.replace(
        answer.query, groupings=tuple(g for g in answer.query.groupings if g not in names))
    out = dataclasses.replace(
        answer, query=query, restated=restated,
        columns=tuple(answer.columns[j] for j in keep),
        rows=tuple(tuple(r[j] for j in keep) for r in answer.rows),
    )
    return out, said
