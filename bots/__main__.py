"""`python -m bots run NAME --url URL --key KEY`: run a sample bot live.

python -m bots run market_maker --url http://127.0.0.1:3001 --key 0x... --coin ETH
python -m bots run whale --url ... --key ... --option notional=50000 --option leverage=5
python -m bots list
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import sys

from bots.samples import KINDS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bots", description="Sample bots for Hyperliquid's API (and the sandbox)."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run = commands.add_parser("run", help="run a bot live", description="Run a sample bot: it "
                              "connects, then takes a turn every --interval seconds.")  # fmt: skip
    run.add_argument("name", choices=sorted(KINDS), metavar="NAME",
                     help=f"one of {', '.join(sorted(KINDS))}")  # fmt: skip
    run.add_argument("--url", default="http://127.0.0.1:3001", help="the API's base URL")
    run.add_argument("--key", required=True, help="the wallet's private key (0x hex)")
    run.add_argument("--coin", default="BTC", help="the coin it trades (BTC)")
    run.add_argument("--interval", type=float, default=1.0, help="seconds between turns (1)")
    run.add_argument("--turns", type=int, help="stop after this many turns (default: never)")
    run.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                     help="a parameter of the bot (repeatable); see `python -m bots list`")  # fmt: skip
    commands.add_parser("list", help="the bots and their parameters")
    return parser


def _parameters(cls) -> dict[str, inspect.Parameter]:
    """A bot's keyword parameters, those it passes on to its base (`**kw`) included."""
    params: dict[str, inspect.Parameter] = {}
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        own = inspect.signature(klass.__init__).parameters
        params.update({n: p for n, p in own.items() if p.default is not inspect.Parameter.empty
                       and n not in params})  # fmt: skip
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in own.values()):
            break
    return params


def _options(cls, items: list[str]) -> dict:
    params = _parameters(cls)
    options = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or name not in params:
            known = ", ".join(params)
            sys.exit(f"--option {item!r}: {cls.kind} takes {known}")
        default = params[name].default
        if isinstance(default, bool):
            options[name] = value.lower() in ("1", "true", "yes")
        elif isinstance(default, int):
            options[name] = int(value)
        elif isinstance(default, float):
            options[name] = float(value)
        else:
            options[name] = value
    return options


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "list":
        for kind, cls in sorted(KINDS.items()):
            shown = ", ".join(f"{p.name}={p.default}" for p in _parameters(cls).values())
            print(f"{kind:<14} {(cls.__doc__ or '').strip()}\n{'':<14} {shown}")
        return
    cls = KINDS[args.name]
    bot = cls(args.name, args.key, coin=args.coin, **_options(cls, args.option))
    print(f"{args.name} ({bot.address}) on {args.url}, a turn every {args.interval:g} s; "
          "Ctrl-C stops it", flush=True)  # fmt: skip
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(bot.run(args.url, args.interval, args.turns))


if __name__ == "__main__":
    main()
