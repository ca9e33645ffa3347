import time

import jwt
import pytest

from opp_shared.auth import Principal, Role, TokenVerifier, issue_local_token
from opp_shared.errors import Unauthenticated

SECRET = "test-secret-which-is-long-enough-for-hs256"


def verifier():
    return TokenVerifier(secret=SECRET)


def test_a_local_token_verifies_with_its_roles():
    principal = verifier().verify(issue_local_token(SECRET, "alice", ["admin", "viewer"]))
    assert principal == Principal("alice", frozenset({Role.ADMIN, Role.VIEWER}))
    assert principal.addresses == ["user:alice", "role:admin", "role:viewer"]


def test_unknown_roles_are_ignored():
    token = jwt.encode(
        {"sub": "bob", "roles": ["viewer", "janitor"], "iat": int(time.time()), "exp": int(time.time()) + 60},
        SECRET,
        "HS256",
    )
    assert verifier().verify(token).roles == frozenset({Role.VIEWER})


@pytest.mark.parametrize(
    "claims",
    [
        {"roles": ["admin"]},  # no sub
        {"sub": "x", "roles": "admin"},  # roles not a list
        {"sub": "x", "roles": ["admin"], "exp": int(time.time()) - 3600},  # expired
    ],
)
def test_bad_claims_are_refused(claims):
    claims = {"iat": int(time.time()), "exp": int(time.time()) + 60} | claims
    with pytest.raises(Unauthenticated):
        verifier().verify(jwt.encode(claims, SECRET, "HS256"))


def test_wrong_signature_and_none_algorithm_are_refused():
    with pytest.raises(Unauthenticated):
        verifier().verify(issue_local_token("another-secret-of-sufficient-length!!", "eve", ["admin"]))
    unsigned = jwt.encode({"sub": "eve", "roles": ["admin"], "iat": 1, "exp": 2**40}, None, algorithm="none")
    with pytest.raises(Unauthenticated):
        verifier().verify(unsigned)
    with pytest.raises(Unauthenticated):
        verifier().verify("not-a-jwt")


def test_issuing_an_unknown_role_is_an_error():
    with pytest.raises(ValueError):
        issue_local_token(SECRET, "x", ["superuser"])
