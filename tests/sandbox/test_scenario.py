"""Scenario files: what they may say, what is refused and why, and what `build` sets up."""

from __future__ import annotations

import pytest

from protocol import signing
from sandbox.core.units import parse_usdc
from sandbox.sim.build import build
from sandbox.sim.makers import maker_address
from sandbox.sim.scenario import ScenarioError, duration_ms, load, parse, wallet_key

SMALL = """
name = "small"
seed = 7
start = "2025-01-01T00:00:00Z"
[exchange]
vault_capital = "20000"
adl_policy = "pro_rata"
mark_rule = "oracle"
[markets.BTC]
price = "50000"
feed = "path"
path = [["hold", "10s"], ["gap", "45000"]]
[markets.ETH]
price = "2500"
[[makers]]
name = "mm1"
[[accounts]]
name = "alice"
usdc = "10000"
positions = [{ coin = "BTC", size = "0.5", leverage = 10 }, { coin = "ETH", size = "-2" }]
[[accounts]]
name = "bob"
usdc = "500"
[[events]]
at = "5s"
do = "pause"
coins = ["ETH"]
[[events]]
at = "6s"
do = "pull_liquidity"
[[events]]
at = "8s"
do = "adl"
account = "alice"
coin = "ETH"
sz = "1"
"""


def address(name: str, seed: int = 7) -> str:
    return signing.address_of(wallet_key(seed, name))


def test_durations():
    assert [duration_ms(d) for d in ("500ms", "90s", "6m", "1h", "1.5s", 250)] == [
        500, 90_000, 360_000, 3_600_000, 1_500, 250,
    ]  # fmt: skip
    for bad in ("5 parsecs", "-1s", "", -5, True):
        with pytest.raises(ScenarioError, match="not a duration"):
            duration_ms(bad)


def test_build_sets_up_accounts_positions_makers_and_the_vault():
    venue = build(parse(SMALL))
    ex = venue.exchange
    assert venue.virtual and venue.now() == 1_735_689_600_000
    assert (ex.config.vault_capital, ex.config.adl_policy) == (parse_usdc("20000"), "pro_rata")
    alice = ex.accounts[address("alice")]
    btc, eth = ex.by_name["BTC"], ex.by_name["ETH"]
    assert alice.positions[btc.asset].size == btc.units.parse_sz("0.5")
    assert alice.positions[eth.asset].size == -eth.units.parse_sz("2")
    assert alice.leverage[btc.asset] == 10
    # opened at the price, against the first market maker, who quotes around it
    assert alice.positions[btc.asset].entry_ntl == btc.units.parse_px("50000") * btc.units.parse_sz(
        "0.5"
    )
    maker = ex.accounts[maker_address("mm1")]
    assert maker.positions[btc.asset].size == -btc.units.parse_sz("0.5")
    assert ex.books[btc.asset].best_bid() is not None
    assert address("bob") in ex.accounts
    ex.validate()


def test_events_and_the_price_path_run_on_the_virtual_clock():
    venue = build(parse(SMALL))
    ex = venue.exchange
    eth = ex.by_name["ETH"].asset
    venue.advance(5_000)
    assert ex.halted == {eth}
    assert venue.liquidity.active
    venue.advance(1_000)
    assert not venue.liquidity.active
    venue.advance(2_000)  # the forced ADL of 1 ETH of Alice's short
    assert ex.accounts[address("alice")].positions[eth].size == -ex.by_name["ETH"].units.parse_sz(
        "1"
    )
    venue.advance(4_000)  # the gap at 10 s, seen at the next oracle post (every 3 s): 12 s
    assert ex.oracles[ex.by_name["BTC"].asset] == ex.by_name["BTC"].units.parse_px("45000")
    ex.validate()


