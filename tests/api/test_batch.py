"""POST /api/v1/organizations/lookup: order, mixed answers, limits, bad bodies, the log."""

from __future__ import annotations

import io
import json

import pytest
from api_support import (
    NOT_REGISTERED_KEYS,
    REGISTERED_KEYS,
    SUBJECT,
    client_id_of,
    disclosures,
    take_ids,
)

LOOKUP = "/api/v1/organizations/lookup"
HELSINKI = "0201256-6"
UNREGISTERED = take_ids(1, start=2_345_678)[0]


def post(client, headers, payload):
    return client.post(
        LOOKUP,
        data=json.dumps(payload),
        headers={**headers, "Content-Type": "application/json"},
    )


def assert_json_error(response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.mimetype == "application/json"
    assert set(response.json) == {"error", "detail"}
    assert response.json["error"] and response.json["detail"]


def test_results_are_one_per_id_in_the_order_given(client, api_headers, add_org):
    add_org(HELSINKI, "Helsinki", source="municipality")
    asked = [
        UNREGISTERED,
        "FI02012566",
        "0201256-7",
        12345,
        None,
        True,
        {"business_id": HELSINKI},
        [HELSINKI],
        "0201256 \u2013 6",
        "",
        "\ud800",  # a lone surrogate, possible in JSON
        UNREGISTERED.replace("-", ""),
    ]

    response = post(client, api_headers, {"business_ids": asked})

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert set(response.json) == {"results"}
    results = response.json["results"]
    assert len(results) == len(asked)
    kinds = []
    for result in results:
        if "error" in result:
            assert result["error"] == "invalid_business_id"
            assert isinstance(result["detail"], str)
            assert "registered" not in result
            kinds.append("invalid")
        elif result["registered"]:
            assert set(result) == REGISTERED_KEYS
            assert result["business_id"] == HELSINKI
            assert result["name"] == "Helsinki"
            kinds.append("registered")
        else:
            assert set(result) == NOT_REGISTERED_KEYS
            assert result["business_id"] == UNREGISTERED
            assert all(SUBJECT in text for text in result["message"].values())
            kinds.append("unregistered")
    assert kinds == [
        "unregistered",
        "registered",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "registered",
        "invalid",
        "invalid",
        "unregistered",
    ]


def test_an_empty_list_gives_no_results(client, api_headers):
    response = post(client, api_headers, {"business_ids": []})

    assert response.status_code == 200
    assert response.json == {"results": []}


def test_exactly_1000_ids_are_answered(client, api_headers, add_org):
    ids = take_ids(1000, start=3_000_000)
    for bid in ids[:5]:
        add_org(bid, f"Organization {bid}")

    response = post(client, api_headers, {"business_ids": ids})

    assert response.status_code == 200
    results = response.json["results"]
    assert [r["business_id"] for r in results] == ids
    assert [r["registered"] for r in results] == [True] * 5 + [False] * 995


def test_1001_ids_are_refused(client, api_headers):
    ids = take_ids(1001, start=3_000_000)

    response = post(client, api_headers, {"business_ids": ids})

    assert_json_error(response, 400)
    assert "1000" in response.json["detail"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b'{"business_ids": [}',
        b"not json",
        b"\xff\xfe\x00",
        b"[" * 50_000 + b"]" * 50_000,
    ],
    ids=["empty", "truncated", "broken", "text", "bad-bytes", "deeply-nested"],
)
def test_a_body_that_is_not_json_is_refused(client, api_headers, body):
    response = client.post(
        LOOKUP, data=body, headers={**api_headers, "Content-Type": "application/json"}
    )

    assert_json_error(response, 400)


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_body_that_is_not_declared_json_is_refused(client, api_headers, content_type):
    headers = dict(api_headers)
    if content_type:
        headers["Content-Type"] = content_type

    response = client.post(LOOKUP, data=json.dumps({"business_ids": [HELSINKI]}), headers=headers)

    assert_json_error(response, 415)


@pytest.mark.parametrize(
    "payload",
    [
        [HELSINKI],
        HELSINKI,
        1,
        None,
        {},
        {"ids": [HELSINKI]},
        {"business_ids": HELSINKI},
        {"business_ids": {"0": HELSINKI}},
        {"business_ids": None},
        {"business_ids": 1},
    ],
    ids=repr,
)
def test_a_body_not_shaped_as_documented_is_refused(client, api_headers, payload):
    response = post(client, api_headers, payload)

    assert_json_error(response, 400)


def test_a_huge_body_is_refused_with_413(client, api_headers):
    payload = {"business_ids": [HELSINKI] * 100_000}  # about 1.2 MB

    response = post(client, api_headers, payload)

    assert_json_error(response, 413)


def test_a_huge_body_without_content_length_is_refused_with_413(client, api_headers):
    body = json.dumps({"business_ids": [HELSINKI] * 30_000}).encode()  # about 360 kB
    response = client.post(
        LOOKUP,
        input_stream=io.BytesIO(body),
        headers={
            **api_headers,
            "Content-Type": "application/json",
            "Transfer-Encoding": "chunked",
        },
        # What a WSGI server that has de-chunked the body tells the application.
        environ_overrides={"wsgi.input_terminated": True},
    )

    assert response.status_code == 413
    assert response.mimetype == "application/json"


def test_a_body_beyond_the_server_limit_is_refused_with_413_json(client, api_headers):
    body = b'{"business_ids": ["' + b"1" * (5 * 1024 * 1024) + b'"]}'

    response = client.post(
        LOOKUP, data=body, headers={**api_headers, "Content-Type": "application/json"}
    )

    assert response.status_code == 413
    assert response.mimetype == "application/json"


def test_without_a_token_the_batch_is_refused(client, add_org):
    add_org(HELSINKI, "Helsinki")

    response = client.post(LOOKUP, json={"business_ids": [HELSINKI]})

    assert_json_error(response, 401)
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    assert "Helsinki" not in response.text


def test_every_valid_id_in_a_batch_is_logged(app, client, api_token, api_headers, add_org):
    add_org(HELSINKI, "Helsinki")
    asked = ["FI02012566", UNREGISTERED, "0201256-7", 42, HELSINKI]

    response = post(client, api_headers, {"business_ids": asked})

    assert response.status_code == 200
    me = client_id_of(app, api_token)
    logged = [row for row in disclosures(app) if row[2] is not None]
    assert sorted(logged) == sorted(
        [(me, HELSINKI, True), (me, UNREGISTERED, False), (me, HELSINKI, True)]
    )
