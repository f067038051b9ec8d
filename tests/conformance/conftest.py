"""One served sandbox for the whole conformance suite, put in a state where every venue item
has content (world.py), and stopped at the end with its invariants checked."""

from __future__ import annotations

import pytest

from tests.conformance.world import World, build_world


@pytest.fixture(scope="session")
def world() -> World:
    world = build_world()
    yield world
    try:
        assert world.sandbox.invariants()["ok"], "an invariant failed during the suite"
    finally:
        world.sandbox.stop()
