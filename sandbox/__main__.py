"""`python -m sandbox`: run the exchange core's walkthrough."""

from __future__ import annotations

import argparse

from sandbox.walkthrough import run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description=(
            "adl-sandbox: a local exchange that speaks Hyperliquid's API. This version runs a "
            "short deterministic session on the exchange core and prints it."
        ),
    )
    parser.parse_args(argv)
    run()


if __name__ == "__main__":
    main()
