"""A served sandbox in a state where every venue item has content, and the clients the
conformance checks talk to it with, over real sockets.

`build_world()` starts `sandbox.testing.Sandbox` (virtual time, a market maker quoting every
coin) and plays, through the official SDK's signing and plain HTTP:

- alice: a cross BTC long (market order), a resting ETH bid with a cloid, a reduce-only BTC
  stop, a SOL bid with a take-profit and a stop-loss waiting for it (normalTpsl), a canceled
  order, an hour of funding, ledger entries (deposit, spot <-> perp, a USDC send, a
  withdrawal, a sub-account and a transfer to it), an API wallet, a builder approval and a
  referrer;
- dave: an isolated ETH long with margin added;
- carol: a BTC long and a resting bid, liquidated into the book from the control plane
  (liquidation fills, the `liquidation` ledger entry, `nonUserCancel`);
- erin: an ETH short in profit, auto-deleveraged from the control plane;
- bob: a 5-minute BTC TWAP that finished and a 7-day ETH TWAP still running, and a
  kPEPE long, after which kPEPE's open interest is capped (it is at its cap).

`Reply` is what the server answered (HTTP status and body) and `Outcome` the verdict of one
venue item, shared by the tests and by table.py.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import eth_account
import requests
from hyperliquid.exchange import Exchange
from hyperliquid.utils.signing import get_timestamp_ms, sign_l1_action
from hyperliquid.utils.types import Cloid

from sandbox.testing import Sandbox

UNREADABLE = "Failed to deserialize the JSON body into the target type"
ALICE_CLOID = Cloid.from_int(0xA11CE)
GTC = {"limit": {"tif": "Gtc"}}
IOC = {"limit": {"tif": "Ioc"}}

# statuses of an item, as table.py prints them
IN_SHAPE, DIFFERS, REFUSED, EMPTY, NO_EXAMPLE = (
    "served-in-shape", "differs", "refused", "empty", "no example",
)  # fmt: skip


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any  # decoded JSON, or the text when it is not JSON


def _reply(response: requests.Response) -> Reply:
    try:
        return Reply(response.status_code, response.json())
    except ValueError:
        return Reply(response.status_code, response.text)


class RawExchange(Exchange):
    """The official SDK's Exchange, answering every action with the server's `Reply` (the
    SDK would raise on HTTP 4xx and hide the status)."""

    def post(self, url_path: str, payload: Any = None) -> Reply:
        return _reply(self.session.post(self.base_url + url_path, json=payload or {}, timeout=30))

    def l1(self, action: dict) -> Reply:
        """Sign `action` as an L1 action (phantom agent) and post it."""
        nonce = get_timestamp_ms()
        signature = sign_l1_action(self.wallet, action, self.vault_address, nonce,
                                   self.expires_after, self.base_url == "https://api.hyperliquid.xyz")  # fmt: skip
        return self._post_action(action, signature, nonce)


@dataclass
class Trader:
    address: str
    key: str
    exchange: RawExchange

    @classmethod
    def funded(cls, sandbox: Sandbox, usdc: str = "100000") -> Trader:
        wallet = sandbox.wallet(usdc)
        account = eth_account.Account.from_key(wallet.key)
        return cls(wallet.address, wallet.key, RawExchange(account, sandbox.url))


@dataclass
class World:
    sandbox: Sandbox
    alice: Trader
    bob: Trader
    carol: Trader
    dave: Trader
    erin: Trader
    agent: str = ""
    sub_account: str = ""
    resting_oid: int = 0
    stranger: str = field(default_factory=lambda: "0x" + secrets.token_hex(20))

    @property
    def url(self) -> str:
        return self.sandbox.url

    def info(self, body: dict) -> Reply:
        return _reply(requests.post(self.url + "/info", json=body, timeout=30))

    def trader(self, usdc: str = "100000") -> Trader:
        return Trader.funded(self.sandbox, usdc)


@dataclass
class Outcome:
    """The verdict of one venue item: its status, the differences that make it `differs`
    (or the refusal), and notes (what could not be verified)."""

    kind: str
    name: str
    source: str
    status: str = IN_SHAPE
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def report(self) -> str:
        lines = [f"{self.kind} {self.name}: {self.status} (venue example: {self.source})"]
        lines += [f"  - {d}" for d in self.differences]
        lines += [f"  (note) {n}" for n in self.notes]
        return "\n".join(lines)


def expect_ok(reply: Reply, what: str) -> Any:
    """The `response` of an accepted action; fails the setup loudly otherwise."""
    body = reply.body
    if reply.status != 200 or not isinstance(body, dict) or body.get("status") != "ok":
        raise AssertionError(f"setup step {what!r} failed: HTTP {reply.status} {body!r}")
    return body["response"]


def statuses(reply: Reply, what: str) -> list:
    return expect_ok(reply, what)["data"]["statuses"]


# -- building the world ----------------------------------------------------------------------


def build_world() -> World:
    sandbox = Sandbox().start()
    try:
        world = World(sandbox, *(Trader.funded(sandbox) for _ in range(2)),
                      Trader.funded(sandbox, "3000"), *(Trader.funded(sandbox) for _ in range(2)))  # fmt: skip
        _trade_alice(world)
        _move_alice_funds(world)
        _isolated_dave(world)
        _twap_bob(world, "BTC", "0.01", 5)  # finishes within the hour
        sandbox.advance(3_600_000)  # an hour: funding on every open position
        _liquidate_carol(world)
        _deleverage_erin(world)
        _twap_bob(world, "ETH", "1", 7 * 24 * 60)  # runs on during the checks
        _cap_kpepe(world)
        sandbox.advance(60_000)  # publish the candles of the last minute
    except BaseException:
        sandbox.stop()
        raise
    return world


def _trade_alice(world: World) -> None:
    ex = world.alice.exchange
    statuses(ex.market_open("BTC", True, 0.1), "alice buys BTC")
    (resting,) = statuses(ex.order("ETH", True, 1.0, 2500.0, GTC, cloid=ALICE_CLOID),
                          "alice rests an ETH bid")  # fmt: skip
    world.resting_oid = resting["resting"]["oid"]
    stop = {"trigger": {"triggerPx": 50000.0, "isMarket": True, "tpsl": "sl"}}
    statuses(ex.order("BTC", False, 0.1, 45000.0, stop, reduce_only=True), "alice's stop")
    statuses(ex.bulk_orders([
        {"coin": "SOL", "is_buy": True, "sz": 10.0, "limit_px": 140.0, "order_type": GTC,
         "reduce_only": False},
        {"coin": "SOL", "is_buy": False, "sz": 10.0, "limit_px": 170.0, "reduce_only": True,
         "order_type": {"trigger": {"triggerPx": 170.0, "isMarket": False, "tpsl": "tp"}}},
        {"coin": "SOL", "is_buy": False, "sz": 10.0, "limit_px": 120.0, "reduce_only": True,
         "order_type": {"trigger": {"triggerPx": 130.0, "isMarket": True, "tpsl": "sl"}}},
    ], grouping="normalTpsl"), "alice's SOL bid with TP/SL")  # fmt: skip
    (gone,) = statuses(ex.order("ETH", True, 0.5, 2400.0, GTC), "alice's order to cancel")
    statuses(ex.cancel("ETH", gone["resting"]["oid"]), "alice cancels")


def _move_alice_funds(world: World) -> None:
    ex, bob = world.alice.exchange, world.bob.address
    reply, agent_key = ex.approve_agent("conformance")
    expect_ok(reply, "alice approves an agent")
    world.agent = eth_account.Account.from_key(agent_key).address.lower()
    expect_ok(ex.approve_builder_fee(bob, "0.01%"), "alice approves bob as builder")
    expect_ok(ex.set_referrer("CONFORMANCE"), "alice sets a referrer")
    created = expect_ok(ex.create_sub_account("conformance"), "alice creates a sub-account")
    world.sub_account = created["data"]
    expect_ok(ex.sub_account_transfer(world.sub_account, True, 1_000_000), "to the sub-account")
    expect_ok(ex.usd_class_transfer(10.0, False), "alice moves 10 USDC to spot")
    expect_ok(ex.usd_class_transfer(5.0, True), "alice moves 5 USDC back to perps")
    expect_ok(ex.usd_transfer(5.0, bob), "alice sends 5 USDC to bob")
    expect_ok(ex.withdraw_from_bridge(5.0, world.alice.address), "alice withdraws 5 USDC")


def _isolated_dave(world: World) -> None:
    ex = world.dave.exchange
    expect_ok(ex.update_leverage(10, "ETH", is_cross=False), "dave goes isolated on ETH")
    statuses(ex.market_open("ETH", True, 1.0), "dave buys ETH")
    expect_ok(ex.update_isolated_margin(50.0, "ETH"), "dave adds margin")


def _liquidate_carol(world: World) -> None:
    ex = world.carol.exchange
    statuses(ex.market_open("BTC", True, 0.5), "carol buys BTC")
    statuses(ex.order("BTC", True, 0.01, 50000.0, GTC), "carol rests a bid")
    world.sandbox.liquidate(world.carol.address, "BTC")


def _deleverage_erin(world: World) -> None:
    statuses(world.erin.exchange.market_open("ETH", False, 1.0), "erin sells ETH")
    world.sandbox.set_price("ETH", "2900")
    world.sandbox.adl(world.erin.address, "ETH")
    world.sandbox.set_price("ETH", "3000")


def _twap_bob(world: World, coin: str, sz: str, minutes: int) -> None:
    asset = {"BTC": 0, "ETH": 1}[coin]
    twap = {"a": asset, "b": True, "s": sz, "r": False, "m": minutes, "t": False}
    answer = expect_ok(world.bob.exchange.l1({"type": "twapOrder", "twap": twap}), "bob's TWAP")
    assert "running" in answer["data"]["status"], answer


def _cap_kpepe(world: World) -> None:
    statuses(world.bob.exchange.market_open("kPEPE", True, 10_000.0), "bob buys kPEPE")
    assert world.sandbox.set_oi_cap("kPEPE", "100")["atCap"]


__all__ = ["Outcome", "RawExchange", "Reply", "Trader", "World", "build_world"]
