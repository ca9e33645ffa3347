import pytest
from pydantic import TypeAdapter, ValidationError

from opp_shared.auth import Principal, Role
from opp_shared.errors import InvalidInput
from opp_shared.fields import CountryCode, CurrencyCode, Email, LongText, Name, PersonId, Phone, Url
from opp_shared.pagination import _after, decode_cursor, encode_cursor
from opp_shared.web.http import parse_if_match, person_or_me


@pytest.mark.parametrize(
    "kind, good, bad",
    [
        (CountryCode, ["GB", "cn", "de"], ["UK", "XX", "GBR", "", "1A"]),
        (CurrencyCode, ["EUR", "cny"], ["EURO", "XYZ", ""]),
        (
            Name,
            ["Tsinghua University", "清华大学", "École polytechnique"],
            ["", " ", "a\x00b", "a\nb", "x" * 201, "a\ud800"],
        ),
        (LongText, ["line one\nline two\ttab"], ["bell\x07", "x" * 10_001]),
        (Email, ["someone@cam.ac.uk"], ["not-an-email", "a@", "@b.c"]),
        (Phone, ["+44 1223 337733", "010-62782015"], ["call me", "+"]),
        (Url, ["https://www.tsinghua.edu.cn/en/"], ["javascript:alert(1)", "ftp://x", "http://"]),
        (
            PersonId,
            ["alice", "auth0|5f2a", "ada@tsinghua.edu.cn", "248289761001", "x" * 255],
            ["", "a\nb", "a\x00", "$where", "x" * 256],
        ),
    ],
)
def test_field_types_accept_good_and_refuse_bad_values(kind, good, bad):
    adapter = TypeAdapter(kind)
    for value in good:
        adapter.validate_python(value)
    for value in bad:
        with pytest.raises(ValidationError):
            adapter.validate_python(value)


def test_country_codes_are_upper_cased():
    assert TypeAdapter(CountryCode).validate_python("jp") == "JP"


def test_cursor_round_trip_and_garbage():
    cursor = encode_cursor(["b", "ptn_2"])
    assert decode_cursor(cursor, 2) == ["b", "ptn_2"]
    for garbage in ["%%%", encode_cursor(["only-one"]), encode_cursor([{"$gt": ""}, "x"]), "e30"]:
        with pytest.raises(InvalidInput):
            decode_cursor(garbage, 2)


def test_keyset_condition_is_strictly_after_the_last_item():
    assert _after([("name_key", 1), ("_id", 1)], ["b", "x"]) == {
        "$or": [{"name_key": {"$gt": "b"}}, {"name_key": "b", "_id": {"$gt": "x"}}]
    }
    assert _after([("created_at", -1), ("_id", -1)], ["t", "x"]) == {
        "$or": [{"created_at": {"$lt": "t"}}, {"created_at": "t", "_id": {"$lt": "x"}}]
    }


@pytest.mark.parametrize("header, version", [(None, None), ("*", None), ('"3"', 3), ('W/"12"', 12)])
def test_if_match_parses_etags(header, version):
    assert parse_if_match(header) == version


@pytest.mark.parametrize("header", ["3", '"abc"', '"1", "2"', '"99999999999999999"'])
def test_if_match_refuses_what_we_never_gave_out(header):
    with pytest.raises(InvalidInput):
        parse_if_match(header)


def test_a_person_id_is_kept_exactly_as_the_token_has_it():
    assert TypeAdapter(PersonId).validate_python(" alice ") == " alice "


def test_me_is_the_caller_in_a_person_filter():
    caller = Principal(sub="ada", roles=frozenset({Role.VIEWER}))
    assert person_or_me("me", caller) == "ada"
    assert person_or_me("ben", caller) == "ben"
    assert person_or_me(None, caller) is None
