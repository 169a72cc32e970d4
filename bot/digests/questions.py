"""Every digest and alert question must parse: checked when app.yaml is validated (at start-up
and by ``kpibot digest list``), each problem named by its key path, so that a typo never
reaches a channel as a warning at send time.

>>> question_problems(cfg, parse)[0]  # doctest: +SKIP
'digests[0].questions[1]: "conect rate": I don\'t know "conect rate". Did you mean connect rate?'
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from bot.config import AppConfig
from bot.digests.message import dashboard_question, with_filters
from metrics.errors import ConfigError, UserError


def _questions(config: AppConfig) -> Iterator[tuple[str, str]]:
    """(key path, question as it will be asked) of every scheduled question."""
    for i, d in enumerate(config.digests):
        for j, q in enumerate(d.questions):
            yield f"digests[{i}].questions[{j}]", with_filters(q, d.filters)
        for j, name in enumerate(d.dashboards):
            yield f"digests[{i}].dashboards[{j}]", with_filters(dashboard_question(name), d.filters)
    for i, a in enumerate(config.alerts):
        yield f"alerts[{i}].question", a.question


def question_problems(config: AppConfig, parse: Callable[[str], object]) -> list[str]:
    """Every scheduled question ``parse`` refuses, as 'key path: "question": why'."""
    problems = []
    for path, question in _questions(config):
        try:
            parse(question)
        except UserError as e:
            problems.append(f'{path}: "{question}": {e.message}')
    return problems


def cache_parser(config: AppConfig) -> Callable[[str], object] | None:
    """The question parser of this catalog and the cache's names (reps, lead sources…); None
    before there is a cache, when names in questions cannot be checked yet."""
    import grammar
    from cache.snapshot import CacheMissing
    from metrics.catalog_load import load_catalog
    from metrics.spark import open_reader
    from metrics.values import load_values

    catalog = load_catalog(config.catalog_path)
    reader = open_reader(config.engine, config.db_path, config.spark, config.lake)
    try:
        values = load_values(reader.cursor(), catalog)
    except CacheMissing:
        return None
    finally:
        reader.close()
    return lambda q: grammar.parse(q, catalog, values)


def check_questions(config: AppConfig, source: str = "app.yaml") -> None:
    """Raise ConfigError listing every scheduled question that does not parse (no-op before
    there is a cache)."""
    if not config.digests and not config.alerts:
        return
    parse = cache_parser(config)
    problems = question_problems(config, parse) if parse is not None else []
    if problems:
        raise ConfigError(problems, source)
