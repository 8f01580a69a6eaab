"""The OpenAPI document is valid and describes exactly what the API does (checked by Schemathesis)."""

from __future__ import annotations

import copy
import re
from collections import Counter

import jsonschema_rs
import pytest
import schemathesis
from api_support import add, bearer, new_token, remove, rename, take_ids
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from registry_admin.api.openapi import DOCUMENT

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
OPERATIONS = [(path, method.upper()) for path, item in DOCUMENT["paths"].items() for method in item]
# Negative data needs something to negate: a parameter or a body.
WITH_INPUT = [
    (path, method)
    for path, method in OPERATIONS
    if {"parameters", "requestBody"} & set(DOCUMENT["paths"][path][method.lower()])
]
HELSINKI = "0201256-6"
REGISTERED = [HELSINKI, *take_ids(3, start=6_000_000)]
UNREGISTERED = take_ids(2, start=6_100_000)
MAX_EXAMPLES = 40


def is_secured(path: str, method: str) -> bool:
    operation = DOCUMENT["paths"][path][method.lower()]
    return bool(operation.get("security", DOCUMENT["security"]))


def run_cases(strategy, call) -> Counter:
    """Draw up to MAX_EXAMPLES cases; `call(case)` sends and checks one. Returns the statuses."""
    statuses: Counter = Counter()

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
    )
    @given(case=strategy)
    def run(case):
        statuses[call(case)] += 1

    run()
    return statuses


@pytest.fixture
def seeded(sqlite_app):
    """The application with a few registered and removed organizations and a token."""
    for bid in REGISTERED:
        add(sqlite_app, bid, f"Organization {bid}", source="municipality")
    rename(sqlite_app, REGISTERED[1], "Renamed Oy")
    add(sqlite_app, UNREGISTERED[0], "Removed ry")
    remove(sqlite_app, UNREGISTERED[0])
    return sqlite_app, new_token(sqlite_app, "schemathesis")


@pytest.fixture
def api_schema(seeded):
    app, token = seeded
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app), token


def test_the_document_is_valid_openapi_3(api_schema):
    schema, _token = api_schema

    assert DOCUMENT["openapi"].startswith("3.0.")
    schema.validate()  # against the OpenAPI 3.0 meta-schema bundled with Schemathesis

    # The validator is live: a broken copy is refused.
    broken = copy.deepcopy(DOCUMENT)
    del broken["paths"]["/api/v1/changes"]["get"]["responses"]
    with pytest.raises(jsonschema_rs.ValidationError):
        schemathesis.openapi.from_dict(broken).validate()


def test_every_reference_resolves():
    def refs(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    found = set(refs(DOCUMENT))
    assert found
    for ref in found:
        assert ref.startswith("#/components/schemas/")
        assert ref.rsplit("/", 1)[1] in DOCUMENT["components"]["schemas"], ref


def test_the_served_document_is_the_document(sqlite_app):
    response = sqlite_app.test_client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == DOCUMENT


def test_every_api_route_is_documented_and_every_documented_operation_exists(sqlite_app):
    routed = set()
    for rule in sqlite_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.defaults:
            continue  # a rule with defaults is an alias (the empty Business ID)
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routed.add((path, method))

    assert routed == set(OPERATIONS)


def _positive_strategy(operation, path: str, method: str):
    """Generated cases, plus cases that hit registered organizations (so 200s happen)."""
    strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    if path.endswith("{business_id}"):
        known = st.sampled_from(REGISTERED + UNREGISTERED + ["FI02012566", "0201256 - 6"])
        return st.one_of(
            strategy,
            known.flatmap(lambda bid: operation.as_strategy(path_parameters={"business_id": bid})),
        )
    if path.endswith("/lookup"):
        mixed = st.lists(st.sampled_from(REGISTERED + UNREGISTERED + ["0201256-7", ""]))
        return st.one_of(
            strategy,
            mixed.flatmap(lambda ids: operation.as_strategy(body={"business_ids": ids})),
        )
    if path.endswith("/changes"):
        return st.one_of(strategy, operation.as_strategy(query={"since": 0}))
    return strategy


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_positive_data_with_a_token_conforms(api_schema, path, method):
    schema, token = api_schema
    operation = schema[path][method]
    headers = bearer(token)

    def call(case) -> int:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
        return response.status_code

    statuses = run_cases(_positive_strategy(operation, path, method), call)

    assert statuses[200] > 0, statuses
    if path.endswith("{business_id}"):
        assert statuses[404] > 0, statuses


@pytest.mark.parametrize(("path", "method"), WITH_INPUT)
def test_negative_data_with_a_token_conforms(api_schema, path, method):
    schema, token = api_schema
    operation = schema[path][method]
    headers = bearer(token)

    def call(case) -> int:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
        return response.status_code

    statuses = run_cases(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE), call)

    assert sum(statuses.values()) > 0
    assert not any(status >= 500 for status in statuses)


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_without_a_token_secured_operations_answer_401(api_schema, path, method):
    schema, _token = api_schema
    operation = schema[path][method]
    secured = is_secured(path, method)

    def call(case) -> int:
        case.headers.pop("Authorization", None)
        response = case.call()
        case.validate_response(response, checks=CHECKS)
        if secured:
            assert response.status_code == 401, response.text
            assert response.headers["www-authenticate"][0].lower().startswith("bearer")
        return response.status_code

    statuses = run_cases(_positive_strategy(operation, path, method), call)

    assert set(statuses) == ({401} if secured else {200})
