"""Hyperliquid's rate limits on a clock the test moves by hand (no sockets, no sleeping).

Each story reaches a limit exactly at its number, checks the refusal, and watches time give
the allowance back. Volumes are micro-USDC: `usd("87457.46")`.
"""

from __future__ import annotations

import pickle

import pytest

from sandbox.core.units import parse_usdc as usd
from sandbox.server.limits import AddressCount, RateLimitConfig, RateLimits, fmt_volume

IP = "10.0.0.1"
OTHER_IP = "10.0.0.2"
ALICE = "0x" + "a1" * 20
BOB = "0x" + "b0" * 20


class Clock:
    """The venue's clock in milliseconds; it moves only when told."""

    def __init__(self, t: int = 1_700_000_000_000) -> None:
        self.t = t

    def now(self) -> int:
        return self.t

    def advance(self, ms: int) -> None:
        self.t += ms


def limits(**config) -> tuple[RateLimits, Clock]:
    clock = Clock()
    return RateLimits(clock.now, RateLimitConfig(**config)), clock


# -- weights -------------------------------------------------------------------------------


def test_exchange_weight_is_one_plus_one_per_forty_in_the_batch():
    """The docs: `1 + floor(batch_length / 40)`; unbatched actions weigh 1, 79 orders 2."""
    rl, _ = limits()
    assert [rl.exchange_weight(n) for n in (1, 39, 40, 79, 80, 200)] == [1, 1, 2, 2, 3, 6]


def test_info_weights_by_type_and_answer_size():
    """2 for the light types, 60 for userRole, 20 for the rest; paged types add one per full
    page of 20 items (2000 fills: 20 + 100), candles one per full 60."""
    rl, _ = limits()
    assert rl.info_weight("l2Book", 0) == rl.info_weight("exchangeStatus", 0) == 2
    assert rl.info_weight("userRole", 0) == 60
    assert rl.info_weight("meta", 0) == rl.info_weight("somethingNew", 0) == 20
    assert [rl.info_weight("userFills", n) for n in (0, 19, 20, 39, 2000)] == [20, 20, 21, 21, 120]
    assert rl.info_weight("userNonFundingLedgerUpdates", 40) == 22
    assert [rl.info_weight("candleSnapshot", n) for n in (59, 60, 5000)] == [20, 21, 103]
    assert rl.info_weight("l2Book", 500) == 2  # a book is not paged
    assert rl.info_base_weight("userFills") + rl.info_extra_weight("userFills", 2000) == 120


# -- REST weight per IP --------------------------------------------------------------------


def test_an_ip_spends_exactly_1200_weight_then_is_refused_without_being_charged():
    """Sixty `meta` requests (20 each) spend the whole minute's 1200; the 61st is refused
    and costs nothing, so a 2-weight request still fails and the bucket stays at zero."""
    rl, _ = limits()
    assert all(rl.charge_ip(IP, 20) for _ in range(60))
    assert rl.ip_available(IP) == 0
    assert not rl.charge_ip(IP, 20)
    assert not rl.charge_ip(IP, 2)
    assert rl.ip_available(IP) == 0
    assert rl.charge_ip(OTHER_IP, 20), "another IP has its own bucket"
    rl.validate()


def test_the_last_weight_is_usable_but_not_one_more():
    """1199 spent: a request of weight 1 passes, one of weight 2 does not."""
    rl, _ = limits()
    assert rl.charge_ip(IP, 1199)
    assert not rl.charge_ip(IP, 2)
    assert rl.charge_ip(IP, 1)
    assert not rl.charge_ip(IP, 1)


def test_weight_comes_back_exactly_with_time():
    """1200 per minute is one weight per 50 ms: after 30 s exactly 600 are back, after
    49 ms none, and an idle IP never holds more than 1200."""
    rl, clock = limits()
    assert rl.charge_ip(IP, 1200)
    clock.advance(49)
    assert rl.ip_available(IP) == 0
    clock.advance(1)
    assert rl.ip_available(IP) == 1
    clock.advance(30_000 - 50)
    assert rl.ip_available(IP) == 600
    assert not rl.charge_ip(IP, 601)
    assert rl.charge_ip(IP, 600)
    clock.advance(3_600_000)
    assert rl.ip_available(IP) == 1200
    rl.validate()


