"""`python -m sandbox`: serve the exchange, or play the core's walkthrough.

python -m sandbox [serve] [--scenario FILE] [--host H] [--port P] [--admin-token T] ...
python -m sandbox demo [--policy P] [--seed N]
python -m sandbox scenario run FILE|NAME [--policy P] [--seed N] [--out DIR] [--speed X]
python -m sandbox scenario list
python -m sandbox walkthrough

Serving is the default command, so `--help` lists the serve options with the commands. It
serves a scenario's market (the built-in `calm` unless `--scenario` says otherwise): its
coins, oracle paths, market makers, taker flow, accounts, bots and timed events.
A flag's bad value is refused before anything starts, in one line naming the flag and what
it takes. Once serving, the sandbox logs each step of the loss waterfall as it happens (and,
with `--log-requests`, each HTTP request and websocket connection), one line each, on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import logging
import math
import os
import signal
import sqlite3
import sys
from decimal import Decimal, InvalidOperation
from typing import NoReturn

import msgspec

from protocol import signing
from protocol.numbers import DecimalSyntaxError
from sandbox.core import commands as cmd
from sandbox.core.config import ADL_POLICIES
from sandbox.core.instruments import UNIVERSES
from sandbox.core.units import parse_usdc
from sandbox.server.config import ServerConfig
from sandbox.server.limits import RateLimitConfig

DEMO_WALLETS = 3
ADMIN_TOKEN_ENV = "ADL_SANDBOX_ADMIN_TOKEN"  # the admin token, kept out of the process list


def demo_key(i: int) -> bytes:
    """The private key of demo wallet `i`: fixed, so that bots can keep it in their config.
    These keys are public; they are good for nothing but this sandbox."""
    return signing.keccak(f"adl-sandbox demo wallet {i}".encode())


# -- flag values: each checked as it is parsed; a bad one is refused in one line -------------


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65_535:
        raise argparse.ArgumentTypeError(f"not a port (0 to 65535; 0: any free one): {text!r}")
    return port


def _milliseconds(text: str) -> int:
    try:
        ms = int(text)
    except ValueError:
        ms = 0
    if ms <= 0:
        raise argparse.ArgumentTypeError(f"not a whole number of milliseconds above 0: {text!r}")
    return ms


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"not a number of 0 or more: {text!r}")
    return value


def _usdc(text: str) -> str:
    """A USDC amount of 0 or more, kept as given (the banner shows it)."""
    try:
        amount = parse_usdc(text)
    except (DecimalSyntaxError, ValueError):
        amount = -1
    if amount < 0:
        raise argparse.ArgumentTypeError(
            f"not an amount of USDC (0 or more, at most 6 decimals, e.g. 100000): {text!r}"
        )
    return text


# every coin a universe lists (a scenario's markets are among them)
COINS = tuple(dict.fromkeys(spec.name for specs, _ in UNIVERSES.values() for spec in specs))


def _price(text: str) -> tuple[str, float]:
    """COIN=PX: a listed coin and a positive price."""
    coin, sep, px = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"takes COIN=PX, e.g. BTC=60000, not {text!r}")
    if coin not in COINS:
        raise argparse.ArgumentTypeError(f"no coin {coin!r} (coins: {', '.join(COINS)})")
    try:
        opening = float(Decimal(px))
    except (InvalidOperation, ValueError):
        opening = math.nan
    if not (math.isfinite(opening) and opening > 0):
        raise argparse.ArgumentTypeError(f"not a positive price: {text!r}")
    return coin, opening


def _duration(text: str) -> int:
    from sandbox.sim.scenario import ScenarioError, duration_ms

    try:
        ms = duration_ms(text)
    except ScenarioError:
        ms = 0
    if ms <= 0:
        raise argparse.ArgumentTypeError(f"not a duration (e.g. 90s, 6m, 1h, 1d): {text!r}")
    return ms


class _Parser(argparse.ArgumentParser):
    """Refuses a bad command line in one line (what is wrong, where help is) rather than
    argparse's usage block; its subcommands' parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (--help lists the options)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m sandbox",
        usage="%(prog)s [serve] [OPTIONS]\n       %(prog)s COMMAND ...",
        description=(
            "adl-sandbox: a local exchange that speaks Hyperliquid's API (/info, /exchange, "
            "/ws) and liquidates and auto-deleverages on demand. Without a command, serves."
        ),
    )
    commands = parser.add_subparsers(
        title="commands", dest="command", metavar="COMMAND", prog="python -m sandbox"
    )
    # Serving is the default command: the top-level help lists its options too. A command
    # line that starts with an option is parsed as `serve ...` (see `main`), so these are
    # shown here and parsed by `serve`.
    _serve_options(
        parser.add_argument_group(
            "serve options",
            "python -m sandbox [serve] [OPTIONS]; python -m sandbox COMMAND --help for the "
            "other commands' options",
        )
    )
    serve = commands.add_parser(
        "serve", help="serve the exchange (the default)", description="Serve the exchange."
    )
    _serve_options(serve)
    demo = commands.add_parser(
        "demo",
        help="run the cascade scenario with bots over real sockets, narrated",
        description="Serve the built-in cascade scenario in virtual time on a free port, "
        "connect its bots over websockets, play it at 30 virtual seconds a second (--speed "
        "0: as fast as the CPU allows) and narrate each stage of the loss waterfall; end "
        "with a summary table and a results folder.",
    )
    _play_options(demo, speed=30)
    scenario = commands.add_parser(
        "scenario", help="run or list scenarios", description="Run or list scenarios."
    )
    verbs = scenario.add_subparsers(
        dest="verb", metavar="VERB", required=True, prog="python -m sandbox scenario"
    )
    run = verbs.add_parser(
        "run",
        help="play a scenario file (or a built-in by name)",
        description="Serve the scenario in virtual time, connect its bots over websockets, "
        "play it and narrate it; end with a summary table.",
    )
    run.add_argument("file", metavar="FILE", help="a scenario .toml file, or calm / cascade")
    _play_options(run, speed=None)
    verbs.add_parser("list", help="the built-in scenarios", description="The built-in scenarios.")
    commands.add_parser(
        "walkthrough",
        help="play a short narrated session on the exchange core",
        description="Play a short deterministic session on the exchange core and print it: "
        "trades, funding, a crash and a backstop liquidation.",
    )
    return parser


