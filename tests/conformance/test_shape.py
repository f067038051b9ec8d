"""The comparator (shape.py) on small cases: it catches a missing key, an extra key, a change of
kind, a number sent as a JSON number where the venue sends a string, a wrong number-string
or address format, an empty list where the venue has elements, a wrong tuple length and a
wrong literal; it passes equal shapes with different values, and it honours the marks
(optional, nullable, maps, tuples, formats) and the `type` discriminator of list elements."""

from __future__ import annotations

import pytest

from tests.conformance.shape import Marks, compare, failures, string_format, value_kind

FILL = {"coin": "BTC", "px": "60000.0", "sz": "0.0147", "oid": 7, "crossed": True,
        "hash": "0x" + "ab" * 32, "liquidation": None}  # fmt: skip


def kinds(actual, example, marks=None) -> list[str]:
    return [d.kind for d in compare(actual, example, marks)]


def paths(actual, example, marks=None) -> list[str]:
    return [d.path for d in failures(compare(actual, example, marks))]


def test_equal_shapes_pass_whatever_the_values():
    actual = {"coin": "ETH", "px": "3000.5", "sz": "12.0", "oid": 123456789, "crossed": False,
              "hash": "0x" + "00" * 32, "liquidation": None}  # fmt: skip
    assert compare(actual, FILL) == []


def test_a_missing_key_is_reported_with_its_path():
    actual = {k: v for k, v in FILL.items() if k != "sz"}
    (difference,) = compare(actual, FILL)
    assert (difference.path, difference.kind) == ("$.sz", "missing")
    assert "missing" in str(difference)


def test_an_extra_key_is_reported():
    (difference,) = compare({**FILL, "twapId": None}, FILL)
    assert (difference.path, difference.kind) == ("$.twapId", "extra")


def test_a_change_of_kind_is_reported():
    (difference,) = compare({**FILL, "crossed": "true"}, FILL)
    assert (difference.path, difference.kind) == ("$.crossed", "kind")
    assert "str" in difference.message and "bool" in difference.message


def test_a_json_number_where_the_venue_sends_a_string():
    (difference,) = compare({**FILL, "px": 60000.0}, FILL)
    assert difference.path == "$.px"
    assert "a JSON number (60000.0) where the venue sends a string" in difference.message


def test_bool_is_not_an_int_and_int_is_not_a_float():
    assert kinds({"n": True}, {"n": 1}) == ["kind"]
    assert kinds({"n": 1}, {"n": 1.5}) == ["kind"]


@pytest.mark.parametrize(("text", "kind"), [
    ("60000.0", "decimal"), ("0.0147", "decimal"), ("-12.5", "decimal"), ("2000", "integer"),
    ("-3", "integer"), ("1e-05", "malformed number"), ("+1.0", "malformed number"),
    ("007", "malformed number"), (".5", "malformed number"), ("5.", "malformed number"),
    ("0x" + "a" * 40, "address"), ("0x" + "A" * 40, "hex"), ("0x" + "f" * 64, "hash"),
    ("0x" + "0" * 32, "cloid"), ("0x", "hex"), ("Open Long", "text"), ("2025-05-23", "text"),
    ("", "text"),
])  # fmt: skip
def test_string_formats(text, kind):
    assert string_format(text) == kind


@pytest.mark.parametrize("px", ["60000", "6e4", "+60000.0", "60000.00e0"])
def test_a_price_not_in_the_venues_decimal_format_is_reported(px):
    (difference,) = compare({**FILL, "px": px}, FILL)
    assert (difference.path, difference.kind) == ("$.px", "format")


def test_an_address_in_mixed_case_is_reported():
    example = {"user": "0x" + "ab" * 20}
    (difference,) = compare({"user": "0x" + "AB" * 20}, example)
    assert difference.kind == "format" and "address" in difference.message


def test_list_elements_are_compared_with_the_examples_elements():
    example = [FILL]
    actual = [FILL, {**FILL, "px": 1}]
    assert paths(actual, example) == ["$[1].px"]


def test_each_element_matches_the_closest_example_element():
    example = [{"a": "1.0"}, {"b": 1}]
    assert compare([{"b": 2}, {"a": "3.5"}], example) == []


