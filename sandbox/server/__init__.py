"""The thin asyncio shell around the core: Hyperliquid's HTTP and websocket API on one
host:port (`app`), the runtime that feeds the core and keeps what the API serves beyond it
(`venue`), signatures and nonces (`registry`), and the fan-out of websocket data (`hub`).
No business rules live here: those are the core's."""