def _play_options(parser: argparse.ArgumentParser, speed: float | None = 0) -> None:
    parser.add_argument(
        "--policy", choices=ADL_POLICIES, help="the ADL ranking (default: the scenario's)"
    )
    parser.add_argument("--seed", type=int, help="the seed (default: the scenario's)")
    parser.add_argument("--port", type=_port, default=0, help="port to serve on (0: any free one)")
    shown = "1 with command bots, else 0" if speed is None else f"{speed:g}"
    parser.add_argument(
        "--speed",
        type=_non_negative,
        default=speed,
        help=f"virtual seconds per wall second; 0: as fast as the CPU allows ({shown})",
    )
    parser.add_argument(
        "--duration", type=_duration, help="play this long (90s, 6m, 1h, 1d; default: the "
        "scenario's)",
    )  # fmt: skip
    parser.add_argument(
        "--out", metavar="DIR",
        help="the results folder (default: runs/NAME-YYYYMMDD-HHMMSS)",
    )  # fmt: skip
    parser.add_argument(
        "--everyone", action="store_true",
        help="record the market makers' and the taker flow's fills and orders too",
    )  # fmt: skip
    parser.add_argument(
        "--validate", action=argparse.BooleanOptionalAction, default=None,
        help="check every invariant after every command (default: in runs of an hour or "
        "less; the end of a run is always checked)",
    )  # fmt: skip


def _play(args: argparse.Namespace, name: str) -> None:
    import datetime
    from pathlib import Path

    from sandbox.sim.player import run
    from sandbox.sim.scenario import ScenarioError

    out = args.out
    if out is None:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = str(Path("runs") / f"{Path(name).stem}-{stamp}")
    try:
        report = asyncio.run(
            run(name, policy=args.policy, seed=args.seed, port=args.port, speed=args.speed,
                results=out, duration_ms=args.duration, everyone=args.everyone,
                validate=args.validate)
        )
    except ScenarioError as exc:
        sys.exit(f"scenario: {exc}")
    except BrokenPipeError:  # the reader went away (| head): nothing more to say
        sys.stderr.close()
        sys.exit(0)
    except KeyboardInterrupt:  # Ctrl-C: what was recorded until then stays
        sys.exit(f"stopped; {out} holds what was recorded until then")
    if not report.invariants["ok"]:
        sys.exit(1)


def _list_scenarios() -> None:
    from sandbox.sim.scenario import BUILT_IN, load

    for name in BUILT_IN:
        print(f"{name:<10} {load(name).description}")