def test_refills_do_not_drift_over_many_small_steps():
    """A thousand 7 ms steps give back 7000 / 50 = 140 weight exactly (no rounding lost)."""
    rl, clock = limits()
    rl.charge_ip(IP, 1200)
    for _ in range(1000):
        clock.advance(7)
        rl.ip_available(IP)
    assert rl.ip_available(IP) == 140


def test_extra_weight_after_the_answer_can_leave_the_ip_in_debt():
    """A `userFills` request is charged its base 20 before answering; its 2000 fills add
    100 after. With 80 left before it, the IP ends 40 in debt. The next l2Book (weight 2)
    waits until 42 weight have come back: 2100 ms, not 2099."""
    rl, clock = limits()
    assert rl.charge_ip(IP, 1120)
    assert rl.charge_ip(IP, rl.info_base_weight("userFills"))
    rl.charge_extra(IP, rl.info_extra_weight("userFills", 2000))
    assert rl.ip_available(IP) == -40
    clock.advance(2_099)
    assert not rl.charge_ip(IP, 2)
    clock.advance(1)
    assert rl.charge_ip(IP, 2)
    assert rl.ip_available(IP) == 0


# -- actions per address -------------------------------------------------------------------


def test_a_fresh_address_has_exactly_10000_requests_and_batches_count_each_order():
    """Fifty batches of 200 orders use the whole budget of 10,000; then a single order is
    refused, and so is a batch that would not fit once the budget is nearly used."""
    rl, clock = limits()
    for _ in range(49):
        assert rl.check_address(ALICE, 200, False, 0) is None
    assert rl.check_address(ALICE, 199, False, 0) is None  # 9,999 used
    clock.advance(1)
    assert rl.check_address(ALICE, 2, False, 0) is not None  # 10,001 would not fit
    assert rl.check_address(ALICE, 1, False, 0) is None  # the 10,000th
    assert rl.check_address(ALICE, 1, False, 0) is not None
    assert rl.address_usage(ALICE, 0) == {
        "cumVlm": "0.0", "nRequestsUsed": 10_000, "nRequestsCap": 10_000, "nRequestsSurplus": 0,
    }  # fmt: skip
    rl.validate()


def test_the_budget_grows_by_one_request_per_whole_usdc_traded():
    """Alice's 10,000 are spent. She trades $500.999999: her cap is 10,500, so 500 more
    requests pass and the 501st does not."""
    rl, _ = limits()
    rl.count_address(ALICE, 10_000)
    volume = usd("500.999999")
    assert rl.address_usage(ALICE, volume)["nRequestsCap"] == 10_500
    assert all(rl.check_address(ALICE, 1, False, volume) is None for _ in range(500))
    assert rl.check_address(ALICE, 1, False, volume) is not None
    assert rl.address_usage(ALICE, volume)["nRequestsUsed"] == 10_500


def test_an_exhausted_address_gets_one_request_per_10_seconds_and_refusals_do_not_restart_it():
    """Alice is over her cap. She sends one order a second, like the TICKWRIGHT probe: one
    passes every 10 s exactly, counted; the nine refusals between count nothing and do not
    push the next pass back. The left number of the refusal rises with each pass."""
    rl, clock = limits()
    rl.count_address(ALICE, 10_000)  # the last allowed request: now
    passes, texts = [], []
    for second in range(1, 31):
        clock.advance(1_000)
        text = rl.check_address(ALICE, 1, False, 0)
        if text is None:
            passes.append(second)
        else:
            texts.append(text)
    assert passes == [10, 20, 30]
    assert rl.address_usage(ALICE, 0)["nRequestsUsed"] == 10_003
    assert texts[0].startswith("Too many cumulative requests sent (10001 > 9999)")
    assert texts[-1].startswith("Too many cumulative requests sent (10003 > 9999)")


def test_the_10_seconds_run_from_the_last_allowed_request_even_within_the_budget():
    """Bob's last in-budget request came at t; his first over-budget one must wait until
    t + 10,000 ms."""
    rl, clock = limits()
    rl.count_address(BOB, 9_999)
    clock.advance(60_000)
    assert rl.check_address(BOB, 1, False, 0) is None  # the 10,000th, at t
    clock.advance(9_999)
    assert rl.check_address(BOB, 1, False, 0) is not None
    clock.advance(1)
    assert rl.check_address(BOB, 1, False, 0) is None


