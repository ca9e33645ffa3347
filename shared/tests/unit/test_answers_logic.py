"""What the HTTP answers may say, and the guards before any route, without servers."""

import time

import jwt
import pytest

from opp_shared.auth import refusal
from opp_shared.web.middleware import has_non_finite_number
from opp_shared.web.problems import MAX_ECHO, shorten_echoes
from opp_shared.web.security import FailedAuthentications


def test_the_remembered_clients_are_bounded_and_the_oldest_forgotten():
    failures = FailedAuthentications(limit=2, window_seconds=60, max_clients=100)
    for n in range(1_000):
        failures.failed(f"10.0.{n // 256}.{n % 256}")
    assert len(failures._windows) == 100
    failures.failed("10.0.3.231")
    assert failures.retry_after("10.0.3.231") is not None  # the newest are kept
    assert failures.retry_after("10.0.0.0") is None  # the oldest forgotten
    assert next(reversed(failures._windows)) == "10.0.3.231"


def test_an_address_is_slowed_only_past_the_limit_and_only_until_its_window_ends():
    failures = FailedAuthentications(limit=3, window_seconds=0.05, max_clients=10)
    for _ in range(2):
        failures.failed("a")
    assert failures.retry_after("a") is None
    failures.failed("a")
    assert failures.retry_after("a") == 1  # whole seconds, at least one
    assert failures.retry_after("b") is None
    time.sleep(0.06)
    assert failures.retry_after("a") is None
    failures.failed("a")  # a new window starts with this failure
    assert failures.retry_after("a") is None


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        (b'{"a": NaN}', True),
        (b'{"a": [Infinity]}', True),
        (b'{"a": {"b": -Infinity}}', True),
        (b'{"a": 1e999}', True),
        (b'{"a": -2E+400}', True),
        (b'{"a": 1e300, "b": 2.5e-300}', False),
        (b'{"a": "NaN and Infinity and 1e999 in text"}', False),
        (b'{"a": 123456789012345678901234567890}', False),  # an integer: the field types bound it
        (b"{not json NaN", False),  # not JSON at all: the route answers that
        (b"[" * 100_000 + b"1e999" + b"]" * 100_000, False),  # too deep to read here: the route answers that
    ],
)
def test_numbers_that_are_not_finite_are_found_anywhere_in_a_json_body(body, refused):
    assert has_non_finite_number(body) is refused


def test_echoes_of_the_callers_values_are_cut_short():
    long_id = "x" * 1000
    detail = shorten_echoes(f"no partner with id {long_id!r}; and 'short' stays")
    assert detail == "no partner with id '" + "x" * MAX_ECHO + "…'; and 'short' stays"
    assert len(shorten_echoes("word " * 1000)) == 301


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (jwt.ExpiredSignatureError("Signature has expired"), "the bearer token has expired"),
        (jwt.InvalidSignatureError("Signature verification failed"), "the bearer token's signature does not verify"),
        (jwt.DecodeError("Invalid header padding"), "the bearer token is malformed"),
        (jwt.InvalidAudienceError("Audience doesn't match"), "the bearer token is not meant for this service"),
        (
            jwt.MissingRequiredClaimError("sub"),
            "the bearer token lacks a required claim (sub, exp and iat are required)",
        ),
        (
            jwt.PyJWKClientError('Unable to find a signing key that matches: "k1"'),
            "the bearer token's signing key is not one of the identity provider's",
        ),
        (jwt.exceptions.InvalidJTIError("JTI must be a string"), "the bearer token was refused"),
    ],
)
def test_a_refused_token_is_explained_in_the_platforms_words(error, words):
    assert refusal(error) == words
