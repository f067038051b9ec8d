"""Deterministic identifiers: order ids, trade ids and transaction hashes.

Order ids count up from 1. A trade id is a bijective scramble of the trade's sequence
number into 50 bits (the venue's tids are 50-bit hashes), so tids are unique and look like
the venue's without any randomness. A transaction hash is derived from the action's
sequence number, lazily, by whoever formats it.
"""

from __future__ import annotations

from hashlib import blake2b

_MASK50 = (1 << 50) - 1
_M1 = 0x2545F4914F6CDD1D & _MASK50 | 1
_M2 = 0x9E3779B97F4A7C15 & _MASK50 | 1


def trade_id(seq: int) -> int:
    """A 50-bit trade id for trade number `seq` (a bijection on 0..2^50-1)."""
    x = (seq * _M1) & _MASK50
    x ^= x >> 23
    x = (x * _M2) & _MASK50
    x ^= x >> 27
    return x


def tx_hash(action: int) -> str:
    """The 32-byte transaction hash of action number `action`, as `0x` + 64 hex digits."""
    return (
        "0x" + blake2b(action.to_bytes(8, "big"), digest_size=32, person=b"adl-sandbox").hexdigest()
    )


ZERO_HASH = "0x" + "0" * 64
