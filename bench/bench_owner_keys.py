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


def _counts(db: Path) -> tuple[int, int]:
    """(rows of owned records, users) of the current snapshot."""
    target = current_target(db)
    assert target is not None
    con = connect(target, read_only=True)
    try:
        rows = 0
        for table in owner_keys.KEYED:
            row = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
            rows += int(row[0]) if row else 0
        users = con.execute('SELECT count(*) FROM "User"').fetchone()
        return rows, int(users[0]) if users else 0
    finally:
        con.close()


def _upgrade(db: Path) -> tuple[float, bool]:
    """Seconds of the upgrade step, and whether it published (False: the keys were there)."""
    t0 = time.perf_counter()
    done = add_missing_derived(db, tz=TZ)
    return time.perf_counter() - t0, done


def _publish(db: Path, change: Callable[[Any], None]) -> tuple[float, float, int]:
    """A whole publication (copy, ``change``, derived tables, keys, publish): its seconds, the
    owner keys' part of them and the rows the keys rewrote."""
    t0 = time.perf_counter()
    with open_writer(db, source="bench", tz=TZ) as w:
        change(w.con)
        t1 = time.perf_counter()
        rewritten = owner_keys.apply(w.con)  # the publication's own pass then finds none
        keys_s = time.perf_counter() - t1
    return time.perf_counter() - t0, keys_s, sum(rewritten.values())


def _move_a_rep(con: Any) -> None:
    """The rep with the most Tasks moves to the last team (by name) of the other department
    (``_undo`` puts them back)."""
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
    _undo.append(('UPDATE "User" SET UserRoleId = ? WHERE Id = ?', [role, rep]))


def _add_a_user(con: Any) -> None:
    """A new user in the role the tree begins with (numbered before every rep)."""
    ids = owner_keys.load(con)
    first = min(ids, key=lambda u: ids[u])
    con.execute(
        'INSERT INTO "User" (Id, Name, UserRoleId, IsActive) '
        "SELECT '005BENCHNEWUSER', 'New Hire', UserRoleId, true FROM \"User\" WHERE Id = ?",
        [first],
    )
    _undo.append(("DELETE FROM \"User\" WHERE Id = '005BENCHNEWUSER'", []))


_undo: list[tuple[str, list[Any]]] = []


def _put_back(con: Any) -> None:
    while _undo:
        con.execute(*_undo.pop())


def main() -> None:
    scale, _, write = bench_args(__doc__ or "", runs=1, quick_runs=1)
    load_before = load_line()
    db = demo_db(scale, upgrade=False)
    rows, users = _counts(db)
    upgrade_s, upgraded = _upgrade(db)
    steps = [
        ("no change to the hierarchy (every sync and load)", _publish(db, lambda con: None)),
        ("a rep moved to the other department's team", _publish(db, _move_a_rep)),
        ("… and moved back", _publish(db, _put_back)),
        ("one new user in the tree's first role", _publish(db, _add_a_user)),
        ("… and that user deleted", _publish(db, _put_back)),
    ]
    said = f"{upgrade_s:.1f}" if upgraded else "— (the keys were there already)"
    lines = "\n".join(
        f"| {name} | {whole:.1f} | {keys_s:.2f} | {n:,} |" for name, (whole, keys_s, n) in steps
    )
    body = f"""Demo org at --scale {scale:g} (`bench/demo_db.py`): {rows:,} rows of owned records
(Lead, Opportunity, Task, Event, the lead facts and the two rollups), {users} users. One run each;
{load_before} before, {load_line()} after. A publication copies the snapshot, applies the
change, brings the derived tables and the owner keys up to date and publishes the copy; `keys`
is the owner keys' part of it.

| publication | seconds | keys s | rows rewritten |
|---|---|---|---|
| upgrade of a cache published without keys (`add_missing_derived`) | {said} | | \
{rows if upgraded else 0:,} |
{lines}
"""
    publish("Owner keys at publication (10M Tasks)", body, write)


if __name__ == "__main__":
    main()
