"""Every service held to its own OpenAPI document by schemathesis.

The four services run as real processes against the session's real servers;
schemathesis reads each one's `/openapi.json` and sends, per operation, a
bounded number of generated requests (valid ones, and invalid ones the
document says are wrong) with an admin token. A test fails on any 5xx and on
any answer whose status, content type, headers or body the document does not
describe.

`OPP_FUZZ_EXAMPLES` (default 10) sets the examples per operation and mode: the
suite's run is a smoke test of the contract; a longer one is a loop away
(`OPP_FUZZ_EXAMPLES=200 .venv/bin/python -m pytest tests/integration/test_openapi_fuzzing.py`).
"""

from __future__ import annotations

import importlib
import os

import pytest
import schemathesis
from fastapi.responses import JSONResponse
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from opp_devstack.manifest import services
from opp_shared.testing.helpers import auth, new_namespace
from opp_shared.testing.processes import ServiceProcess

EXAMPLES = int(os.environ.get("OPP_FUZZ_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ADMIN = auth("admin", sub="fuzzer")
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same requests on every run: a failure here is reproducible
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def running_services(servers, tmp_path_factory):
    namespace = new_namespace()
    log_dir = tmp_path_factory.mktemp("fuzzed-services")
    started = {}
    try:
        for name, service in services().items():
            env = {
                "OPP_MONGO_URL": servers.mongo_url,
                "OPP_MONGO_DATABASE": f"{namespace}_{service.database}",
                "OPP_KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap,
                "OPP_KAFKA_NAMESPACE": f"{namespace}.",
                "OPP_KAFKA_TOPIC_PARTITIONS": "1",
                "OPP_LOG_JSON": "false",
                "OPP_LOG_LEVEL": "WARNING",
                # One client sends every request, refused tokens included.
                "OPP_AUTH_FAILURE_LIMIT": "1000000",
                "OPP_SCHEDULER_INTERVAL_SECONDS": "3600",
            }
            started[name] = ServiceProcess(name, env, log_dir).start()
        for process in started.values():
            process.wait_until()
        yield started
    finally:
        for process in started.values():
            process.stop()


def _schema(name: str):
    """The service's document as its app builds it (the one it serves; `test_openapi_documents` checks that)."""
    config = schemathesis.Config()
    config.projects.get_default().generation.update(
        modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
        max_examples=EXAMPLES,
    )
    document = importlib.import_module(f"{name}.main").create_app().openapi()
    return schemathesis.openapi.from_dict(document, config=config)


def _validate(case, running_services, name: str) -> None:
    try:
        case.call_and_validate(base_url=running_services[name].url, headers=ADMIN, checks=CHECKS, timeout=30)
    except BaseException:
        print(running_services[name].log())
        raise


partners = _schema("partners")
funding = _schema("funding")
techtransfer = _schema("techtransfer")
notifications = _schema("notifications")


@partners.parametrize()
@FUZZ
def test_partners_answers_as_documented(case, running_services):
    _validate(case, running_services, "partners")


@funding.parametrize()
@FUZZ
def test_funding_answers_as_documented(case, running_services):
    _validate(case, running_services, "funding")


@techtransfer.parametrize()
@FUZZ
def test_techtransfer_answers_as_documented(case, running_services):
    _validate(case, running_services, "techtransfer")


@notifications.parametrize()
@FUZZ
def test_notifications_answers_as_documented(case, running_services):
    _validate(case, running_services, "notifications")


def test_the_checks_fail_on_a_server_error_and_on_an_answer_the_document_does_not_describe():
    """The checks above can fail: a toy app whose answers break its own document."""
    from fastapi import FastAPI
    from pydantic import BaseModel

    class Count(BaseModel):
        n: int

    toy = FastAPI()

    @toy.get("/count", response_model=Count, operation_id="count")
    async def count() -> JSONResponse:
        return JSONResponse({"n": "many"})  # not an integer

    @toy.get("/crash", operation_id="crash")
    async def crash() -> JSONResponse:
        return JSONResponse({"detail": "boom"}, status_code=500)

    schema = schemathesis.openapi.from_asgi("/openapi.json", toy)
    for path, found in (("/count", "Response violates schema"), ("/crash", "Server error")):
        with pytest.raises(BaseExceptionGroup, match=found):  # schemathesis raises a group of failures
            schema[path]["GET"].Case().call_and_validate(checks=CHECKS)
