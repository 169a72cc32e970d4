"""Reads tests/corpus/questions.yaml: the fixed data values and each question's expected Query
(or expected error), built from the YAML encoding described at the top of that file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from metrics.query import (
    Comparison,
    Correction,
    Filter,
    MetricFilter,
    Query,
    Ranking,
    Sort,
    WindowSpec,
)

CORPUS = Path(__file__).parent / "questions.yaml"


@dataclass(frozen=True)
class Case:
    question: str
    query: Query | None
    corrections: tuple[Correction, ...]
    error: str | None
    suggestions: tuple[str, ...] | None
    says: str | None


def _date(v: Any) -> date | None:
    if v is None or isinstance(v, date):
        return v
    return date.fromisoformat(str(v))


def window(d: dict[str, Any] | None) -> WindowSpec | None:
    if d is None:
        return None
    return WindowSpec(
        kind=d["kind"],
        n=d.get("n"),
        unit=d.get("unit"),
        year=d.get("year"),
        number=d.get("number"),
        start=_date(d.get("start")),
        end=_date(d.get("end")),
    )


def comparison(v: Any) -> Comparison | None:
    if v is None:
        return None
    if isinstance(v, str):
        return Comparison(v)  # type: ignore[arg-type]
    if "previous" in v:  # "vs previous quarter": {previous: quarter}
        return Comparison("previous", unit=v["previous"])
    return Comparison("window", window(v["window"]), full=bool(v.get("full", False)))


def query(d: dict[str, Any]) -> Query:
    unknown = set(d) - set(Query.__dataclass_fields__)
    assert not unknown, f"not Query fields: {unknown}"
    ranking = d.get("ranking")
    sort = d.get("sort")
    return Query(
        metrics=tuple(d.get("metrics", ())),
        groupings=tuple(d.get("groupings", ())),
        window=window(d.get("window")),
        filters=tuple(Filter(dim, op, tuple(vals)) for dim, op, vals in d.get("filters", ())),
        metric_filters=tuple(
            MetricFilter(m, op, float(v)) for m, op, v in d.get("metric_filters", ())
        ),
        ranking=Ranking(*ranking) if ranking else None,
        sort=Sort(sort[0], sort[1]) if sort else None,
        comparison=comparison(d.get("comparison")),
        chart=d.get("chart"),
        dashboard=d.get("dashboard"),
    )


def load() -> tuple[dict[str, list[str]], list[Case]]:
    data = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    values = {str(k): [str(x) for x in v] for k, v in data["values"].items()}
    cases = []
    for row in data["questions"]:
        sugg = row.get("suggestions")
        cases.append(
            Case(
                question=str(row["q"]),
                query=query(row["query"]) if "query" in row else None,
                corrections=tuple(Correction(*c) for c in row.get("corrections", ())),
                error=row.get("error"),
                suggestions=tuple(sugg) if sugg is not None else None,
                says=row.get("says"),
            )
        )
    return values, cases
