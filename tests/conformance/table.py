"""Print the conformance table of the sandbox, for docs/server.md: every venue item of the
corpus (venue_examples.py), its kind, its status on a sandbox started now (world.py), judged
as the conformance tests judge it, and the source of the venue's example.

    .venv/bin/python -m tests.conformance.table            # the markdown table
    .venv/bin/python -m tests.conformance.table --details  # and every difference and note

Statuses: served-in-shape; differs; refused (the sandbox refuses the item); empty (the
sandbox's documented empty placeholder); no example (the venue publishes none).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from tests.conformance import test_exchange, test_info, test_ws
from tests.conformance.venue_examples import EXAMPLES, items
from tests.conformance.verdict import no_example
from tests.conformance.world import Outcome, World, build_world

CHECKS: dict[str, Callable[[World, str], Outcome]] = {
    "info": test_info.check,
    "exchange": test_exchange.check,
    "ws": test_ws.check,
}


def outcomes(world: World) -> list[Outcome]:
    """Every item's outcome, kind by kind, in the corpus's order."""
    out: list[Outcome] = []
    for kind, check in CHECKS.items():
        with_example = set(items(kind))
        for name in EXAMPLES[kind]:
            out.append(check(world, name) if name in with_example else no_example(kind, name))
    return out


def markdown(results: list[Outcome]) -> str:
    lines = ["| item | kind | status | source |", "| --- | --- | --- | --- |"]
    for o in results:
        source = o.source.replace("|", "\\|")
        lines.append(f"| `{o.name}` | {o.kind} | {o.status} | {source} |")
    return "\n".join(lines)


def details(results: list[Outcome]) -> str:
    return "\n\n".join(o.report() for o in results if o.differences or o.notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--details", action="store_true", help="print differences and notes")
    args = parser.parse_args(argv)
    world = build_world()
    try:
        results = outcomes(world)
    finally:
        world.sandbox.stop()
    print(markdown(results))
    if args.details:
        print()
        print(details(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
