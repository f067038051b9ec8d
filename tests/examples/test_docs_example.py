"""docs/testing-adl.md shows tests/examples/test_adl_handling.py: the two stay the same."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_the_docs_show_the_example_that_runs():
    page = (ROOT / "docs" / "testing-adl.md").read_text()
    (shown,) = re.findall(r"```python\n(.*?)```", page, re.S)
    source = (ROOT / "tests" / "examples" / "test_adl_handling.py").read_text()
    assert shown == source[source.index("import eth_account") :]
