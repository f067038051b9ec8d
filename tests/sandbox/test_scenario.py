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


# -- the dry run's tables: basis, makers' grids, flow, your bots ---------------------------------

DRY = """
name = "dry"
seed = 9
[exchange]
mark_rule = "oracle"
[markets.BTC]
price = "60000"
basis_bps = 1.5
basis_sd_bps = 3
basis_halflife = "30m"
[markets.ETH]
price = "3000"
[[makers]]
name = "grid"
coins = ["BTC"]
levels = 7
spread_bps = 2
step_bps = 4
level_usdc = "25000.5"
growth_pct = 15
requote = "500ms"
requote_bps = 1.5
capital = "2000000"
[[makers]]
name = "plain"
[[flow]]
name = "takers"
coins = ["ETH"]
trades_per_minute = 2.5
order_usdc = "750"
traders = 4
leverage = 3
usdc = "1000"
[[bots]]
kind = "whale"
name = "whale"
count = 3
leverage = [5, 10]
notional = "20000"
[[bots]]
name = "mine"
cmd = "python -u 'my bot.py' --coin BTC"
usdc = "2500"
options = { coin = "BTC", levels = 3 }
[[bots]]
name = "yours"
class = "mybots.grid:GridBot"
options = { step = 2 }
"""


def test_the_basis_makers_and_flow_are_decoded_into_the_cores_units():
    s = parse(DRY)
    btc, eth = s.market("BTC"), s.market("ETH")
    assert (btc.basis_bps, btc.basis_sd_bps, btc.basis_halflife_ms) == (1.5, 3.0, 1_800_000)
    assert (eth.basis_bps, eth.basis_sd_bps, eth.basis_halflife_ms) == (0.0, 0.0, 4 * 3_600_000)
    grid, plain = s.makers
    assert grid.coins == ("BTC",) and plain.coins == ("BTC", "ETH")  # default: every market
    assert (grid.levels, grid.spread_bps, grid.step_bps, grid.growth_pct) == (7, 2, 4, 15)
    assert (grid.level_usdc, grid.capital) == (25_000_500_000, 2_000_000 * 10**6)
    assert (grid.requote_ms, grid.requote_bps) == (500, 1.5)
    assert (plain.levels, plain.growth_pct, plain.requote_ms, plain.requote_bps) == (5, 0, 1_000, 0)
    (flow,) = s.flows
    assert (flow.name, flow.coins, flow.trades_per_minute, flow.traders, flow.leverage) == (
        "takers", ("ETH",), 2.5, 4, 3)  # fmt: skip
    assert (flow.order_usdc, flow.usdc) == (750 * 10**6, 1_000 * 10**6)


def test_bots_are_a_kind_a_command_or_a_class():
    s = parse(DRY)
    assert [b.name for b in s.bots] == ["whale-1", "whale-2", "whale-3", "mine", "yours"]
    whales = s.bots[:3]
    assert [b.options["leverage"] for b in whales] == [5, 10, 5]  # cycled
    assert all(b.kind == "whale" and b.cmd is None and b.cls is None for b in whales)
    assert whales[0].options["notional"] == "20000" and whales[0].options["coin"] == "BTC"
    mine, yours = s.bots[3:]
    assert mine.cmd == ("python", "-u", "my bot.py", "--coin", "BTC")  # split as a shell would
    assert (mine.kind, mine.cls, mine.usdc) == (None, None, 2_500 * 10**6)
    assert mine.options == {"coin": "BTC", "levels": 3}  # its own options only
    assert (yours.cls, yours.options, yours.usdc) == ("mybots.grid:GridBot", {"step": 2},
                                                      10_000 * 10**6)  # fmt: skip
    assert set(s.wallets()) == {b.name for b in s.bots}


