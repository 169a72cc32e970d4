"""Owners numbered in the role tree's depth-first order, so that a manager's scope is a range of
numbers instead of a list of ids (docs/access.md, "How the filter is fast").

Every user gets a key that increases along the role tree walked depth first (siblings by name,
then id), each role's users first (by Id), then the roles below it; users without a role, or with
a role the tree does not reach, come last. Everything below a role is then one run of keys (no
other user's key in between), so what a person sees under ``access.rows: hierarchy`` (themself
and every user below their role) is at most two runs: theirs, and the one below. Keys are given
with room between them (``STRIDE``) and kept from one publication to the next where their order
still holds, so a new user or a user moved to another role takes a free number and only their
own records are rewritten (``keys_for``). ``_kpibot_owner_keys`` (Id, key) keeps the numbering
and every table of owned records a column ``_kpibot_owner_key``, its owner's key (NULL: an owner
that is no user, e.g. a lead queue), so the row filter is ``r._kpibot_owner_key BETWEEN $lo AND
$hi``: a comparison the scan applies (and its zone maps can skip on), no join to plan or build.

The keys are brought up to date at every publication (``cache.snapshot``, after the derived
tables): the order is recomputed from ``User`` and ``UserRole``, the keys are fitted to it, and
each keyed table's rows whose key differs from their owner's are rewritten (none when the
hierarchy did not change). So every snapshot's keys follow its own role tree, and a user moved
to another role is numbered anew by the sync that brings the move.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cache import schema
from cache.derived import exists as _exists

KEYS = schema.OWNER_KEYS
COLUMN = schema.OWNER_KEY
STRIDE = 1024  # room between neighbours' first keys, for users added or moved later
MAX_KEY = 2**31 - 1  # the column is an INTEGER
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


def runs(positions: Iterable[int]) -> tuple[tuple[int, int], ...]:
    """Sorted positions as runs of consecutive ones (first, last)."""
    out: list[tuple[int, int]] = []
    for k in sorted(set(positions)):
        if out and out[-1][1] == k - 1:
            out[-1] = (out[-1][0], k)
        else:
            out.append((k, k))
    return tuple(out)


def keys_for(order: Sequence[str], old: Mapping[str, int]) -> dict[str, int]:
    """Keys increasing along ``order`` (user ids, :func:`numbering`), moving as few as it can:
    the users whose ``old`` keys already increase along it (the longest such sequence) keep
    them, the others (new users, users moved) take numbers in the room between their neighbours.
    Keys are first given ``STRIDE`` apart, so a new user or a move rewrites only the records of
    the users it moves; when a gap has no room left every user is spread anew."""
    kept = _longest_increasing(order, old)
    out: dict[str, int] = {}
    prev, i = 0, 0
    while i < len(order):
        if order[i] in kept:
            prev = out[order[i]] = old[order[i]]
            i += 1
            continue
        j = i
        while j < len(order) and order[j] not in kept:
            j += 1
        n = j - i  # users between prev and the next kept one take n numbers in between
        nxt = old[order[j]] if j < len(order) else prev + STRIDE * (n + 1)
        if nxt - prev <= n or nxt > MAX_KEY:
            return _spread(order)
        for m, u in enumerate(order[i:j], start=1):
            out[u] = prev + (nxt - prev) * m // (n + 1)  # strictly between, increasing
        prev, i = out[order[j - 1]], j
    return out


def _spread(order: Sequence[str]) -> dict[str, int]:
    stride = max(1, min(STRIDE, MAX_KEY // (len(order) + 1)))
    return {u: (k + 1) * stride for k, u in enumerate(order)}


def _longest_increasing(order: Sequence[str], old: Mapping[str, int]) -> set[str]:
    """The users of ``order`` with old keys forming the longest increasing sequence along it
    (patience sorting)."""
    had = [u for u in order if u in old]
    tails: list[int] = []  # tails[n]: index in ``had`` ending the best sequence of length n + 1
    ends: list[int] = []  # … and its key
    back: list[int] = [-1] * len(had)
    for i, u in enumerate(had):
        n = bisect_left(ends, old[u])
        back[i] = tails[n - 1] if n else -1
        if n == len(tails):
            tails.append(i)
            ends.append(old[u])
        else:
            tails[n], ends[n] = i, old[u]
    out: set[str] = set()
    i = tails[-1] if tails else -1
    while i >= 0:
        out.add(had[i])
        i = back[i]
    return out


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
    users = (  # none: still numbered (empty), so the upgrade step does not come back each time
        con.execute('SELECT Id, UserRoleId FROM "User"').fetchall() if _exists(con, "User") else []
    )
    roles = (
        con.execute('SELECT Id, ParentRoleId, Name FROM "UserRole"').fetchall()
        if _exists(con, "UserRole")
        else []
    )
    keys = keys_for(numbering(users, roles), load(con))
    con.execute(f'CREATE OR REPLACE TABLE "{KEYS}" (Id VARCHAR PRIMARY KEY, key INTEGER NOT NULL)')
    if keys:
        con.execute(
            f'INSERT INTO "{KEYS}" SELECT unnest($ids), unnest($keys)',
            {"ids": list(keys), "keys": list(keys.values())},
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
    """``owners`` as runs of keys (first, last) with no other user's key in between; None when
    one of them has no key (then the filter names the owners themselves)."""
    if not keys or any(o not in keys for o in owners):
        return None
    every = sorted(keys.values())
    at = {k: i for i, k in enumerate(every)}
    return tuple((every[a], every[b]) for a, b in runs(at[keys[o]] for o in owners))
