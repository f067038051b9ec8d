"""The example of docs/testing-adl.md, exactly: an SDK-based bot holds a profitable short,
the sandbox auto-deleverages it, and the test asserts that the bot noticed and reacted.

Copy it into your own suite: with adl-sandbox installed, `adl_sandbox` and `funded_wallet`
are there already (a pytest plugin)."""

import eth_account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info


class ShortBot:
    """Holds a short. When the venue auto-deleverages it, it stands down: it cancels its
    open orders and stops trading."""

    def __init__(self, url: str, key: str) -> None:
        self.wallet = eth_account.Account.from_key(key)
        self.exchange = Exchange(self.wallet, url)
        self.info = Info(url)
        self.adl_fills: list[dict] = []
        self.standing_down = False
        self.info.subscribe({"type": "userEvents", "user": self.wallet.address}, self.on_event)

    def open_short(self, coin: str, size: float) -> None:
        self.exchange.market_open(coin, False, size)

    def on_event(self, message: dict) -> None:
        for fill in message["data"].get("fills", []):
            if fill["dir"] == "Auto-Deleveraging":
                self.adl_fills.append(fill)
                self.stand_down()

    def stand_down(self) -> None:
        for order in self.info.open_orders(self.wallet.address):
            self.exchange.cancel(order["coin"], order["oid"])
        self.standing_down = True

    def stop(self) -> None:
        self.info.disconnect_websocket()


def test_the_bot_stands_down_when_its_short_is_auto_deleveraged(adl_sandbox, funded_wallet):
    bot = ShortBot(adl_sandbox.url, funded_wallet.key)
    try:
        adl_sandbox.wait_subscribed(funded_wallet.address)  # its websocket listens
        bot.open_short("ETH", 2.0)
        bot.exchange.order("ETH", True, 0.5, 2500.0, {"limit": {"tif": "Gtc"}})  # take profit
        adl_sandbox.set_price("ETH", "2700")  # the short is now in profit

        adl_sandbox.adl(funded_wallet.address, "ETH", sz="1.5")  # the venue takes 1.5 of it

        adl_sandbox.wait_for(lambda: bot.standing_down, what="the bot to stand down")
        (fill,) = bot.adl_fills
        assert (fill["coin"], fill["side"], fill["sz"], fill["px"]) == ("ETH", "B", "1.5", "2700.0")
        assert float(fill["closedPnl"]) > 0  # a profitable short, closed by ADL
        assert adl_sandbox.position(funded_wallet.address, "ETH") == -0.5
        assert bot.info.open_orders(funded_wallet.address) == []  # it cancelled its orders
    finally:
        bot.stop()
