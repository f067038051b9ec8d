"""From the sandbox's answers to one venue item's verdict (an `Outcome`): each answer is
compared with the venue's example of its variant (shape.py), and the item is

- served-in-shape: every answer has the example's shape;
- differs: some answer does not (the differences say where), or a refusal is not clear;
- refused: the sandbox refuses the item (for /exchange, with an `{"status": "err"}` body);
  acceptable only for items the sandbox deliberately does not model;
- empty: the only differences are empty lists where the venue's example has elements, for
  items the sandbox deliberately serves as well-formed empty placeholders.

Differences of kind `note` (a sandbox element of a variant the example has no element of)
and variants the sandbox cannot be asked for (e.g. a vault's role) never fail an item; they
are listed as notes. A variant that was asked for and got no answer fails it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.conformance.shape import EMPTY as EMPTY_KIND
from tests.conformance.shape import compare
from tests.conformance.venue_examples import EXAMPLES, Example
from tests.conformance.world import DIFFERS, EMPTY, IN_SHAPE, NO_EXAMPLE, REFUSED, Outcome


@dataclass
class Answers:
    """What the sandbox answered for each variant of an item: (label, value) pairs, a
    refusal if it refused the item, and notes."""

    by_variant: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)
    refusal: str | None = None
    refusal_is_clear: bool = True
    notes: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # variant -> why it is not asked
    failures: list[str] = field(default_factory=list)  # what went wrong getting an answer

    def add(self, variant: str, value: Any, label: str = "") -> None:
        self.by_variant.setdefault(variant, []).append((label, value))

    def skip(self, variant: str, reason: str) -> None:
        self.skipped[variant] = reason


def examples_of(kind: str, name: str) -> list[Example]:
    return [e for e in EXAMPLES[kind][name] if e.has_example]


def sources_of(kind: str, name: str) -> str:
    return "; ".join(dict.fromkeys(e.source for e in examples_of(kind, name)))


def judge(kind: str, name: str, answers: Answers, *, placeholder: bool = False) -> Outcome:
    outcome = Outcome(kind, name, sources_of(kind, name), notes=list(answers.notes))
    if answers.refusal is not None:
        outcome.status = REFUSED if answers.refusal_is_clear else DIFFERS
        outcome.differences.append(answers.refusal if answers.refusal_is_clear
                                   else f"not a clear refusal: {answers.refusal}")  # fmt: skip
        return outcome
    empty_only = not answers.failures
    outcome.differences += answers.failures
    for example in examples_of(kind, name):
        got = answers.by_variant.get(example.variant, [])
        variant = example.variant or name
        if not got:
            if example.variant in answers.skipped:
                outcome.notes.append(f"variant {variant!r} not asked: "
                                     f"{answers.skipped[example.variant]}")  # fmt: skip
            else:
                outcome.differences.append(f"[{variant}] the sandbox gave no answer to compare")
                empty_only = False
            continue
        for label, value in got:
            where = f"[{variant}{' ' + label if label else ''}]"
            if placeholder and value is None:
                outcome.differences.append(f"{where} $: null (an empty placeholder)")
                continue
            for difference in compare(value, example.response, example.marks):
                if not difference.is_failure:
                    outcome.notes.append(f"{where} {difference}")
                    continue
                empty_only &= difference.kind == EMPTY_KIND
                outcome.differences.append(f"{where} {difference}")
    if outcome.differences:
        outcome.status = EMPTY if placeholder and empty_only else DIFFERS
    return outcome


def acceptable(outcome: Outcome, *, refusable: bool) -> bool:
    """Does the item pass: in shape, or a clear refusal of what the sandbox does not model,
    or the empty placeholder the sandbox documents."""
    if outcome.status == REFUSED:
        return refusable
    return outcome.status in (IN_SHAPE, EMPTY)


def no_example(kind: str, name: str) -> Outcome:
    reasons = [e.missing for e in EXAMPLES[kind][name] if e.missing]
    return Outcome(kind, name, "-", NO_EXAMPLE, notes=reasons)


__all__ = ["Answers", "acceptable", "examples_of", "judge", "no_example"]