@pytest.mark.parametrize(
    ("bot", "expected"),
    [
        ('name = "x"', "give one of kind"),
        ('name = "x"\nkind = "whale"\ncmd = "python a.py"', "give one of kind"),
        ('name = "x"\ncmd = "python a.py"\nclass = "a:B"', "give one of kind"),
        ('name = "x"\nkind = "wizard"', "kind must be one of"),
        ('name = "x"\nclass = "just_a_module"', "class is module:Class"),
        ('name = "x"\ncmd = ""', "cmd is empty"),
        ('name = "x"\ncmd = "python \'unclosed"', "cmd: No closing quotation"),
        ('name = "x"\nkind = "whale"\ncount = 0', "count must be at least 1"),
        ('name = "x"\nkind = "whale"\ncoin = "DOGE"', "DOGE is not among the markets"),
        ('name = "whale-1"\ncmd = "python a.py"', "names of their own"),
    ],
)
def test_a_bot_that_does_not_make_sense_is_refused(bot, expected):
    text = DRY + f"[[bots]]\n{bot}\n"
    with pytest.raises(ScenarioError, match=expected):
        parse(text)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("basis_sd_bps = 3", "basis_sd_bps = -3"), "basis_sd_bps: must not be negative"),
        (('basis_halflife = "30m"', 'basis_halflife = "0s"'), "basis_halflife: must be more"),
        (("growth_pct = 15", "growth_pct = -1"), "growth_pct not negative"),
        (("requote_bps = 1.5", "requote_bps = -1"), "requote_bps must not be negative"),
        (('requote = "500ms"', 'requote = "0ms"'), "requote must be more than 0"),
        (("traders = 4", "traders = 0"), "traders and leverage at least 1"),
        (("trades_per_minute = 2.5", "trades_per_minute = -1"), "trades_per_minute not neg"),
        (('coins = ["ETH"]', 'coins = ["SOL"]'), "flow takers: SOL is not among the markets"),
        (('order_usdc = "750"', 'order_usdc = "lots"'), "order_usdc: not an amount"),
    ],
)
def test_dry_run_settings_that_do_not_make_sense_are_refused(change, expected):
    with pytest.raises(ScenarioError, match=expected):
        parse(DRY.replace(*change))


def test_overrides_change_the_seed_everywhere_and_the_policy():
    s = parse(DRY)
    other = s.with_overrides(seed=10, policy="binance")
    assert (other.seed, other.other_venues.seed, other.exchange.adl_policy) == (10, 10, "binance")
    assert other.wallets() != s.wallets()  # the wallets' keys follow the seed
    assert s.seed == 9 and s.exchange.adl_policy == "hyperliquid"  # the original is as it was
    with pytest.raises(ScenarioError, match="policy"):
        s.with_overrides(policy="coin toss")


def test_build_sets_up_the_basis_the_grid_makers_and_the_flow():
    venue = build(parse(DRY))
    ex = venue.exchange
    assert set(venue.oracle.bases) == {"BTC"}  # ETH has no basis
    grid, _ = venue.liquidity.makers
    assert (grid.levels, grid.growth_pct, grid.requote_ms, grid.requote_bps) == (7, 15, 500, 1.5)
    assert grid.level_usdc == 25_000  # whole USDC
    asks = venue.views.l2_book(ex.by_name["BTC"].asset).levels[1]
    assert len(asks) >= 7
    (flow,) = venue.flows
    assert flow.active and flow.coins == ("ETH",)
    for i, address in enumerate(flow.addresses, 1):
        assert venue.name(address) == f"takers-{i}"
        assert ex.accounts[address].raw == 1_000 * 10**6  # funded
    assert venue.name(grid.address) == "grid" and venue.name(s_wallet(venue, "mine")) == "mine"
    # every bot's wallet is funded, whatever its sort
    for name, usdc in (("whale-1", 10_000), ("mine", 2_500), ("yours", 10_000)):
        assert ex.accounts[s_wallet(venue, name)].raw == usdc * 10**6
    venue.advance(120_000)
    ex.validate()


def s_wallet(venue, name: str) -> str:
    return next(a for a, n in venue.names.items() if n == name)
