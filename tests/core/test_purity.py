"""sandbox/core does no I/O, reads no clock and draws no randomness: checked on its imports
and on the builtins it calls."""

import ast
import pathlib

import protocol
import sandbox.core

CORE = pathlib.Path(sandbox.core.__file__).parent
FORBIDDEN_MODULES = {
    "asyncio", "aiohttp", "websockets", "socket", "ssl", "select", "selectors", "threading",
    "multiprocessing", "subprocess", "time", "datetime", "random", "secrets", "os", "sys",
    "io", "pathlib", "shutil", "tempfile", "logging", "urllib", "http", "requests", "uuid",
    "signal", "sched", "concurrent", "sqlite3", "pickle",
}  # fmt: skip
FORBIDDEN_CALLS = {"open", "input", "print", "exec", "eval", "__import__", "breakpoint"}
CORE_MAY_IMPORT = ("sandbox.core", "protocol")


def violations(source: str, own_packages: tuple[str, ...]) -> list[str]:
    """What in `source` breaks purity: forbidden modules, project packages outside
    `own_packages`, and I/O builtins."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in FORBIDDEN_CALLS
        ):
            found.append(f"calls {node.func.id}()")
        for name in names:
            top = name.split(".")[0]
            foreign = top in ("sandbox", "protocol", "bots") and not any(
                name == p or name.startswith(p + ".") for p in own_packages
            )
            if top in FORBIDDEN_MODULES or foreign:
                found.append(f"imports {name}")
    return found


def test_the_check_finds_what_it_looks_for():
    source = "import time\nfrom random import choice\nfrom sandbox.server import x\nopen('f')\n"
    assert violations(source, CORE_MAY_IMPORT) == [
        "imports time",
        "imports random",
        "imports sandbox.server",
        "calls open()",
    ]


def test_core_is_pure():
    for path in sorted(CORE.rglob("*.py")):
        assert violations(path.read_text(), CORE_MAY_IMPORT) == [], path.name


def test_protocol_depends_on_nothing_else_here():
    for path in sorted(pathlib.Path(protocol.__file__).parent.rglob("*.py")):
        found = [
            v for v in violations(path.read_text(), ("protocol",)) if "sandbox" in v or "bots" in v
        ]
        assert found == [], path.name