def test_the_same_scenario_and_seed_build_the_same_venue_and_another_seed_does_not():
    a, b = build(parse(SMALL)), build(parse(SMALL))
    a.advance(30_000)
    b.advance(30_000)
    assert a.exchange.state_hash() == b.exchange.state_hash()
    c = build(parse(SMALL, seed=8))
    c.advance(30_000)
    assert c.exchange.state_hash() != a.exchange.state_hash()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("[markets.BTC]", "[markets.DOGE]"), "markets.DOGE: no such coin"),
        (('feed = "path"', 'feed = "wobble"'), "constant, walk, path or replay"),
        (('price = "50000"', 'price = "-1"'), "must be positive"),
        (('adl_policy = "pro_rata"', 'adl_policy = "random"'), "adl_policy must be one of"),
        (('vault_capital = "20000"', 'vault_kapital = "1"'), "exchange.vault_kapital: not a"),
        (('vault_capital = "20000"', 'vault_capital = "lots"'), "not an amount of USDC"),
        (('do = "pause"', 'do = "explode"'), "do must be one of"),
        (('account = "alice"', 'account = "carol"'), "needs the name of an account or bot"),
        (('name = "mm1"', 'name = "mm1"\ncolour = "red"'), "unknown field `colour`"),
        (('at = "5s"', 'at = "soon"'), "not a duration"),
        (('size = "0.5"', 'size = "half"'), "size 'half' is not a size"),
        (("seed = 7", 'seed = "seven"'), "Expected `int`"),
        (('["gap", "45000"]', '["jump", "45000"]'), "segments are hold, ramp or gap"),
    ],
)
def test_a_scenario_that_does_not_make_sense_is_refused_with_where_and_why(change, expected):
    text = SMALL.replace(*change)
    with pytest.raises(ScenarioError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        build(parse(text))


def test_positions_need_a_market_maker_to_open_against():
    text = SMALL.replace('[[makers]]\nname = "mm1"\n', "").replace(
        'do = "pull_liquidity"', 'do = "note"'
    )
    with pytest.raises(ScenarioError, match="the scenario has none"):
        parse(text)


def test_not_toml_and_missing_files():
    with pytest.raises(ScenarioError, match="<string>"):
        parse("name = ")
    with pytest.raises(ScenarioError, match=r"no scenario 'nowhere\.toml'"):
        load("nowhere.toml")


def test_the_built_in_scenarios_load_and_build():
    for name in ("calm", "cascade"):
        scenario = load(name)
        assert scenario.description
        venue = build(scenario)
        venue.advance(5_000)
        venue.exchange.validate()


def test_a_snapshot_taken_mid_scenario_replays_the_same_future():
    venue = build(parse(SMALL))
    venue.advance(4_000)
    snapshot = venue.snapshot(1)
    venue.advance(20_000)  # the pause, the pull, the ADL and the gap happen
    after = venue.exchange.state_hash()
    venue.restore(snapshot)
    assert venue.exchange.state_hash() == snapshot.state_hash and venue.now() == snapshot.time
    assert venue.liquidity.active and not venue.exchange.halted
    venue.advance(20_000)
    assert venue.exchange.state_hash() == after


def test_a_scenario_builds_on_a_base(tmp_path):
    """`base`: the base's markets, makers and flow, this file's tables merged in, its bots
    and events added, its scalars replacing the base's."""
    (tmp_path / "mine.toml").write_text(
        'name = "mine"\nbase = "calm"\nduration = "2h"\n'
        '[markets.BTC]\nprice = "50000"\nfeed = "constant"\n'
        '[exchange]\nadl_policy = "pro_rata"\n'
        '[[bots]]\nname = "me"\ncmd = "python mybot.py"\nusdc = "1000"\n'
        '[[events]]\nat = "1h"\ndo = "shock"\ncoin = "ETH"\npct = -5\nover = "10m"\n'
    )
    calm, mine = load("calm"), load(str(tmp_path / "mine.toml"))
    assert (mine.name, mine.duration_ms, mine.start_ms) == ("mine", 7_200_000, calm.start_ms)
    assert [m.coin for m in mine.markets] == [m.coin for m in calm.markets]  # all 22, in order
    btc = mine.market("BTC")
    assert (btc.price, btc.feed, btc.basis_sd_bps) == (50_000.0, "constant", 0.0)  # replaced
    assert mine.market("ETH") == calm.market("ETH")
    assert mine.makers == calm.makers and mine.flows == calm.flows
    assert mine.exchange.adl_policy == "pro_rata"
    assert mine.exchange.instruments == calm.exchange.instruments  # the base's universe
    assert [b.name for b in mine.bots] == ["me"] and mine.bots[0].cmd == ("python", "mybot.py")
    assert [e.describe() for e in mine.events] == ["ETH is shocked -5% over 10 min"]
    crash = load("crash")  # a built-in on a built-in: calm's market, its own bots and events
    assert crash.makers == calm.makers and len(crash.bots) == 11 and crash.events


def test_a_base_that_is_not_there_is_refused(tmp_path):
    (tmp_path / "a.toml").write_text('name = "a"\nbase = "nowhere.toml"\n[markets.BTC]\nprice = "1"\n')
    with pytest.raises(ScenarioError, match=r"base: no scenario 'nowhere\.toml'"):
        load(str(tmp_path / "a.toml"))
    (tmp_path / "b.toml").write_text('name = "b"\nbase = "b.toml"\n')  # itself, forever
    with pytest.raises(ScenarioError, match="at most 4 deep"):
        load(str(tmp_path / "b.toml"))
