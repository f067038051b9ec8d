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
LIQUIDATOR_VAULT = "0xbac0000000000000000000000000000000000001"
ADL_POLICIES = ("hyperliquid", "binance", "bitmex", "pro_rata")


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
    # Orders priced beyond this % from the reference price (the mark) are refused: 95 as the
    # live venue answers ("... more than 95% away from the reference price"); its older docs
    # said 80.
    price_band_pct: int = 95
    # Funding, in RATE_SCALE: 8-hour interest 0.01%, clamp 0.05%, hourly cap 4%.
    funding_interest_8h: int = 10_000
    funding_clamp_8h: int = 50_000
    funding_cap_hourly: int = 4_000_000
    premium_sample_ms: int = 5_000
    funding_interval_ms: int = 3_600_000
    # scheduleCancel: the venue refuses it until the account has traded $1,000,000
    # (micro-USDC; 0 disables the gate; the control plane can waive it per account).
    schedule_cancel_min_volume: int = 1_000_000_000_000
    schedule_cancel_daily_limit: int = 10
    schedule_cancel_min_delay_ms: int = 5_000
    # Open-interest caps: (coin, notional in micro-USDC). While a coin's open interest at
    # mark is at its cap, orders that would grow a position are refused and resting ones
    # priced through the oracle are cancelled (the control plane sets caps at run time too).
    open_interest_caps: tuple[tuple[str, int], ...] = ()
    # Activation: the first transfer that has a new address as its destination (usdSend,
    # spotSend) pays this fee out of the amount sent, to the fee sink; a transfer no larger
    # than it cannot create an account (micro-USDC; 0 disables). The venue: 1 USDC.
    activation_fee: int = 1_000_000
    # Slippage of triggered market TP/SL orders, percent of the mark.
    trigger_market_slippage_pct: int = 10

    # The loss waterfall (adl-mechanics.md §1.4-1.5).
    # Stage 1, market liquidation: positions above this notional go 20% at a time, then a
    # cooldown during which liquidation orders are for the whole position (mainnet $100k,
    # testnet $10k).
    partial_liquidation_threshold: int = 100_000_000_000
    partial_liquidation_pct: int = 20
    liquidation_cooldown_ms: int = 30_000
    # Stage 2, backstop: below backstop_ratio of maintenance margin the vault takes over.
    backstop_ratio: tuple[int, int] = (2, 3)
    vault_address: str = LIQUIDATOR_VAULT
    vault_capital: int = 5_000_000_000_000  # $5M
    # ADL runs against the vault's positions once it has lost this share of its capital.
    vault_loss_threshold_pct: int = 50
    # The vault unwinds inherited positions: every interval, an IOC for this share of each
    # position, no further than this many basis points from the mark.
    vault_unwind_interval_ms: int = 10_000
    vault_unwind_pct: int = 10
    vault_unwind_slippage_bps: int = 100
    # Stage 3, ADL: "hyperliquid" | "binance" | "bitmex" | "pro_rata".
    adl_policy: str = "hyperliquid"
    # The price ADL closes at: "policy" (Hyperliquid's previous mark; the others' bankruptcy
    # price), or "previous_mark" / "bankruptcy" for every policy.
    adl_price: str = "policy"
    # Hyperliquid's index (mark/entry) x (notional/account value) read literally favours
    # losing shorts; "mirrored" uses entry/mark for shorts (the default), "literal" does not.
    hyperliquid_short_index: str = "mirrored"

    def __post_init__(self) -> None:
        if self.adl_policy not in ADL_POLICIES:
            raise ValueError(f"adl_policy must be one of {', '.join(ADL_POLICIES)}")
        if self.mark_rule not in ("hyperliquid", "oracle"):
            raise ValueError('mark_rule must be "hyperliquid" or "oracle"')
        if self.adl_price not in ("policy", "previous_mark", "bankruptcy"):
            raise ValueError('adl_price must be "policy", "previous_mark" or "bankruptcy"')
        if self.hyperliquid_short_index not in ("mirrored", "literal"):
            raise ValueError('hyperliquid_short_index must be "mirrored" or "literal"')
        num, den = self.backstop_ratio
        if not 0 < num < den:
            raise ValueError("backstop_ratio must be a fraction below 1")
