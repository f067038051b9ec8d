"""Every /exchange action of the venue that has a published example response is performed on a
real sandbox, signed as the official SDK signs it (its own methods where it has one), and the
answer is compared field by field with the venue's example of the same outcome (a resting,
filled or refused order; a successful or failed cancel; ...): one test per action.

The test of an action fails when the answer differs from the venue's shape. It passes when the
answer has the venue's shape; or, for the actions of features the sandbox does not model
(TWAP, vaults, staking, spot and HIP-3 transfers, abstraction modes, outcomes:
NOT_MODELLED), when it refuses them clearly, with HTTP 200 and `{"status": "err",
"response": "<text>"}`; an HTTP 422 for those is not a clear refusal and fails.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hyperliquid.utils.signing import get_timestamp_ms
from hyperliquid.utils.types import Cloid

from tests.conformance.venue_examples import EXAMPLES, items
from tests.conformance.verdict import Answers, acceptable, judge
from tests.conformance.world import GTC, Outcome, Reply, Trader, World, statuses

NOT_MODELLED = frozenset({
    "vaultTransfer", "createVault", "sendAsset", "agentSendAsset",
    "sendToEvmWithData", "hip3LiquidatorTransfer", "cDeposit", "cWithdraw", "tokenDelegate",
    "reserveRequestWeight", "userDexAbstraction", "agentEnableDexAbstraction",
    "userSetAbstraction", "agentSetAbstraction", "userOutcome",
})  # fmt: skip
USDC_TOKEN = "USDC:0x6d1e7cde53ba9467b783cb7c530ce054"
VALIDATOR = "0x5ac99df645f3414876c816caa18b2d234024b487"  # from the docs' delegations example

Perform = Callable[[World, str], Reply | None]


def _resting_oid(trader: Trader, px: float = 2000.0, cloid: Cloid | None = None) -> int:
    (status,) = statuses(trader.exchange.order("ETH", True, 0.5, px, GTC, cloid=cloid),
                         "a resting ETH bid")  # fmt: skip
    return status["resting"]["oid"]


def _order(world: World, variant: str) -> Reply:
    ex = world.trader().exchange
    if variant == "resting":
        return ex.order("ETH", True, 0.5, 2000.0, GTC)
    if variant == "filled":
        return ex.market_open("SOL", True, 1.0)
    return ex.order("ETH", True, 0.001, 2000.0, GTC)  # under the $10 minimum


def _cancel(world: World, variant: str) -> Reply:
    trader = world.trader()
    oid = _resting_oid(trader)
    first = trader.exchange.cancel("ETH", oid)
    return first if variant == "success" else trader.exchange.cancel("ETH", oid)


def _cancel_by_cloid(world: World, variant: str) -> Reply:
    trader, cloid = world.trader(), Cloid.from_int(0xC10D)
    _resting_oid(trader, cloid=cloid)
    return trader.exchange.cancel_by_cloid("ETH", cloid)


def _batch_modify(world: World, variant: str) -> Reply:
    trader = world.trader()
    oid = _resting_oid(trader)
    px = 2100.0 if variant == "resting" else 3100.0  # 3100 crosses the maker's asks
    return trader.exchange.bulk_modify_orders_new([{"oid": oid, "order": {
        "coin": "ETH", "is_buy": True, "sz": 0.5, "limit_px": px, "order_type": GTC,
        "reduce_only": False}}])  # fmt: skip


def _schedule_cancel(world: World, variant: str) -> Reply:
    trader = world.trader()  # a new account: it has traded nothing
    _resting_oid(trader)
    return trader.exchange.schedule_cancel(world.sandbox.now() + 60_000)


def _isolated_margin(world: World, variant: str) -> Reply:
    ex = world.trader().exchange
    ex.update_leverage(10, "ETH", is_cross=False)
    statuses(ex.market_open("ETH", True, 0.5), "an isolated ETH long")
    return ex.update_isolated_margin(5.0, "ETH")


def _spot_send(world: World, variant: str) -> Reply:
    ex = world.trader().exchange
    ex.usd_class_transfer(2.0, False)
    return ex.spot_transfer(1.0, world.bob.address, USDC_TOKEN)


def _user_signed(primary: str, fields: list[tuple[str, str]], action: dict) -> Perform:
    """An action signed as the venue's user-signed `primary` type, posted by a new trader."""
    from hyperliquid.utils.signing import sign_user_signed_action

    def perform(world: World, variant: str) -> Reply:
        ex = world.trader().exchange
        nonce = get_timestamp_ms()
        body = {**action, "nonce": nonce, "signatureChainId": "0x66eee",
                "hyperliquidChain": "Testnet"}  # fmt: skip
        types = [{"name": "hyperliquidChain", "type": "string"}]
        types += [{"name": n, "type": t} for n, t in fields]
        signature = sign_user_signed_action(ex.wallet, body, types, primary, False)
        return ex._post_action(body, signature, nonce)

    return perform


def _l1(action: dict) -> Perform:
    return lambda world, variant: world.trader().exchange.l1(dict(action))


def _sdk(call: Callable) -> Perform:
    return lambda world, variant: call(world, world.trader().exchange)


def _twap(world: World, variant: str) -> Reply:
    minutes = 30 if variant == "running" else 1
    twap = {"a": 0, "b": True, "s": "0.01", "r": False, "m": minutes, "t": False}
    return world.trader().exchange.l1({"type": "twapOrder", "twap": twap})