def _serve_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--scenario",
        metavar="FILE",
        default="calm",
        help="the market to serve: a scenario .toml file or a built-in name (calm: the "
        "mainnet universe's 22 most traded perps with market makers and taker flow)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=3001, help="port (3001, the SDK's LOCAL_API_URL; 0: any)"
    )
    parser.add_argument(
        "--admin-token",
        default=os.environ.get(ADMIN_TOKEN_ENV) or None,
        help=f"the control plane's token (default: ${ADMIN_TOKEN_ENV}, else random; the "
        "variable keeps it out of the process list)",
    )
    parser.add_argument(
        "--state-dir",
        metavar="DIR",
        help="keep the venue's state in DIR (a journal, SQLite): started again on the same "
        "DIR, the server resumes where it stopped, even after kill -9, with the options it "
        "was first started with",
    )
    parser.add_argument(
        "--journal-sync",
        choices=("normal", "full"),
        default="normal",
        help="normal: what was answered survives the process being killed; full: also the "
        "machine stopping, a disk flush per change (normal)",
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a browser page's origin (e.g. https://tools.example) that may use the "
        "control plane and the websocket; the server's own pages and any on this machine "
        "may, other sites' may not (repeatable)",
    )
    parser.add_argument(
        "--chain",
        choices=("auto", "testnet", "mainnet"),
        default="auto",
        help="the signatures accepted: testnet ('b'), mainnet ('a') or either (auto)",
    )
    parser.add_argument(
        "--block-ms",
        type=_milliseconds,
        default=100,
        help="market data is published once a block (100)",
    )
    parser.add_argument(
        "--time",
        choices=("realtime", "virtual"),
        default="realtime",
        help="the wall clock, or virtual time that moves only on POST /sandbox/clock/advance "
        "(from the scenario's start)",
    )
    parser.add_argument(
        "--feed",
        choices=("walk", "constant"),
        help="every oracle a seeded random walk, or constant (default: the scenario's)",
    )
    parser.add_argument(
        "--volatility", type=_non_negative, help="the walks' volatility a day (the scenario's)"
    )
    parser.add_argument("--seed", type=int, help="seeds the walks and the flow (the scenario's)")
    parser.add_argument(
        "--policy",
        choices=ADL_POLICIES,
        help="how ADL ranks the positions it closes (the scenario's; calm: hyperliquid)",
    )
    parser.add_argument(
        "--mark",
        choices=("venue", "oracle"),
        help="the mark price: the venue's median rule, or the oracle price (the scenario's)",
    )
    parser.add_argument(
        "--price",
        action="append",
        type=_price,
        default=[],
        metavar="COIN=PX",
        help="the oracle's opening price of a coin among the scenario's markets (repeatable)",
    )
    parser.add_argument(
        "--no-makers",
        action="store_true",
        help="the scenario's market makers start with their quotes pulled",
    )
    parser.add_argument(
        "--no-flow", action="store_true", help="without the scenario's background takers"
    )
    parser.add_argument(
        "--demo-usdc",
        type=_usdc,
        default="100000",
        help=f"what each of the {DEMO_WALLETS} demo wallets holds at start (100000)",
    )
    parser.add_argument(
        "--no-rate-limits",
        action="store_true",
        help="serve without the venue's rate limits (per IP, per address, websocket); the "
        "control plane can also waive them per account or per IP",
    )
    parser.add_argument(
        "--no-schedule-cancel-gate",
        action="store_true",
        help="let any account set scheduleCancel (the venue wants $1,000,000 traded first)",
    )
    parser.add_argument(
        "--log-requests",
        action="store_true",
        help="log each HTTP request and websocket connection (method, path, status, time "
        "taken); the loss waterfall's steps are logged either way",
    )


def served_scenario(args: argparse.Namespace):
    """The scenario `serve` serves: `--scenario` with the flags' changes."""
    from sandbox.sim.scenario import ScenarioError, load

    s = load(args.scenario, seed=args.seed, policy=args.policy)
    replace = msgspec.structs.replace
    markets = {m.coin: m for m in s.markets}
    for coin, px in args.price:
        if coin not in markets:
            raise ScenarioError(f"--price {coin}: not among the scenario's markets "
                                f"({', '.join(markets)})")  # fmt: skip
        markets[coin] = replace(markets[coin], price=px)
    for coin, market in markets.items():
        if args.feed is not None:
            market = replace(market, feed=args.feed, segments=())
        if args.volatility is not None:
            market = replace(market, volatility=args.volatility)
        if args.feed == "constant":  # a constant market: the book quotes the oracle itself
            market = replace(market, basis_bps=0.0, basis_sd_bps=0.0)
        markets[coin] = market
    exchange = s.exchange
    if args.mark is not None:
        from sandbox.testing import MARK_RULES

        exchange = replace(exchange, mark_rule=MARK_RULES[args.mark])
    if args.no_schedule_cancel_gate:
        exchange = replace(exchange, schedule_cancel_min_volume=0)
    return replace(s, markets=tuple(markets.values()), exchange=exchange,
                   flows=() if args.no_flow else s.flows)  # fmt: skip


