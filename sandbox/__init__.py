"""adl-sandbox: a local exchange that speaks Hyperliquid's API and can liquidate and
auto-deleverage a bot on demand."""

__version__ = "0.1.0"
