"""Salesforce-style 18-character record ids for the demo org, built in bulk.

A Salesforce id is a 3-character key prefix (``00Q`` Lead, ``006`` Opportunity, …), a 2-character
pod/instance code, a 10-character base-62 sequence, and a 3-character suffix that makes the id
case-insensitively unique: for each 5-character block of the 15-character id, the bit mask of
its upper-case letters picks a character of ``A–Z0–5``.

>>> sf_id("00Q", 1)
'00Q5g0000000001EAA'
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

KEY_PREFIX: dict[str, str] = {
    "User": "005",
    "UserRole": "00E",
    "Account": "001",
    "Contact": "003",
    "Lead": "00Q",
    "Opportunity": "006",
    "OpportunityHistory": "008",
    "Task": "00T",
    "Event": "00U",
}

POD = "5g"
_BASE62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", np.uint8)
_SUFFIX = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", np.uint8)
_DIGITS = 10


def sf_ids(prefix: str, start: int, count: int) -> pa.StringArray:
    """``count`` ids with sequence numbers ``start, start+1, …`` as an Arrow string array."""
    if count == 0:
        return pa.array([], pa.string())  # type: ignore[return-value]
    chars = np.empty((count, 18), np.uint8)
    chars[:, :3] = np.frombuffer(prefix.encode(), np.uint8)
    chars[:, 3:5] = np.frombuffer(POD.encode(), np.uint8)
    n = np.arange(start, start + count, dtype=np.int64)
    for pos in range(14, 4, -1):  # least significant digit last
        chars[:, pos] = _BASE62[n % 62]
        n //= 62
    upper = (chars[:, :15] >= ord("A")) & (chars[:, :15] <= ord("Z"))
    weights = 1 << np.arange(5)
    for block in range(3):
        mask = upper[:, block * 5 : block * 5 + 5] @ weights
        chars[:, 15 + block] = _SUFFIX[mask]
    offsets = np.arange(0, 18 * count + 1, 18, dtype=np.int32)
    return pa.StringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes()))


def sf_id(prefix: str, n: int) -> str:
    return str(sf_ids(prefix, n, 1)[0].as_py())


class IdSequence:
    """Hands out consecutive ids of one object, so every build numbers records the same way."""

    def __init__(self, obj: str):
        self.prefix = KEY_PREFIX[obj]
        self.next = 1

    def take(self, count: int) -> pa.StringArray:
        out = sf_ids(self.prefix, self.next, count)
        self.next += count
        return out
