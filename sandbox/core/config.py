"""Configuration of an exchange. Defaults mirror Hyperliquid mainnet's base tier."""

from __future__ import annotations

import msgspec

from sandbox.core.instruments import (
    DEFAULT_INSTRUMENTS,
    DEFAULT_MARGIN_TABLES,
    InstrumentSpec,
    MarginTableSpec,
)

FEE_SINK = "0xfee0000000000000000000000000000000000fee"


class ExchangeConfig(msgspec.Struct, frozen=True, kw_only=True):
    instruments: tuple[InstrumentSpec, ...] = DEFAULT_INSTRUMENTS
    margin_tables: tuple[MarginTableSpec, ...] = DEFAULT_MARGIN_TABLES
    # Fees, in RATE_SCALE (1e-8): perps base tier, taker 0.045%, maker 0.015%.
    taker_fee: int = 45_000
    maker_fee: int = 15_000
    fee_sink: str = FEE_SINK
    # Mark price: "hyperliquid" (median of oracle+EMA, book median, EMA of book median) or
    # "oracle" (mark = oracle, for tests that want to steer the mark directly).
    mark_rule: str = "hyperliquid"
    default_leverage: int = 20  # new assets start cross at min(20, maxLeverage)
    min_order_value: int = 10_000_000  # $10, micro-USDC
    max_open_orders: int = 1000
    price_band_pct: int = 80  # orders beyond this % from the reference (mark) are refused
    # Funding, in RATE_SCALE: 8-hour interest 0.01%, clamp 0.05%, hourly cap 4%.
    funding_interest_8h: int = 10_000
    funding_clamp_8h: int = 50_000
    funding_cap_hourly: int = 4_000_000
    premium_sample_ms: int = 5_000
    funding_interval_ms: int = 3_600_000
    # scheduleCancel: the venue requires $1M of traded volume; 0 disables the gate.
    schedule_cancel_min_volume: int = 0
    schedule_cancel_daily_limit: int = 10
    schedule_cancel_min_delay_ms: int = 5_000
    # Slippage of triggered market TP/SL orders, percent of the mark.
    trigger_market_slippage_pct: int = 10
