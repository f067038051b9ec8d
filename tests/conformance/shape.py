"""Compare a sandbox response with one of the venue's own example responses, field by field.

What is compared (and what is not):

- **Key sets.** A key of the venue's example missing from the sandbox's answer, or a key the
  sandbox sends that the example does not have, is a difference, unless the example marks
  the path `optional` (a field the venue sends only sometimes, e.g. `builderFee`).
- **Value kinds.** null, bool, int, float, str, list, object, recursively. A JSON number where
  the venue sends a decimal string is reported as such. A path marked `nullable` may be null
  on either side.
- **String formats.** Every string is classified: `decimal` (the venue's `"60000.0"`,
  `"0.0147"`, `"-12.5"`: digits, one point, no exponent, no `+`), `integer` (`"2000"`),
  `address` (lowercase 0x + 40 hex), `hash` (lowercase 0x + 64 hex), `cloid` (0x + 32 hex),
  `hex` (any other 0x string, e.g. an address in mixed case), `malformed number` (`"1e-05"`,
  `"+1.0"`, `"007"`, `".5"`) and `text`. The sandbox's class must equal the example's.
- **Lists.** Each element of the sandbox's list is compared with the example's element it
  matches best (the one of the same kind with the fewest differences; among elements of
  the same `type` discriminator when the elements carry one). A sandbox element whose `type` the example
  has no element of cannot be verified: that is a `note`, not a difference. Paths marked
  `tuples` are compared position by position and must have the example's length. An empty
  sandbox list where the example has elements is a difference of kind `empty`: nothing
  could be compared (a `note` when the list is an optional field).
- **Maps.** Objects marked `maps` (e.g. allMids, coin -> price) have keys of their own: each
  value is compared with the example's values, the key names are not.
- **Literals.** Paths marked `literals` (e.g. `$.status` of an /exchange answer) must carry
  the example's very string.

Values themselves (prices, sizes, ids) are never compared: the sandbox's state is its own.

`compare(actual, example, **marks)` returns the differences, each with the JSON path where
it was found (`$.assetPositions[0].position.szi`); marks are given as path patterns, with
`[*]` for "any element" (`$.assetPositions[*].position.leverage.rawUsd`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+")
INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
NUMBERISH = re.compile(r"[+-]?[0-9]*\.?[0-9]*(?:[eE][+-]?[0-9]+)?")
ADDRESS = re.compile(r"0x[0-9a-f]{40}")
HASH = re.compile(r"0x[0-9a-f]{64}")
CLOID = re.compile(r"0x[0-9a-f]{32}")
HEX = re.compile(r"0x[0-9a-fA-F]*")

# kinds of difference; `note` is information, not a failure
MISSING, EXTRA, KIND, FORMAT, LENGTH, EMPTY, LITERAL, NOTE = (
    "missing", "extra", "kind", "format", "length", "empty", "literal", "note",
)  # fmt: skip


@dataclass(frozen=True)
class Difference:
    path: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    @property
    def is_failure(self) -> bool:
        return self.kind != NOTE


@dataclass(frozen=True)
class Marks:
    """Path patterns (with `[*]`) that relax or tighten the comparison for one example."""

    optional: frozenset[str] = frozenset()
    nullable: frozenset[str] = frozenset()
    maps: frozenset[str] = frozenset()
    tuples: frozenset[str] = frozenset()
    literals: frozenset[str] = frozenset()
    formats: Mapping[str, str] = field(default_factory=dict)  # path -> the venue's format

    @classmethod
    def of(cls, **marks: Iterable[str] | Mapping[str, str]) -> Marks:
        formats = dict(marks.pop("formats", {}) or {})
        return cls(**{k: frozenset(v) for k, v in marks.items()}, formats=formats)


def value_kind(value: Any) -> str:
    """The JSON kind of a decoded value: null, bool, int, float, str, list or object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def string_format(text: str) -> str:
    """The venue-relevant class of a string (see the module docstring)."""
    if HASH.fullmatch(text):
        return "hash"
    if ADDRESS.fullmatch(text):
        return "address"
    if CLOID.fullmatch(text):
        return "cloid"
    if HEX.fullmatch(text):
        return "hex"
    if DECIMAL.fullmatch(text):
        return "decimal"
    if INTEGER.fullmatch(text):
        return "integer"
    if any(c.isdigit() for c in text) and NUMBERISH.fullmatch(text):
        return "malformed number"
    return "text"


def compare(actual: Any, example: Any, marks: Marks | None = None) -> list[Difference]:
    """Every difference between the sandbox's `actual` and the venue's `example`."""
    return _Comparison(marks or Marks()).value(actual, example, "$", "$")


