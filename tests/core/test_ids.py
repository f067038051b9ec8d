from sandbox.core.ids import ZERO_HASH, trade_id, tx_hash


def test_trade_ids_are_unique_50_bit_and_scrambled():
    tids = [trade_id(n) for n in range(1, 50_001)]
    assert len(set(tids)) == len(tids)
    assert all(0 <= t < 2**50 for t in tids)
    assert tids[:3] != sorted(tids[:3]) or tids[1] - tids[0] != 1


def test_tx_hash_is_deterministic_and_shaped_like_the_venues():
    assert tx_hash(7) == tx_hash(7) != tx_hash(8)
    assert len(tx_hash(7)) == 66 and tx_hash(7).startswith("0x")
    int(tx_hash(7), 16)
    assert len(ZERO_HASH) == 66