async def serve(args: argparse.Namespace) -> None:
    from sandbox.server.app import EXCHANGE_API, TOKEN
    from sandbox.server.app import serve as start
    from sandbox.server.control_routes import JOURNALED
    from sandbox.sim.build import build
    from sandbox.sim.player import live_bots
    from sandbox.sim.scenario import ScenarioError

    _raise_file_limit()
    journal, resuming = None, False
    if args.state_dir:  # a journal: a fresh one, or one to resume from
        from sandbox.server.journal import Journal

        try:
            journal = Journal(args.state_dir, args.journal_sync)
        except (OSError, sqlite3.Error) as exc:
            sys.exit(f"--state-dir {args.state_dir}: {exc}")
        first = journal.meta("argv")
        if first is None:
            journal.set_meta("argv", json.dumps(args.argv))
        else:  # as it was first started, whatever this command line says
            state_dir, sync = args.state_dir, args.journal_sync
            args = _parser().parse_args(json.loads(first))
            args.state_dir, args.journal_sync = state_dir, sync
            args.admin_token = journal.meta("admin_token") or args.admin_token
            resuming = True
    resumed: list[str] = []

    def prepare(app) -> None:
        """With a journal: replay it (or write the first checkpoint) before serving."""
        if journal is None:
            return
        venue.journal = journal
        if resuming:  # (the checkpoint and the entries after it stay as they are)
            replayed, loading, replaying = venue.resume(app[EXCHANGE_API], JOURNALED)
            resumed.append(f"resumed from {args.state_dir}: the last checkpoint and {replayed} "
                           f"journal entries after it, in {loading + replaying:.2f} s (loading "
                           f"{loading:.2f} s, replaying {replaying:.2f} s); state hash "
                           f"{venue.exchange.state_hash()}")  # fmt: skip
        else:  # the first checkpoint: the venue as it starts serving
            journal.set_meta("admin_token", app[TOKEN])
            venue.checkpoint()

    try:
        scenario = served_scenario(args)
        config = ServerConfig(
            host=args.host,
            port=args.port,
            admin_token=args.admin_token,
            allowed_origins=tuple(args.allow_origin),
            chain=args.chain,
            block_ms=args.block_ms,
            time=args.time,
            rate_limits=RateLimitConfig(enabled=not args.no_rate_limits),
        )
        venue = build(scenario, server=config)
    except ScenarioError as exc:
        sys.exit(f"scenario: {exc}")
    wallets = [(signing.address_of(demo_key(i)), demo_key(i)) for i in range(1, DEMO_WALLETS + 1)]
    for i, (address, _) in enumerate(wallets, 1):
        venue.names[address] = f"demo-{i}"
    if args.no_makers:
        venue.liquidity.pull()
    usdc = parse_usdc(args.demo_usdc)
    for address, _ in wallets:
        if usdc > 0:
            venue.apply(cmd.Deposit(address, usdc))
    try:
        server = await start(venue, prepare=prepare)
    except OSError as exc:
        sys.exit(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    for line in resumed:
        print(line, flush=True)
    print(_banner(server.url, server.admin_token, wallets, args, scenario, venue), flush=True)
    if not _loopback(args.host):
        print(f"warning: serving on {args.host}, beyond this machine: whoever can reach it "
              "can trade here, and with the admin token steer the sandbox", file=sys.stderr,
              flush=True)  # fmt: skip
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    bots = asyncio.create_task(live_bots(scenario, venue, server.url))
    bots.add_done_callback(_report_bots)
    await stop.wait()
    bots.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await bots
    print("stopping", flush=True)
    await server.close()
    if journal is not None:
        venue.finish_journal()  # a last checkpoint: a restart replays nothing


def _raise_file_limit() -> None:
    """As many open files as the system lets this process have: each connection is one."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = 1 << 20 if hard == resource.RLIM_INFINITY else hard
        if soft != resource.RLIM_INFINITY and soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (ImportError, ValueError, OSError):  # (not on this system, or not allowed)
        pass


def _loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def _report_bots(task: asyncio.Task) -> None:
    """The scenario's bots stopped by themselves: say why, if they failed (serving goes on)."""
    if not task.cancelled() and task.exception() is not None:
        print(f"the scenario's bots stopped: {task.exception()}", file=sys.stderr, flush=True)


def _banner(url: str, token: str, wallets: list[tuple[str, bytes]], args, scenario,
            venue) -> str:  # fmt: skip
    from sandbox.sim.scenario import wallet_key

    coins = [m.coin for m in scenario.markets]
    feeds = sorted({m.feed for m in scenario.markets})
    makers = len(scenario.makers)
    lines = [
        f"adl-sandbox serving Hyperliquid's API on {url}  (/info, /exchange, /ws)",
        f"admin token (Authorization: Bearer ...): {token}",
        f"market: {scenario.name} ({scenario.source}), seed {scenario.seed}: "
        f"{len(coins)} perps ({', '.join(coins[:8])}{', ...' if len(coins) > 8 else ''}); "
        f"oracle: {' / '.join(feeds)}; "
        f"{makers} market maker{'s' * (makers != 1)}"
        + (" (quotes pulled: --no-makers)" if args.no_makers else "")
        + (f"; taker flow {sum(f.trades_per_minute * len(f.coins) for f in scenario.flows):g} "
           "trades a minute" if scenario.flows else "; no taker flow"),
        f"time: {args.time}; mark: "
        f"{'the oracle' if venue.exchange.config.mark_rule == 'oracle' else 'the venue rule'}; "
        f"ADL policy: {venue.exchange.config.adl_policy}",
        "rate limits: "
        + ("off (--no-rate-limits)" if args.no_rate_limits else "the venue's (1200 weight a "
           "minute per IP, 10,000 actions + 1 per USDC traded per address, websocket caps)"),
        *([f"state: kept in {args.state_dir} (journal sync {args.journal_sync}); started "
            "again with --state-dir on it, the server resumes where it stopped"]
          if getattr(args, "state_dir", None) else []),
        f"demo wallets, {args.demo_usdc} USDC each:",
        *(f"  {address}  key 0x{key.hex()}" for address, key in wallets),
    ]  # fmt: skip
    named = scenario.wallets()
    if named:
        lines.append("the scenario's accounts and bots:")
        lines += [f"  {name:<16} {address}  key 0x{wallet_key(scenario.seed, name).hex()}"
                  for name, address in named.items()]  # fmt: skip
    lines += [
        "",
        "try it with the official SDK:",
        "",
        "  import eth_account",
        "  from hyperliquid.exchange import Exchange",
        "  from hyperliquid.info import Info",
        f'  url = "{url}"',
        f'  wallet = eth_account.Account.from_key("0x{wallets[0][1].hex()}")',
        "  exchange = Exchange(wallet, url)",
        '  print(exchange.order("BTC", True, 0.01, 59000, {"limit": {"tif": "Gtc"}}))',
        "  print(Info(url, skip_ws=True).user_state(wallet.address))",
        "",
        "new funded account:",
        f"  curl -s -X POST {url}/sandbox/accounts -H 'Authorization: Bearer {token}' "
        """-d '{"usdc": "10000"}'""",
        "",
        *(
            [
                "virtual time moves when told:",
                f"  curl -s -X POST {url}/sandbox/clock/advance -H 'Authorization: Bearer {token}' "
                """-d '{"ms": 60000}'""",
                "",
            ]
            if args.time == "virtual"
            else []
        ),
        "Ctrl-C stops it.",
    ]
    return "\n".join(lines)


def _log_to_console(log_requests: bool) -> None:
    """What the served sandbox prints after its banner, one line each, stamped with the wall
    clock: the waterfall's steps as they happen and (`--log-requests`) each request, on
    stdout; warnings and errors on stderr."""
    from sandbox.server.app import REQUESTS_LOG

    out = logging.StreamHandler(sys.stdout)
    out.addFilter(lambda record: record.levelno < logging.WARNING)
    out.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d %(message)s", "%H:%M:%S"))
    err = logging.StreamHandler(sys.stderr)
    err.setLevel(logging.WARNING)
    err.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    package = logging.getLogger("sandbox")
    package.setLevel(logging.INFO)
    package.addHandler(out)
    package.addHandler(err)
    package.propagate = False
    REQUESTS_LOG.setLevel(logging.INFO if log_requests else logging.WARNING)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv.insert(0, "serve")  # the default command
    args = _parser().parse_args(argv)
    args.argv = argv  # (a journal keeps what the server was first started with)
    if args.command == "demo":
        _play(args, "cascade")
        return
    if args.command == "scenario":
        if args.verb == "list":
            _list_scenarios()
        else:
            _play(args, args.file)
        return
    if args.command == "walkthrough":
        from sandbox.walkthrough import run

        run()
        return
    _log_to_console(args.log_requests)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