def test_cancels_get_the_higher_cap():
    """Cancels may go to min(cap + 100,000, 2 cap): 20,000 for a fresh address; 120,000 for
    one with $50,000 traded (cap 60,000); 307,000 for one with $197,000 (cap 207,000).
    Alice, over her order cap, still cancels up to her 20,000th request."""
    rl, clock = limits()
    rl.count_address(ALICE, 10_000)
    clock.advance(1)
    assert rl.check_address(ALICE, 1, False, 0) is not None, "orders are over the cap"
    assert rl.check_address(ALICE, 200, True, 0) is None, "cancels are not"
    rl.count_address(ALICE, 20_000 - 10_200 - 1)
    assert rl.check_address(ALICE, 1, True, 0) is None  # the 20,000th
    text = rl.check_address(ALICE, 1, True, 0)
    assert text is not None and text.startswith("Too many cumulative requests sent (20001 > 19999)")
    assert rl.cancel_cap(rl.address_cap(usd("197000"))) == 307_000
    assert rl.cancel_cap(rl.address_cap(usd("50000"))) == 120_000


def test_the_refusal_texts_of_both_captures():
    """TICKWRIGHT's testnet probe: nRequestsUsed 97459, cap 97457, $87457.46 traded. A bot's
    fixture of a live refusal: 15400 used, $4643 traded (cap 14643). Both texts exactly."""
    rl, clock = limits()
    volume = usd("87457.46")
    rl.count_address(ALICE, 97_459)
    clock.advance(1_000)
    assert rl.check_address(ALICE, 1, False, volume) == (
        "Too many cumulative requests sent (97460 > 97456) for cumulative volume traded "
        "$87457.46. Place taker orders to free up 1 request per USDC traded."
    )
    assert rl.address_usage(ALICE, volume) == {
        "cumVlm": "87457.46", "nRequestsUsed": 97_459, "nRequestsCap": 97_457,
        "nRequestsSurplus": 0,
    }  # fmt: skip
    rl.count_address(BOB, 15_400)
    assert rl.check_address(BOB, 1, False, usd("4643")) == (
        "Too many cumulative requests sent (15401 > 14642) for cumulative volume traded "
        "$4643. Place taker orders to free up 1 request per USDC traded."
    )


def test_the_volume_in_the_text_is_truncated_to_cents_without_trailing_zeros():
    assert fmt_volume(usd("87457.46")) == "87457.46"
    assert fmt_volume(usd("87457.4")) == "87457.4"
    assert fmt_volume(usd("4643")) == "4643"
    assert fmt_volume(usd("4643.999999")) == "4643.99"
    assert fmt_volume(0) == "0"


def test_user_rate_limit_reports_cum_volume_like_the_venue():
    """The venue's example: cumVlm "2854574.593578", cap 10,000 + 2,854,574."""
    rl, _ = limits()
    rl.count_address(ALICE, 2_890)
    assert rl.address_usage(ALICE, usd("2854574.593578")) == {
        "cumVlm": "2854574.593578", "nRequestsUsed": 2_890, "nRequestsCap": 2_864_574,
        "nRequestsSurplus": 0,
    }  # fmt: skip
    assert rl.address_usage(BOB, 0)["nRequestsUsed"] == 0


# -- websocket per IP ----------------------------------------------------------------------


def test_ten_open_connections_per_ip():
    """The 11th connection is refused; closing one lets the next in."""
    rl, _ = limits()
    assert all(rl.ws_connect(IP) is None for _ in range(10))
    assert rl.ws_connect(IP) == "Cannot open more than 10 websocket connections."
    assert rl.ws_connect(OTHER_IP) is None
    rl.ws_disconnect(IP)
    assert rl.ws_connect(IP) is None
    assert rl.ws_usage(IP)["connections"] == 10
    rl.validate()


def test_thirty_new_connections_per_rolling_minute():
    """A client reconnecting in a loop opens 30 connections in its first 29 s; the 31st is
    refused until a minute after the first (t + 60,000 ms, not a ms before), and a refused
    attempt does not count."""
    rl, clock = limits()
    for _ in range(30):
        assert rl.ws_connect(IP) is None
        rl.ws_disconnect(IP)
        clock.advance(1_000)
    clock.advance(60_000 - 30_000 - 1)  # t + 59,999
    assert rl.ws_connect(IP) == "Cannot open more than 30 new websocket connections per minute."
    clock.advance(1)  # t + 60,000: the first has left the window
    assert rl.ws_connect(IP) is None
    assert rl.ws_connect(IP) is not None  # the second left at t + 61,000
    clock.advance(1_000)
    assert rl.ws_connect(IP) is None
    rl.validate()


