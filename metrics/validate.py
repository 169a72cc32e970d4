"""Start-up check of the catalog's SQL: an EXPLAIN of every metric, alone and with each of its
dimensions, on an empty cache (cache.schema.create_all on an in-memory DuckDB).

Every problem is collected and reported at once, naming the metric and dimension. The check takes
seconds (hundreds of EXPLAINs), so ``validate_catalog_once`` runs it only when something it
depends on changed: the catalog, the cache schema, the SQL compiler, DuckDB or the org settings,
all in one fingerprint recorded beside the cache after a clean pass (``stamp_for``), and kept
for the process (a second cache opened by the same process is not checked again).
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import duckdb

from cache import schema
from cache.connection import connect
from cache.private_files import write_private
from metrics.catalog import Catalog
from metrics.compiler import compile_query, query_params
from metrics.errors import ConfigError, UserError
from metrics.params import settings_params, window_params
from metrics.query import Query
from metrics.settings import OrgSettings
from metrics.windows import resolve

_TODAY = date(2024, 6, 27)


def sql_problems(catalog: Catalog, settings: OrgSettings | None = None) -> list[str]:
    """Every metric × (no grouping, each allowed dimension, each time part) that fails to plan."""
    settings = settings or OrgSettings.model_validate({})
    con = connect()
    schema.create_all(con)
    window = resolve(None, "this quarter", _TODAY, settings.fiscal_year_start_month)
    base = {
        **settings_params(settings),
        "now": window_params("x", window, settings)["x_end_ts"],
        **window_params("cur", window, settings),
    }
    time_dims = [d.name for d in catalog.dimensions if d.kind in ("grain", "datepart")]
    problems: list[str] = []
    for m in catalog.metrics:
        groupings: list[tuple[str, ...]] = [()]
        if m.kind != "records":
            groupings += [(d,) for d in m.dimensions if catalog.dimension(d).kind != "number"]
            groupings += [(d,) for d in time_dims]
        for g in groupings:
            q = Query(metrics=(m.name,), groupings=g)
            try:
                c = compile_query(q, catalog)
            except UserError as e:
                if g and catalog.dimension(g[0]).kind in ("grain", "datepart"):
                    continue  # e.g. no hour for a DATE anchor: refused politely at question time
                problems.append(f"metric {m.name}{' by ' + g[0] if g else ''}: {e.message}")
                continue
            except (KeyError, ValueError) as e:
                problems.append(f"metric {m.name}{' by ' + g[0] if g else ''}: {e}")
                continue
            values = {**base, **query_params(q, catalog, c)}
            try:
                con.execute("EXPLAIN " + c.sql, {n: values[n] for n in c.params})
            except (duckdb.Error, KeyError) as e:
                first = str(e).strip().splitlines()[0]
                problems.append(
                    f"metric {m.name}{' by ' + g[0] if g else ''}: its SQL does not run: {first}"
                )
    con.close()
    return problems


def validate_catalog(catalog: Catalog, settings: OrgSettings | None = None) -> None:
    """Raise ConfigError listing every metric whose SQL does not plan on an empty cache."""
    problems = sql_problems(catalog, settings)
    if problems:
        raise ConfigError(problems, "catalog")


def stamp_for(db_path: Path) -> Path:
    """Where a clean pass is recorded: beside the cache it was checked for
    (``data/kpibot.duckdb.catalog-checked``)."""
    return db_path.with_name(db_path.name + ".catalog-checked")


def fingerprint(catalog: Catalog, settings: OrgSettings | None = None) -> str:
    """What the check's outcome depends on, hashed."""
    settings = settings or OrgSettings.model_validate({})
    h = hashlib.sha256()
    for part in (
        repr(catalog),
        *(o.ddl() for o in schema.OBJECTS),
        *schema.META_DDL,
        duckdb.__version__,
        repr([(k, getattr(settings, k)) for k in OrgSettings.model_fields]),
    ):
        h.update(part.encode() + b"\0")
    for src in sorted(Path(__file__).parent.glob("*.py")):  # the compiler, windows, measures…
        h.update(src.read_bytes())
    return h.hexdigest()


_passed: set[str] = set()  # fingerprints that passed in this process (one check per process)


def validate_catalog_once(catalog: Catalog, settings: OrgSettings | None, stamp: Path) -> bool:
    """validate_catalog, unless ``stamp`` records that this very catalog, schema and compiler
    passed already, or they passed in this process (another cache opened by the same process:
    the check reads no data). True when the check ran. A stamp that cannot be written only
    costs time."""
    key = fingerprint(catalog, settings)
    try:
        if stamp.read_text(encoding="ascii").strip() == key:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    ran = key not in _passed
    if ran:
        validate_catalog(catalog, settings)
        _passed.add(key)
    write_private(stamp, key + "\n")
    return ran
