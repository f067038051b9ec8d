"""The bots client against a served sandbox, over real sockets: every event type arrives
typed, actions are signed and answered, and a dropped socket is reconnected."""

from __future__ import annotations

import asyncio

import pytest

from bots import events as ev
from bots.client import Client, ClientError, wire_number

pytestmark = pytest.mark.adl_sandbox(makers=False)


async def drain(client: Client, sandbox, ms: int = 200) -> list:
    """Let `ms` of virtual time pass (blocks go out), then everything received."""
    if ms:
        sandbox.advance(ms)
    await client.sync()
    return client.take()


def of(events: list, kind: type) -> list:
    return [e for e in events if type(e) is kind]


def test_wire_numbers():
    assert [wire_number(x) for x in ("60000.0", 0.10, "1e-5", "-0")] == ["60000", "0.1",
                                                                        "0.00001", "0"]  # fmt: skip


async def test_every_event_type_arrives_typed(adl_sandbox):
    alice, bob = adl_sandbox.wallet("100000"), adl_sandbox.wallet("100000")
    async with Client(adl_sandbox.url, alice.key) as a, Client(adl_sandbox.url, bob.key) as b:
        for sub in ({"type": "userEvents", "user": a.address},
                    {"type": "orderUpdates", "user": a.address},
                    {"type": "userFills", "user": a.address},
                    {"type": "notification", "user": a.address},
                    {"type": "l2Book", "coin": "ETH"}, {"type": "trades", "coin": "ETH"},
                    {"type": "allMids"}):  # fmt: skip
            await a.subscribe(sub)
        await drain(a, adl_sandbox, 0)

        resting = await b.order("ETH", False, "2", "3000")
        assert "resting" in resting
        await b.order("ETH", True, "1", "2990")
        events = await drain(a, adl_sandbox)
        book = of(events, ev.Book)[-1]
        assert book.coin == "ETH" and book.levels[1][0].px == "3000.0"
        assert of(events, ev.Mids)[-1].mids["ETH"] == "2995.0"
        filled = await a.order("ETH", True, "2", "3000", tif="Ioc", cloid="0x" + "ab" * 16)
        assert filled["filled"]["totalSz"] == "2.0"
        events = await drain(a, adl_sandbox)
        (fill,) = [f for f in of(events, ev.Fill) if not f.snapshot][:1]
        assert (fill.coin, fill.side, fill.dir, fill.sz) == ("ETH", "B", "Open Long", "2.0")
        assert not fill.is_adl and fill.cloid == "0x" + "ab" * 16
        assert of(events, ev.Trade)[0].px == "3000.0"
        assert of(events, ev.OrderUpdate)[0].status == "filled"

        await a.order("ETH", False, "0.5", "3500")  # to be cancelled by the liquidation
        adl_sandbox.liquidate(a.address, "ETH", stage="backstop")
        events = await drain(a, adl_sandbox)
        (liquidation,) = of(events, ev.LiquidationEvent)
        assert liquidation.liquidated_user == a.address
        assert of(events, ev.NonUserCancel)[0].coin == "ETH"
        (fill,) = [f for f in of(events, ev.Fill) if f.liquidated(a.address)][:1]
        # a backstop takeover: the venue's rarer "Liquidated ..." dir, method "backstop"
        assert (fill.dir, fill.liquidation.method) == ("Liquidated Cross Long", "backstop")
        assert "Backstop liquidation" in of(events, ev.Notification)[0].notification

        adl_sandbox.deposit(a.address, "10000")  # the backstop took the whole account
        refused = await a.order("SOL", False, "10", "150", tif="Ioc")
        assert refused["error"].startswith("Order could not immediately match")
        await b.order("SOL", True, "10", "150")
        await a.order("SOL", False, "10", "150", tif="Ioc")
        adl_sandbox.set_price("SOL", "120")
        adl_sandbox.adl(a.address, "SOL")
        adls = [f for f in of(await drain(a, adl_sandbox), ev.Fill) if f.is_adl]
        assert len(adls) == 2 and adls[0] == adls[1]  # on userEvents and on userFills
        assert (adls[0].coin, adls[0].px, adls[0].sz) == ("SOL", "120.0", "10.0")

        await b.order("BTC", False, "0.1", "60000")
        await a.order("BTC", True, "0.1", "60000", tif="Ioc")
        (funding, *_) = of(await drain(a, adl_sandbox, 3_600_000), ev.Funding)
        assert funding.coin == "BTC" and funding.szi == "0.1"


async def test_actions_info_and_refusals(adl_sandbox):
    wallet = adl_sandbox.wallet("1000")
    async with Client(adl_sandbox.url, wallet.key) as client:
        assert client.mainnet is False and client.sz_decimals["BTC"] == 5
        status = await client.order("BTC", True, "0.0001", "60000", tif="Alo")
        assert status == {"error": "Order must have minimum value of $10. asset=0"}
        status = await client.order("BTC", True, "0.01", "50000")
        oid = status["resting"]["oid"]
        assert [o["oid"] for o in await client.open_orders()] == [oid]
        assert [o["oid"] for o in await client.http_info(
            {"type": "openOrders", "user": client.address})] == [oid]  # fmt: skip
        assert await client.cancel("BTC", oid) == "success"
        await client.update_leverage("BTC", 5, is_cross=False)
        state = await client.user_state()
        assert state["marginSummary"]["accountValue"] == "1000.0"
        with pytest.raises(ClientError, match="Invalid leverage value"):
            await client.update_leverage("BTC", 0)
        answer = await client.action({"type": "cancel", "cancels": [{"a": 0, "o": 1}]}, http=True)
        assert answer["status"] == "ok"  # the same, over HTTP
        with pytest.raises(ClientError):
            await client.info({"type": "clearinghouseState"})  # no user


async def test_a_dropped_socket_is_reconnected_and_subscriptions_renewed(adl_sandbox):
    maker, wallet = adl_sandbox.wallet("100000"), adl_sandbox.wallet("100000")
    async with Client(adl_sandbox.url, wallet.key) as client, \
            Client(adl_sandbox.url, maker.key) as other:  # fmt: skip
        await client.subscribe({"type": "userEvents", "user": client.address})
        await client.sync()
        venue = adl_sandbox.venue

        def drop_every_socket():
            for session in list(venue.hub.sessions):
                session.transport.close()

        adl_sandbox.thread.call(drop_every_socket)
        for _ in range(200):
            if client.reconnects:
                break
            await asyncio.sleep(0.01)
        assert client.reconnects == 1
        assert isinstance(client.take()[-1], ev.Reconnected)
        while not other.reconnects:
            await asyncio.sleep(0.01)
        await other.order("ETH", False, "1", "3000")
        await client.order("ETH", True, "1", "3000", tif="Ioc")  # works again
        fills = of(await drain(client, adl_sandbox, 0), ev.Fill)
        assert fills and fills[0].coin == "ETH"  # heard on the renewed subscription