def test_a_thousand_subscriptions_across_an_ips_connections():
    """Two connections from one IP share the 1000; unsubscribing frees a slot."""
    rl, _ = limits()
    rl.ws_connect(IP)
    rl.ws_connect(IP)
    assert all(rl.ws_subscribe(IP, None) is None for _ in range(1_000))
    assert rl.ws_subscribe(IP, None) == "Cannot subscribe to more than 1000 channels."
    rl.ws_unsubscribe(IP, None)
    assert rl.ws_subscribe(IP, None) is None
    rl.validate()


def test_unique_users_are_counted_once_and_freed_with_their_last_subscription():
    """Ten users tracked, Alice through two subscriptions. An eleventh user is refused, a
    third subscription for Alice is not. Alice frees her slot only when her last one goes,
    and a connection's close releases the subscriptions it held."""
    rl, _ = limits()
    rl.ws_connect(IP)
    users = [ALICE] + [f"0x{i:040x}" for i in range(1, 10)]
    assert all(rl.ws_subscribe(IP, user) is None for user in users)
    assert rl.ws_subscribe(IP, ALICE) is None  # orderUpdates after userFills: still 10 users
    assert rl.ws_subscribe(IP, BOB) == "Cannot track more than 10 total users."
    assert rl.ws_subscribe(IP, ALICE) is None
    assert rl.ws_subscribe(IP, None) is None  # market data tracks nobody
    rl.ws_unsubscribe(IP, ALICE)
    rl.ws_unsubscribe(IP, ALICE)
    assert rl.ws_subscribe(IP, BOB) is not None, "Alice still has one subscription"
    rl.ws_unsubscribe(IP, ALICE)
    assert rl.ws_subscribe(IP, BOB) is None
    assert rl.ws_usage(IP) == {"connections": 1, "subscriptions": 11, "users": 10,
                               "pendingPosts": 0}  # fmt: skip
    rl.ws_disconnect(IP, [BOB, None, *users[1:]])
    assert rl.ws_usage(IP) == {"connections": 0, "subscriptions": 0, "users": 0,
                               "pendingPosts": 0}  # fmt: skip
    rl.validate()


def test_two_thousand_messages_per_rolling_minute():
    """2000 messages in the first second pass; the 2001st is refused until the first one is
    a minute old."""
    rl, clock = limits()
    assert all(rl.ws_message(IP) is None for _ in range(2_000))
    assert rl.ws_message(IP) == "Cannot send more than 2000 messages per minute."
    clock.advance(59_999)
    assert rl.ws_message(IP) is not None
    clock.advance(1)
    assert rl.ws_message(IP) is None
    rl.validate()


def test_a_hundred_posts_in_flight():
    rl, _ = limits()
    assert all(rl.post_begin(IP, i) is None for i in range(100))
    assert rl.post_begin(IP, 1234) == "too many pending post requests id=1234"
    rl.post_end(IP)
    assert rl.post_begin(IP, 1235) is None
    rl.ws_connect(IP)
    rl.ws_disconnect(IP, pending_posts=100)
    assert rl.ws_usage(IP)["pendingPosts"] == 0


def test_unpaired_releases_are_bugs_and_raise():
    rl, _ = limits()
    rl.ws_connect(IP)
    with pytest.raises(ValueError):
        rl.ws_unsubscribe(IP, None)
    with pytest.raises(ValueError):
        rl.post_end(IP)


# -- switches: disabled, waived ------------------------------------------------------------