def _twap_cancel(world: World, variant: str) -> Reply:
    """Cancel a running TWAP (placed first), or one that was never placed."""
    ex, twap_id = world.trader().exchange, 987_654_321
    if variant == "success":
        twap = {"a": 0, "b": True, "s": "0.01", "r": False, "m": 30, "t": False}
        placed = ex.l1({"type": "twapOrder", "twap": twap}).body
        status = placed.get("response", {}) if isinstance(placed, dict) else {}
        running = status.get("data", {}).get("status", {}) if isinstance(status, dict) else {}
        twap_id = running.get("running", {}).get("twapId", twap_id)
    return ex.l1({"type": "twapCancel", "a": 0, "t": twap_id})


PERFORM: dict[str, Perform] = {
    "order": _order,
    "cancel": _cancel,
    "cancelByCloid": _cancel_by_cloid,
    "batchModify": _batch_modify,
    "scheduleCancel": _schedule_cancel,
    "updateLeverage": _sdk(lambda w, ex: ex.update_leverage(5, "BTC")),
    "updateIsolatedMargin": _isolated_margin,
    "usdSend": _sdk(lambda w, ex: ex.usd_transfer(1.0, w.bob.address)),
    "spotSend": _spot_send,
    "withdraw3": _sdk(lambda w, ex: ex.withdraw_from_bridge(2.0, w.bob.address)),
    "usdClassTransfer": _sdk(lambda w, ex: ex.usd_class_transfer(1.0, False)),
    "approveAgent": _sdk(lambda w, ex: ex.approve_agent("conformance")[0]),
    "approveBuilderFee": _sdk(lambda w, ex: ex.approve_builder_fee(w.bob.address, "0.001%")),
    "noop": _sdk(lambda w, ex: ex.noop(get_timestamp_ms())),
    "sendAsset": _sdk(lambda w, ex: ex.send_asset(w.bob.address, "", "spot", USDC_TOKEN, 1.0)),
    "agentSendAsset": _l1(
        {
            "type": "agentSendAsset",
            "destination": "",
            "sourceDex": "",
            "destinationDex": "spot",
            "token": USDC_TOKEN,
            "amount": "1",
            "fromSubAccount": "",
        }
    ),
    "sendToEvmWithData": _l1(
        {
            "type": "sendToEvmWithData",
            "token": USDC_TOKEN,
            "amount": "1",
            "sourceDex": "",
            "destinationRecipient": VALIDATOR,
            "addressEncoding": "hex",
            "destinationChainId": 1,
            "gasLimit": 100000,
            "data": "0x",
        }
    ),
    "cDeposit": _user_signed(
        "HyperliquidTransaction:CDeposit",
        [("wei", "uint64"), ("nonce", "uint64")],
        {"type": "cDeposit", "wei": 100000000},
    ),
    "cWithdraw": _user_signed(
        "HyperliquidTransaction:CWithdraw",
        [("wei", "uint64"), ("nonce", "uint64")],
        {"type": "cWithdraw", "wei": 100000000},
    ),
    "tokenDelegate": _sdk(lambda w, ex: ex.token_delegate(VALIDATOR, 100000000, False)),
    "vaultTransfer": _sdk(lambda w, ex: ex.vault_usd_transfer(w.bob.address, True, 1_000_000)),
    "hip3LiquidatorTransfer": _l1(
        {"type": "hip3LiquidatorTransfer", "dex": "xyz", "ntl": 1_000_000_000, "isDeposit": True}
    ),
    "reserveRequestWeight": _l1({"type": "reserveRequestWeight", "weight": 1}),
    "userDexAbstraction": _sdk(lambda w, ex: ex.user_dex_abstraction(ex.wallet.address, True)),
    "agentEnableDexAbstraction": _sdk(lambda w, ex: ex.agent_enable_dex_abstraction()),
    "userSetAbstraction": _sdk(
        lambda w, ex: ex.user_set_abstraction(ex.wallet.address, "unifiedAccount")
    ),
    "agentSetAbstraction": _sdk(lambda w, ex: ex.agent_set_abstraction("u")),
    "userOutcome": _l1({"type": "userOutcome", "splitOutcome": {"outcome": 1, "amount": "1.0"}}),
    "twapOrder": _twap,
    "twapCancel": _twap_cancel,
    "createVault": _l1(
        {
            "type": "createVault",
            "name": "conformance",
            "description": "a vault of the conformance suite",
            "initialUsd": 100_000_000,
        }
    ),
}


def _refusal(reply: Reply) -> tuple[str, bool] | None:
    """(text, clear) when the sandbox refused the action as a whole, else None."""
    body = reply.body
    if reply.status != 200:
        return f"HTTP {reply.status}: {str(body)[:160]}", False
    if isinstance(body, dict) and body.get("status") == "err":
        return f"{{'status': 'err', 'response': {body.get('response')!r}}}", isinstance(
            body.get("response"), str
        )
    return None


def check(world: World, name: str) -> Outcome:
    """Perform every variant of action `name` on the sandbox and judge the answers."""
    answers = Answers()
    for example in (e for e in EXAMPLES["exchange"][name] if e.has_example):
        reply = PERFORM[name](world, example.variant)
        refused = _refusal(reply)
        if refused is not None and example.response.get("status") == "ok":
            answers.refusal, answers.refusal_is_clear = refused
            return judge("exchange", name, answers)
        answers.add(example.variant, reply.body)
    return judge("exchange", name, answers)


def test_every_action_with_an_example_is_performed():
    assert set(items("exchange")) == set(PERFORM)


@pytest.mark.parametrize("name", items("exchange"))
def test_exchange(world, name):
    outcome = check(world, name)
    passed = acceptable(outcome, refusable=name in NOT_MODELLED)
    assert passed, outcome.report()
