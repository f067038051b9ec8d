"""A run narrated to a terminal: a progress bar with the day clock, the lines above it; and
one summary format for money."""

from __future__ import annotations

import io
import re

import rich.console

from sandbox.sim import player

SHORT = """
name = "short"
duration = "2m"
[markets.BTC]
price = "60000"
feed = "walk"
[[makers]]
[[events]]
at = "1m"
do = "note"
say = "halfway [bracketed, as written]"
"""


async def test_a_run_on_a_terminal_shows_its_progress_and_the_summary(tmp_path, monkeypatch):
    (tmp_path / "short.toml").write_text(SHORT)
    screen = io.StringIO()
    console = rich.console.Console(file=screen, force_terminal=True, width=120)
    made = player._progress(True, console)  # on a terminal of the test's own
    monkeypatch.setattr(player, "_progress", lambda is_terminal: made)
    monkeypatch.setattr(player.sys.stdout, "isatty", lambda: True, raising=False)
    report = await player.run(str(tmp_path / "short.toml"), results=tmp_path / "out")
    text = screen.getvalue()
    assert "[day 1 00:01:00] halfway [bracketed, as written]" in text  # not read as markup
    assert "summary of short" in text and "conservation" in text
    assert report.invariants["ok"]
    assert "$$" not in text and re.search(r"vault: capital \$5,000,000\.00", text)