def test_disabled_limits_count_everything_and_refuse_nothing():
    """With `enabled=False` a flood passes everywhere, but userRateLimit still reports the
    real count, and switching enforcement on finds the connections and users still open."""
    rl, _ = limits(enabled=False)
    assert all(rl.charge_ip(IP, 1_000) for _ in range(10))
    rl.charge_extra(IP, 5_000)
    assert rl.ip_available(IP) == 1_200
    assert all(rl.check_address(ALICE, 200, False, 0) is None for _ in range(100))
    assert rl.address_usage(ALICE, 0)["nRequestsUsed"] == 20_000
    assert all(rl.ws_connect(IP) is None for _ in range(40))
    assert all(rl.ws_subscribe(IP, f"0x{i:040x}") is None for i in range(20))
    assert all(rl.ws_message(IP) is None for _ in range(3_000))
    assert all(rl.post_begin(IP, i) is None for i in range(150))
    rl.enabled = True
    assert rl.ws_connect(IP) is not None
    assert rl.ws_subscribe(IP, BOB) == "Cannot track more than 10 total users."
    assert rl.check_address(ALICE, 1, False, 0) is not None
    rl.validate()


def test_a_waived_address_is_counted_but_never_refused():
    rl, clock = limits()
    rl.waive_address(ALICE.upper().replace("0X", "0x"))
    rl.count_address(ALICE, 10_000)
    rl.count_address(BOB, 10_000)
    clock.advance(1)
    assert rl.check_address(ALICE, 1, False, 0) is None
    assert rl.check_address(BOB, 1, False, 0) is not None
    assert rl.address_usage(ALICE, 0)["nRequestsUsed"] == 10_001
    rl.waive_address(ALICE, waived=False)
    assert rl.check_address(ALICE, 1, False, 0) is not None


def test_a_waived_ip_is_exempt_from_every_ip_limit():
    rl, _ = limits()
    rl.waive_ip(IP)
    assert all(rl.charge_ip(IP, 1_200) for _ in range(3))
    assert all(rl.ws_connect(IP) is None for _ in range(50))
    assert all(rl.ws_message(IP) is None for _ in range(2_500))
    assert not rl.charge_ip(OTHER_IP, 1_201)
    rl.waive_ip(IP, waived=False)
    assert rl.ws_connect(IP) is not None


# -- state: snapshots, time going back, housekeeping ---------------------------------------


def test_the_address_state_pickles_and_restores():
    """A snapshot holds `addresses`; restoring it puts Alice's count and her 10 s wait back.
    The whole object pickles too when its clock does."""
    rl, clock = limits()
    rl.count_address(ALICE, 10_000)
    saved = pickle.dumps(rl.addresses)
    clock.advance(20_000)
    assert rl.check_address(ALICE, 1, False, 0) is None
    rl.addresses = pickle.loads(saved)
    assert isinstance(rl.addresses[ALICE], AddressCount)
    assert rl.address_usage(ALICE, 0)["nRequestsUsed"] == 10_000
    assert rl.check_address(ALICE, 1, False, 0) is None  # last allowed: 20 s ago
    assert rl.check_address(ALICE, 1, False, 0) is not None

    rl.charge_ip(IP, 1_000)
    copy = pickle.loads(pickle.dumps(rl))
    assert copy.address_usage(ALICE, 0) == rl.address_usage(ALICE, 0)
    assert copy.ip_available(IP) == 200
    assert copy.config == rl.config
    copy.validate()


def test_time_going_back_is_not_held_against_anyone():
    """A virtual-time snapshot restored sends the clock back 30 s: the bucket keeps its level
    and refills from there, the message window starts over."""
    rl, clock = limits()
    rl.charge_ip(IP, 1_200)
    assert all(rl.ws_message(IP) is None for _ in range(2_000))
    clock.advance(-30_000)
    assert rl.ip_available(IP) == 0
    clock.advance(50)
    assert rl.ip_available(IP) == 1
    assert rl.ws_message(IP) is None
    rl.validate()


def test_prune_forgets_ips_that_hold_nothing():
    """An IP with a full bucket and nothing open is forgotten; one still connected, or
    with a bucket refilling, is kept."""
    rl, clock = limits()
    rl.charge_ip(IP, 100)
    rl.ws_message(IP)
    rl.ws_connect(OTHER_IP)
    assert rl.prune() == 0
    clock.advance(60_000)
    assert rl.prune() == 2  # IP's bucket is full again and its message has left the window
    assert rl.ws_usage(OTHER_IP)["connections"] == 1
    rl.validate()


def test_the_config_rejects_nonsense():
    with pytest.raises(ValueError):
        RateLimitConfig(max_users=0)
    with pytest.raises(ValueError):
        RateLimitConfig(ip_weight_per_minute=-5)
