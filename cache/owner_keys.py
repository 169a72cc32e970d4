"""Owners numbered in the role tree's depth-first order, so that a manager's scope is a range of
numbers instead of a list of ids (docs/access.md, "How the filter is fast").

Every user gets a key 1…N: the role tree is walked depth first (siblings by name, then id), each
role's users first (by Id), then the roles below it; users without a role, or with a role the
tree does not reach, come last. Everything below a role is then one run of keys, so what a person
sees under ``access.rows: hierarchy`` (themself and every user below their role) is at most two
runs: theirs, and the one below. ``_kpibot_owner_keys`` (Id, key) keeps the numbering and every
table of owned records a column ``_kpibot_owner_key``, its owner's key (NULL: an owner that is no
user, e.g. a lead queue), so the row filter is ``r._kpibot_owner_key BETWEEN $lo AND $hi``: a
comparison the scan applies (and its zone maps can skip on), no join to plan or build.

The keys are brought up to date at every publication (``cache.snapshot``, after the derived
tables): the numbering is recomputed from ``User`` and ``UserRole``, and each keyed
table's rows whose key differs from their owner's are rewritten. So a rebuilt and an
incrementally synced snapshot hold the same keys, and a user moved to another role (which changes
the numbering) is numbered anew by the sync that brings the move.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cache import schema
from cache.derived import exists as _exists

KEYS = schema.OWNER_KEYS
COLUMN = schema.OWNER_KEY
# The tables of owned records a keyed record set reads (metrics/catalog.yaml ``keyed: true``).
KEYED = schema.KEYED_TABLES


def numbering(
    users: Iterable[tuple[str, str | None]], roles: Iterable[tuple[str, str | None, str | None]]
) -> list[str]:
    """User ids in key order (key = position + 1): ``users`` as (Id, UserRoleId), ``roles`` as
    (Id, ParentRoleId, Name). A role whose parent is unknown is a root; a cycle in bad data is
    cut where the walk meets a role it has seen."""
    parent = {str(i): (str(p) if p else None) for i, p, _ in roles}
    name = {str(i): str(n or "") for i, _, n in roles}
    children: dict[str | None, list[str]] = {}
    for r, p in parent.items():
        children.setdefault(p if p in parent else None, []).append(r)
    members: dict[str | None, list[str]] = {}
    for u, role in users:
        members.setdefault(role if role in parent else None, []).append(str(u))
    order: list[str] = []
    seen: set[str] = set()

    def walk(role: str) -> None:
        stack = [role]
        while stack:
            r = stack.pop()
            if r in seen:
                continue
            seen.add(r)
            order.extend(sorted(members.get(r, [])))
            below = sorted(children.get(r, []), key=lambda c: (name[c], c))
            stack.extend(reversed(below))

    for root in sorted(children.get(None, []), key=lambda c: (name[c], c)):
        walk(root)
    for r in sorted(parent):  # roles only a cycle reaches
        walk(r)
    return order + sorted(members.get(None, []))


def runs(keys: Iterable[int]) -> tuple[tuple[int, int], ...]:
    """Sorted keys as runs of consecutive numbers (first, last)."""
    out: list[tuple[int, int]] = []
    for k in sorted(set(keys)):
        if out and out[-1][1] == k - 1:
            out[-1] = (out[-1][0], k)
        else:
            out.append((k, k))
    return tuple(out)


def present(cursor: Any) -> bool:
    """Whether the snapshot keeps owner keys: the numbering, and the key column on every keyed
    table it has (one published by an older kpibot, not yet upgraded, has neither)."""
    if not _exists(cursor, KEYS):
        return False
    rows = cursor.execute(
        "SELECT table_name, bool_or(column_name = ?) FROM duckdb_columns() "
        "WHERE list_contains(?, table_name) AND database_name = current_database() "
        "GROUP BY table_name",
        [COLUMN, list(KEYED)],
    ).fetchall()
    return all(has for _, has in rows)


def load(cursor: Any) -> Mapping[str, int]:
    """The snapshot's numbering (user id → key); empty when the snapshot keeps no owner keys
    (written by an older kpibot): scopes then filter on the owner list."""
    if not present(cursor):
        return {}
    return {str(i): int(k) for i, k in cursor.execute(f'SELECT Id, key FROM "{KEYS}"').fetchall()}


def apply(con: Any) -> dict[str, int]:
    """Number the users anew and bring every keyed table's owner keys up to date: the rows
    rewritten per table (none when the hierarchy did not change)."""
    if not _exists(con, "User"):
        return {}
    users = con.execute('SELECT Id, UserRoleId FROM "User"').fetchall()
    roles = (
        con.execute('SELECT Id, ParentRoleId, Name FROM "UserRole"').fetchall()
        if _exists(con, "UserRole")
        else []
    )
    ids = numbering(users, roles)
    con.execute(f'CREATE OR REPLACE TABLE "{KEYS}" (Id VARCHAR PRIMARY KEY, key INTEGER NOT NULL)')
    if ids:
        con.execute(
            f'INSERT INTO "{KEYS}" SELECT ids[k], CAST(k AS INTEGER) '
            "FROM (SELECT $ids AS ids), range(1, len($ids) + 1) AS t(k)",
            {"ids": ids},
        )
    return {table: _rekey(con, table) for table in KEYED if _exists(con, table)}


def _rekey(con: Any, table: str) -> int:
    """Give each row of ``table`` its owner's key (NULL for an owner that is no user), writing
    only the rows whose key differs; how many were."""
    schema.add_owner_key(con, table)
    changed = con.execute(
        f'UPDATE "{table}" AS t SET "{COLUMN}" = k.key FROM "{KEYS}" AS k '
        f'WHERE k.Id = t.OwnerId AND t."{COLUMN}" IS DISTINCT FROM k.key'
    ).fetchone()
    dropped = con.execute(
        f'UPDATE "{table}" AS t SET "{COLUMN}" = NULL WHERE t."{COLUMN}" IS NOT NULL '
        f'AND NOT EXISTS (SELECT 1 FROM "{KEYS}" AS k WHERE k.Id = t.OwnerId)'
    ).fetchone()
    return int(changed[0] if changed else 0) + int(dropped[0] if dropped else 0)


def ranges(owners: Sequence[str], keys: Mapping[str, int]) -> tuple[tuple[int, int], ...] | None:
    """``owners`` as runs of keys; None when one of them has no key (then the filter names the
    owners themselves)."""
    if not keys or any(o not in keys for o in owners):
        return None
    return runs(keys[o] for o in owners)
