"""Opaque, time-ordered identifiers made by the server.

An id is `<prefix>_<26 characters>`: 48 bits of milliseconds since the epoch
and 80 random bits in Crockford base32 (the ULID layout). Ordering by `_id`
is therefore ordering by creation, which gives lists a stable default sort
and a cursor that is just the last id, without a second index.
"""

from __future__ import annotations

import hashlib
import secrets
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _base32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_id(prefix: str, *, now_ms: int | None = None) -> str:
    """A new id such as `ptn_01JD3W5V6Q8ZK4R7N2M0XYBC9T`."""
    if not prefix.isalnum() or not prefix.islower():
        raise ValueError(f"id prefix must be lower-case letters and digits, got {prefix!r}")
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    value = (millis & ((1 << 48) - 1)) << 80 | secrets.randbits(80)
    return f"{prefix}_{_base32(value, 26)}"


def derived_id(prefix: str, key: str, *, at_ms: int) -> str:
    """An id with the layout of `new_id` made from a key instead of chance: the same key
    always gives the same id. For an aggregate that must exist at most once per key (the
    royalty report of one license's period): its first event record `<id>:1` can then be
    inserted only once, by whichever writer gets there first. `at_ms` takes the place of
    the creation time, so such ids still sort by it."""
    if not prefix.isalnum() or not prefix.islower():
        raise ValueError(f"id prefix must be lower-case letters and digits, got {prefix!r}")
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:10], "big")
    value = (at_ms & ((1 << 48) - 1)) << 80 | digest
    return f"{prefix}_{_base32(value, 26)}"


def looks_like_id(value: str, prefix: str) -> bool:
    """Cheap shape check before a database look-up (never trusted for authorisation)."""
    head, _, tail = value.partition("_")
    return head == prefix and len(tail) == 26 and all(c in _ALPHABET for c in tail)
