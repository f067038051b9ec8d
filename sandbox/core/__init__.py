"""The pure, deterministic exchange core.

Everything here is a function of the commands applied and their timestamps: no I/O, no
clock, no randomness, no asyncio. Money, prices and sizes are integers (see `units`).
The entry point is `Exchange.apply(command, ts_ms) -> list[Event]`.
"""
