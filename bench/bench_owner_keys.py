"""What the owner keys of row-level access cost a publication, on the 10M-Task demo org.

cache/owner_keys.py numbers the users in the role tree's depth-first order at every publication
and rewrites the rows of owned records whose key differs. Measured here, each on a pending
snapshot that is then thrown away (the demo org is left as it was):

- the upgrade of a cache published without keys (``cache.snapshot.add_missing_derived``, as a
  backend runs it when it opens one): every owned row gets its key — once per install;
- a publication with no change to the hierarchy (every sync and load): the keys checked, no row
  rewritten, beside the same publication's other steps;
- a rep moved to another team's role: the rows of the users whose key changes;
- one new user in the first role of the tree: every later user's key shifts by one.

Run with ``$KPIBOT_BENCH_DATA`` on a copy of the demo org of its own: the upgrade publishes it
again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.demo_db import TZ, bench_args, demo_db
from bench.report import load_line, publish
from cache import owner_keys
from cache.connection import connect
from cache.snapshot import add_missing_derived, current_target, open_writer


class _Discard(Exception):
    """Thrown out of a writer so that its pending snapshot is not published."""


def _keyed_rows(db: Path) -> int:
    target = current_target(db)
    assert target is not None
    con = connect(target, read_only=True)
    try:
        total = 0
        for table in owner_keys.KEYED:
            row = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
            total += int(row[0]) if row else 0
        return total
    finally:
        con.close()


def _upgrade(db: Path) -> tuple[float, bool]:
    """Seconds of the upgrade step, and whether it published (False: the keys were there)."""
    t0 = time.perf_counter()
    done = add_missing_derived(db, tz=TZ)
    return time.perf_counter() - t0, done


def _in_writer(db: Path, change: Callable[[Any], None]) -> tuple[float, float, int]:
    """(seconds to copy the snapshot and open the writer, seconds of owner_keys.apply after
    ``change``, rows it rewrote), the pending snapshot thrown away."""
    out: list[Any] = []
    t0 = time.perf_counter()
    try:
        with open_writer(db, source="bench", tz=TZ) as w:
            opened = time.perf_counter() - t0
            change(w.con)
            t1 = time.perf_counter()
            rewritten = owner_keys.apply(w.con)
            out = [opened, time.perf_counter() - t1, sum(rewritten.values())]
            raise _Discard
    except _Discard:
        pass
    return out[0], out[1], out[2]


def _publish_unchanged(db: Path) -> float:
    """Seconds of a whole publication with no change (copy, derived tables, keys, publish)."""
    t0 = time.perf_counter()
    with open_writer(db, source="bench", tz=TZ):
        pass
    return time.perf_counter() - t0


def _move_a_rep(con: Any) -> None:
    """The rep with the most Tasks moves to the last team (by name) of the other department."""
    rep, role = con.execute(
        'SELECT u.Id, u.UserRoleId FROM "User" AS u JOIN "Task" AS t ON t.OwnerId = u.Id '
        "GROUP BY ALL ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    (to,) = con.execute(
        'SELECT r.Id FROM "UserRole" AS r WHERE r.Id <> ? AND r.ParentRoleId <> '
        '(SELECT ParentRoleId FROM "UserRole" WHERE Id = ?) AND NOT EXISTS '
        '(SELECT 1 FROM "UserRole" AS c WHERE c.ParentRoleId = r.Id) ORDER BY r.Name DESC LIMIT 1',
        [role, role],
    ).fetchone()
    con.execute('UPDATE "User" SET UserRoleId = ? WHERE Id = ?', [to, rep])


def _add_a_user(con: Any) -> None:
    """A new user in the role the tree begins with (numbered before every rep)."""
    ids = owner_keys.load(con)
    first = min(ids, key=lambda u: ids[u])
    con.execute(
        'INSERT INTO "User" (Id, Name, UserRoleId, IsActive) '
        "SELECT '005BENCHNEWUSER', 'New Hire', UserRoleId, true FROM \"User\" WHERE Id = ?",
        [first],
    )


def main() -> None:
    scale, _, write = bench_args(__doc__ or "", runs=1, quick_runs=1)
    load_before = load_line()
    db = demo_db(scale, upgrade=False)
    rows = _keyed_rows(db)
    upgrade_s, upgraded = _upgrade(db)
    plain = _publish_unchanged(db)
    opened, unchanged_s, unchanged_n = _in_writer(db, lambda con: None)
    _, moved_s, moved_n = _in_writer(db, _move_a_rep)
    _, added_s, added_n = _in_writer(db, _add_a_user)
    said = (
        f"{upgrade_s:.1f} s (copy, keys for every row, publication)"
        if upgraded
        else "— (the keys were there already)"
    )
    keyed = rows if upgraded else 0
    body = f"""Demo org at --scale {scale:g} (`bench/demo_db.py`): {rows:,} rows of owned records
(Lead, Opportunity, Task, Event, the lead facts and the two rollups). One run each; {load_before}
before, {load_line()} after.

| step | seconds | rows rewritten |
|---|---|---|
| upgrade of a cache published without keys (`add_missing_derived`) | {said} | {keyed:,} |
| a whole publication, no change (copy, derived tables, keys, publish) | {plain:.1f} | 0 |
| … of it: copying the snapshot and opening the writer | {opened:.1f} | |
| … of it: the owner keys, hierarchy unchanged | {unchanged_s:.2f} | {unchanged_n:,} |
| the owner keys after a rep moves to another team | {moved_s:.2f} | {moved_n:,} |
| the owner keys after one new user in the tree's first role | {added_s:.2f} | {added_n:,} |
"""
    publish("Owner keys at publication (10M Tasks)", body, write)


if __name__ == "__main__":
    main()