def test_a_tuple_like_element_matches_the_example_element_of_its_kind():
    example = [["", {"a": "1.0", "b": "2.0"}]]
    (difference,) = compare([["xyz", {"a": "1.0", "b": 2}]], example)
    assert difference.path == "$[0][1].b"


def test_an_empty_list_where_the_venue_has_elements_cannot_pass():
    (difference,) = compare({"fills": []}, {"fills": [FILL]})
    assert (difference.path, difference.kind) == ("$.fills", "empty")
    assert compare({"fills": [FILL]}, {"fills": []}) == []  # nothing to compare against
    (note,) = compare({"fills": []}, {"fills": [FILL]}, Marks.of(optional={"$.fills"}))
    assert not note.is_failure


def test_elements_are_matched_by_their_type():
    example = [{"delta": {"type": "deposit", "usdc": "1.0"}},
               {"delta": {"type": "withdraw", "usdc": "1.0", "fee": "1.0"}}]  # fmt: skip
    assert compare([{"delta": {"type": "withdraw", "usdc": "2.0", "fee": "1.0"}}], example) == []
    (wrong,) = compare([{"delta": {"type": "deposit", "usdc": "2.0", "fee": "1.0"}}], example)
    assert (wrong.path, wrong.kind) == ("$[0].delta.fee", "extra")
    (note,) = compare([{"delta": {"type": "liquidation", "usdc": "2.0"}}], example)
    assert note.kind == "note" and not note.is_failure and "liquidation" in note.message


def test_optional_keys_may_be_absent_or_present():
    marks = Marks.of(optional={"$.liquidation", "$.builderFee"})
    without = {k: v for k, v in FILL.items() if k != "liquidation"}
    assert compare(without, FILL, marks) == []
    assert compare({**FILL, "builderFee": "0.01"}, FILL, marks) == []
    assert paths({**FILL, "cloid": None}, FILL, marks) == ["$.cloid"]


def test_optional_marks_apply_to_every_element():
    example = {"fills": [FILL]}
    marks = Marks.of(optional={"$.fills[*].twapId"})
    assert compare({"fills": [{**FILL, "twapId": None}, FILL]}, example, marks) == []


def test_nullable_values_may_be_null_on_either_side():
    marks = Marks.of(nullable={"$.liquidation", "$.px"})
    assert compare({**FILL, "liquidation": {"markPx": "1.0"}}, FILL, marks) == []
    assert compare({**FILL, "px": None}, FILL, marks) == []
    assert kinds({**FILL, "liquidation": {"markPx": "1.0"}}, FILL) == ["kind"]


def test_maps_compare_values_not_key_names():
    example = {"APE": "4.33245", "ARB": "1.21695"}
    marks = Marks.of(maps={"$"})
    assert compare({"BTC": "60000.0", "ETH": "3000.0"}, example, marks) == []
    assert paths({"BTC": 60000}, example, marks) == ["$.BTC"]
    assert kinds({}, example, marks) == ["empty"]


def test_tuples_are_compared_position_by_position():
    marks = Marks.of(tuples={"$.maxTradeSzs"})
    example = {"maxTradeSzs": ["1.0", "2.0"]}
    assert compare({"maxTradeSzs": ["3.0", "4.0"]}, example, marks) == []
    assert kinds({"maxTradeSzs": ["3.0"]}, example, marks) == ["length"]
    assert paths({"maxTradeSzs": ["3.0", 4]}, example, marks) == ["$.maxTradeSzs[1]"]


def test_literals_must_be_equal():
    marks = Marks.of(literals={"$.status"})
    assert compare({"status": "ok"}, {"status": "ok"}, marks) == []
    assert kinds({"status": "err"}, {"status": "ok"}, marks) == ["literal"]
    assert compare({"status": "err"}, {"status": "ok"}) == []  # text is text without the mark


def test_a_format_mark_stands_for_a_value_the_docs_elide():
    example = {"data": {"user": "0x..."}}
    marks = Marks.of(formats={"$.data.user": "address"})
    assert compare({"data": {"user": "0x" + "1" * 40}}, example, marks) == []
    assert kinds({"data": {"user": "alice"}}, example, marks) == ["format"]


def test_value_kinds():
    assert [value_kind(v) for v in (None, True, 1, 1.0, "", [], {})] == [
        "null", "bool", "int", "float", "str", "list", "object"]  # fmt: skip