def failures(differences: Iterable[Difference]) -> list[Difference]:
    return [d for d in differences if d.is_failure]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class _Comparison:
    def __init__(self, marks: Marks) -> None:
        self.marks = marks

    # -- dispatch ---------------------------------------------------------------------------

    def value(self, actual: Any, example: Any, path: str, pattern: str) -> list[Difference]:
        if pattern in self.marks.nullable and (actual is None or example is None):
            return []
        got, want = value_kind(actual), value_kind(example)
        if got != want:
            return [self._kind_difference(actual, example, path, got, want)]
        if want == "object":
            if pattern in self.marks.maps:
                return self.map(actual, example, path, pattern)
            return self.object(actual, example, path, pattern)
        if want == "list":
            if pattern in self.marks.tuples:
                return self.tuple(actual, example, path, pattern)
            return self.list(actual, example, path, pattern)
        if want == "str":
            return self.string(actual, example, path, pattern)
        return []

    def _kind_difference(self, actual, example, path, got, want) -> Difference:
        if want == "str" and got in ("int", "float"):
            message = (f"a JSON number ({actual!r}) where the venue sends a string "
                       f"({example!r}, {string_format(example)})")  # fmt: skip
        else:
            message = f"{got} ({_short(actual)}) where the venue has {want} ({_short(example)})"
        return Difference(path, KIND, message)

    # -- scalars ----------------------------------------------------------------------------

    def string(self, actual: str, example: str, path: str, pattern: str) -> list[Difference]:
        if pattern in self.marks.literals and actual != example:
            return [Difference(path, LITERAL, f"{actual!r} where the venue has {example!r}")]
        want = self.marks.formats.get(pattern) or string_format(example)
        got = string_format(actual)
        if got != want:
            return [Difference(path, FORMAT,
                               f"{got} string {actual!r} where the venue sends a {want} "
                               f"string ({example!r})")]  # fmt: skip
        return []

    # -- objects ----------------------------------------------------------------------------

    def object(self, actual: dict, example: dict, path: str, pattern: str) -> list[Difference]:
        out: list[Difference] = []
        for key in example:
            sub, sub_pattern = f"{path}.{key}", f"{pattern}.{key}"
            if key not in actual:
                if sub_pattern not in self.marks.optional:
                    out.append(Difference(sub, MISSING,
                                          f"missing (the venue sends {_short(example[key])})"))  # fmt: skip
                continue
            out += self.value(actual[key], example[key], sub, sub_pattern)
        for key in actual:
            if key not in example and f"{pattern}.{key}" not in self.marks.optional:
                out.append(Difference(f"{path}.{key}", EXTRA,
                                      f"extra key (sandbox sends {_short(actual[key])}; "
                                      "not in the venue's example)"))  # fmt: skip
        return out

    def map(self, actual: dict, example: dict, path: str, pattern: str) -> list[Difference]:
        items = list(example.values())
        if not items:
            return []
        if not actual:
            return [Difference(path, EMPTY, f"empty object; the venue's example has {len(items)}"
                                            " entries (nothing to compare)")]  # fmt: skip
        out: list[Difference] = []
        for key, value in actual.items():
            out += self.best(value, items, f"{path}.{key}", f"{pattern}.*")
        return out

    # -- lists ------------------------------------------------------------------------------

    def tuple(self, actual: list, example: list, path: str, pattern: str) -> list[Difference]:
        out: list[Difference] = []
        if len(actual) != len(example):
            out.append(
                Difference(
                    path, LENGTH, f"{len(actual)} elements where the venue has {len(example)}"
                )
            )
        for i, (got, want) in enumerate(zip(actual, example, strict=False)):
            out += self.value(got, want, f"{path}[{i}]", f"{pattern}[{i}]")
        return out

    def list(self, actual: list, example: list, path: str, pattern: str) -> list[Difference]:
        if not example:
            return []
        if not actual:
            kind = NOTE if pattern in self.marks.optional else EMPTY
            return [Difference(path, kind, f"empty list; the venue's example has {len(example)} "
                                           "elements (nothing to compare)")]  # fmt: skip
        out: list[Difference] = []
        for i, element in enumerate(actual):
            out += self.best(element, example, f"{path}[{i}]", f"{pattern}[*]")
        return out

    def best(self, actual: Any, candidates: list, path: str, pattern: str) -> list[Difference]:
        """The differences with the candidate the element matches best."""
        tag = _discriminant(actual)
        if tag is not None:
            tagged = [c for c in candidates if _discriminant(c) is not None]
            if tagged:
                candidates = [c for c in tagged if _discriminant(c) == tag]
                if not candidates:
                    known = sorted({str(_discriminant(c)) for c in tagged})
                    return [Difference(path, NOTE,
                                       f"unverified: the venue's example has no element of "
                                       f"type {tag!r} (it has {', '.join(known)})")]  # fmt: skip
        same_kind = [c for c in candidates if value_kind(c) == value_kind(actual)]
        results = [self.value(actual, c, path, pattern) for c in same_kind or candidates]
        return min(results, key=lambda r: len(failures(r)))


def _discriminant(value: Any) -> str | None:
    """The `type` that tells variants of a list's elements apart (`type`, or `delta.type`)."""
    if not isinstance(value, dict):
        return None
    for holder in (value, value.get("delta")):
        if isinstance(holder, dict) and isinstance(holder.get("type"), str):
            return holder["type"]
    return None


__all__ = ["Difference", "Marks", "compare", "failures", "string_format", "value_kind"]
