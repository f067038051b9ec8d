"""Commands: every change of state the core accepts, already authenticated and in integers.

User actions carry the acting account's address (lowercase hex). Prices are ticks, sizes
lots, USDC micro-USDC (see `units`). The server converts wire requests into these.
"""

from __future__ import annotations

import msgspec


class Trigger(msgspec.Struct, frozen=True, gc=False):
    trigger_px: int
    is_market: bool
    tpsl: str  # "tp" | "sl"


class OrderSpec(msgspec.Struct, frozen=True, gc=False):
    """One order of a `PlaceOrders` batch (the venue's OrderWire)."""

    asset: int
    is_buy: bool
    px: int
    sz: int
    reduce_only: bool = False
    tif: str = "Gtc"  # "Gtc" | "Ioc" | "Alo"; ignored for trigger orders
    trigger: Trigger | None = None
    cloid: str | None = None


class Builder(msgspec.Struct, frozen=True, gc=False):
    address: str
    fee: int  # tenths of a basis point


class PlaceOrders(msgspec.Struct, frozen=True, gc=False, tag=True):
    user: str
    orders: tuple[OrderSpec, ...]
    grouping: str = "na"  # "na" | "normalTpsl" | "positionTpsl"
    builder: Builder | None = None


class Cancel(msgspec.Struct, frozen=True, gc=False, tag=True):
    user: str
    cancels: tuple[tuple[int, int], ...]  # (asset, oid)


class CancelByCloid(msgspec.Struct, frozen=True, gc=False, tag=True):
    user: str
    cancels: tuple[tuple[int, str], ...]  # (asset, cloid)


class Modify(msgspec.Struct, frozen=True, gc=False):
    oid: int | str  # an oid or a cloid
    order: OrderSpec


class ModifyOrders(msgspec.Struct, frozen=True, gc=False, tag=True):
    """`batchModify` (statuses per order) or, with `single`, `modify` (a default response)."""

    user: str
    modifies: tuple[Modify, ...]
    single: bool = False


class ScheduleCancel(msgspec.Struct, frozen=True, gc=False, tag=True):
    user: str
    time: int | None = None


class UpdateLeverage(msgspec.Struct, frozen=True, gc=False, tag=True):
    user: str
    asset: int
    is_cross: bool
    leverage: int


class UpdateIsolatedMargin(msgspec.Struct, frozen=True, gc=False, tag=True):
    user: str
    asset: int
    ntli: int  # micro-USDC, signed: positive adds margin


class Deposit(msgspec.Struct, frozen=True, gc=False, tag=True):
    user: str
    usdc: int


class Withdraw(msgspec.Struct, frozen=True, gc=False, tag=True):
    user: str
    usdc: int
    fee: int = 0  # the venue charges $1 per withdrawal; it goes to the fee sink
    nonce: int = 0  # the request's, for the ledger entry


class UsdSend(msgspec.Struct, frozen=True, gc=False, tag=True):
    user: str
    destination: str
    usdc: int
    sub_account: bool = False  # between a master and its sub-account (the ledger says so)


class SpotSend(msgspec.Struct, frozen=True, gc=False, tag=True):
    """Spot USDC from one user to another."""

    user: str
    destination: str
    usdc: int
    nonce: int = 0  # the request's, for the ledger entry


class ClassTransfer(msgspec.Struct, frozen=True, gc=False, tag=True):
    """USDC between the perp (cross) pool and the spot balance."""

    user: str
    usdc: int
    to_perp: bool


class PlaceTwap(msgspec.Struct, frozen=True, gc=False, tag=True):
    """A TWAP order (the venue's `twapOrder`): `sz` lots over `minutes`."""

    user: str
    asset: int
    is_buy: bool
    sz: int
    reduce_only: bool
    minutes: int
    randomize: bool


class CancelTwap(msgspec.Struct, frozen=True, gc=False, tag=True):
    user: str
    asset: int
    twap_id: int


class SetOracle(msgspec.Struct, frozen=True, gc=False, tag=True):
    """The oracle's prices, and with them the other venues' perp mids that the mark takes
    as its third input (none given: the mark does without, as the venue does when they
    are missing)."""

    prices: tuple[tuple[int, int], ...]  # (asset, px in ticks)
    other_venues: tuple[tuple[int, int], ...] = ()  # (asset, perp mid in ticks)


class Tick(msgspec.Struct, frozen=True, gc=False, tag=True):
    """Let time pass: premium samples, funding and scheduled cancels that fall due run."""


Command = (
    PlaceOrders
    | Cancel
    | CancelByCloid
    | ModifyOrders
    | ScheduleCancel
    | UpdateLeverage
    | UpdateIsolatedMargin
    | Deposit
    | Withdraw
    | UsdSend
    | SpotSend
    | ClassTransfer
    | PlaceTwap
    | CancelTwap
    | SetOracle
    | Tick
)


class ForceAdl(msgspec.Struct, frozen=True, gc=False, tag=True):
    """Auto-deleverage `user`'s position in `asset` now (all of it, or `sz` lots of it), as
    if a bankrupt position on the other side needed it: the liquidator vault takes it over
    at the mark, and the user gets the venue's ADL fill and notification. A control-plane
    command (no venue lets a user ask for this)."""

    user: str
    asset: int
    sz: int | None = None


class SetHalted(msgspec.Struct, frozen=True, gc=False, tag=True):
    """Pause (`halted`) or resume matching in `assets` (every asset when empty). While an
    asset is paused, new orders and modifies in it are refused, its TP/SL orders wait, and
    the waterfall's book stages (market liquidation, the vault's unwinding) skip it; cancels,
    transfers, oracle updates, the backstop and ADL go on. A control-plane command."""

    halted: bool
    assets: tuple[int, ...] = ()


class ForceLiquidation(msgspec.Struct, frozen=True, gc=False, tag=True):
    """Liquidate `user`'s position in `asset` (every position when None) now, whatever its
    margin: `stage` "market" closes it into the book with LiquidationMarket orders (as stage
    1 does), "backstop" hands the position's margin pool to the liquidator vault at the mark
    (as stage 2 does; for a cross position that is the whole cross account, as on the
    venue). A control-plane command."""

    user: str
    asset: int | None = None
    stage: str = "market"  # "market" | "backstop"


class WaiveScheduleCancelGate(msgspec.Struct, frozen=True, gc=False, tag=True):
    """Let `user` set a scheduled cancel (the dead man's switch) without the venue's
    $1,000,000 of traded volume, or (`waived` false) require it again. A control-plane
    command, so that a test of a dead man's switch can run on a fresh account."""

    user: str
    waived: bool = True


class SetOpenInterestCap(msgspec.Struct, frozen=True, gc=False, tag=True):
    """Cap the open interest of `asset` at `notional` micro-USDC at mark (None: no cap). A
    control-plane command (the venue sets its caps itself)."""

    asset: int
    notional: int | None


class Delist(msgspec.Struct, frozen=True, gc=False, tag=True):
    """Delist `asset`: its orders cancelled, its positions settled at the mark, no order
    taken after. A control-plane command (on the venue, validators vote it)."""

    asset: int
