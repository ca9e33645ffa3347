"""Cases of bad input for a service's API, sent over HTTP and judged (for the services' bad-input tests).

A case names a request and the problem it must answer: its status, and where
named the field error's JSON pointer or parameter and members of the
problem. `{name}` placeholders in a case's path, headers, parameters and
body (keys too) are filled with the ids of the test's world when it is sent,
so cases can be written before the world exists. Whether a refused request
changed nothing is the test's to check, around `send`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

PROBLEM = "application/problem+json"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def problem_of(
    answer: httpx.Response, status: int, *, pointer: str | None = None, parameter: str | None = None
) -> dict[str, Any]:
    """The answer is the RFC 9457 problem with this status (and this field error, when named)."""
    assert answer.status_code == status, f"expected {status}, got {answer.status_code}: {answer.text[:600]}"
    assert answer.headers["content-type"] == PROBLEM, answer.headers.get("content-type")
    body = answer.json()
    for member in ("type", "title", "status", "detail"):
        assert member in body, (member, body)
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"].startswith("urn:opp:problem:"), body["type"]
    assert isinstance(body["title"], str) and body["title"] and isinstance(body["detail"], str) and body["detail"]
    if status == 401:
        assert answer.headers.get("www-authenticate", "").startswith("Bearer"), answer.headers
    if pointer is not None:
        pointers = [e.get("pointer") for e in body.get("errors", [])]
        assert pointer in pointers, f"no error points at {pointer}: {body}"
    if parameter is not None:
        parameters = [e.get("parameter") for e in body.get("errors", [])]
        assert parameter in parameters, f"no error names {parameter}: {body}"
    return body


def fill(value: Any, ids: dict[str, str]) -> Any:
    """Put the world's ids into a case: `{partner}` in strings (keys too), recursively."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: ids.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {fill(k, ids): fill(v, ids) for k, v in value.items()}
    return value


@dataclass
class Case:
    method: str
    path: str
    status: int
    body: Any = None  # sent as JSON unless `content` is given
    content: bytes | None = None  # sent as it is (placeholders filled byte by byte: it may not be UTF-8)
    headers: dict[str, str] | None = None  # None: the test's writer
    params: dict[str, Any] | None = None
    pointer: str | None = None
    parameter: str | None = None
    json_body: bool = True  # send `body` as JSON (False: no body at all)
    expect: dict[str, Any] | None = None  # members the problem must carry


NO_BODY = object()


def case(id_: str, method: str, path: str, status: int, body: Any = NO_BODY, *, marks=(), **options: Any) -> Any:
    """A `pytest.param` of a case: `case("name-null", "POST", P, 422, {...}, pointer="#/name")`."""
    if body is NO_BODY:
        options.setdefault("json_body", False)
        body = None
    return pytest.param(Case(method, path, status, body=body, **options), id=id_, marks=marks)


async def send(client: httpx.AsyncClient, c: Case, ids: dict[str, str], *, writer: dict[str, str]) -> httpx.Response:
    kwargs: dict[str, Any] = {"headers": fill(writer if c.headers is None else c.headers, ids)}
    if c.params is not None:
        kwargs["params"] = fill(c.params, ids)
    if c.content is not None:
        content = c.content
        for name, value in ids.items():
            content = content.replace(b"{" + name.encode() + b"}", value.encode())
        kwargs["content"] = content
    elif c.json_body:
        kwargs["json"] = fill(c.body, ids)
    return await client.request(c.method, fill(c.path, ids), **kwargs)


def judge(answer: httpx.Response, c: Case, ids: dict[str, str]) -> dict[str, Any]:
    """The answer is the case's problem, with the members it expects."""
    body = problem_of(answer, c.status, pointer=c.pointer, parameter=c.parameter)
    for member, value in fill(c.expect or {}, ids).items():
        assert body.get(member) == value, (member, body)
    return body
