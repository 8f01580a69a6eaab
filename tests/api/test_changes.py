"""GET /api/v1/changes: order, cursors, paging, bad parameters; a consumer can mirror the registry."""

from __future__ import annotations

import itertools

import pytest
from api_support import (
    active_registry,
    add,
    bearer,
    new_token,
    parse_timestamp,
    remove,
    rename,
    take_ids,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from testsupport import run_sql

from registry_admin.db import db
from registry_admin.errors import Conflict, NotFound

CHANGES = "/api/v1/changes"
CHANGE_KEYS = {"cursor", "business_id", "change", "at"}
A, B, C = take_ids(3, start=4_000_000)


def feed(client, headers, **params) -> dict:
    response = client.get(CHANGES, headers=headers, query_string=params)
    assert response.status_code == 200, response.text
    assert response.mimetype == "application/json"
    assert set(response.json) == {"changes", "next"}
    return response.json


def make_history(app) -> list[tuple[str, str]]:
    add(app, A, "Alpha")
    add(app, B, "Beta")
    rename(app, A, "Alpha Oy")
    remove(app, B)
    add(app, C, "Gamma")
    add(app, B, "Beta again")
    return [
        (A, "added"),
        (B, "added"),
        (A, "renamed"),
        (B, "removed"),
        (C, "added"),
        (B, "added"),
    ]


def test_an_empty_feed(client, api_headers):
    assert feed(client, api_headers) == {"changes": [], "next": 0}


def test_changes_come_in_order_with_increasing_cursors(app, client, api_headers):
    expected = make_history(app)

    body = feed(client, api_headers)

    changes = body["changes"]
    assert [(c["business_id"], c["change"]) for c in changes] == expected
    assert all(set(c) == CHANGE_KEYS for c in changes)
    cursors = [c["cursor"] for c in changes]
    assert all(isinstance(c, int) for c in cursors)
    assert cursors == sorted(set(cursors))
    assert body["next"] == cursors[-1]
    times = [parse_timestamp(c["at"]) for c in changes]
    assert times == sorted(times)


def test_paging_with_next_until_empty_gives_every_change_once(app, client, api_headers):
    expected = make_history(app)
    everything = feed(client, api_headers)["changes"]

    pages, since = [], 0
    for _ in range(10):
        body = feed(client, api_headers, since=since, limit=4)
        if not body["changes"]:
            assert body["next"] == since
            break
        assert len(body["changes"]) <= 4
        assert all(c["cursor"] > since for c in body["changes"])
        pages.append(body["changes"])
        since = body["next"]
    else:
        pytest.fail("the feed did not end")

    assert [len(page) for page in pages] == [4, 2]
    assert list(itertools.chain.from_iterable(pages)) == everything
    assert len(everything) == len(expected)


def test_since_returns_only_later_changes(app, client, api_headers):
    make_history(app)
    everything = feed(client, api_headers)["changes"]
    middle = everything[2]["cursor"]

    later = feed(client, api_headers, since=middle)["changes"]

    assert later == everything[3:]


@pytest.mark.parametrize("since", [10**15, 10**18 - 1])
def test_a_cursor_past_the_end_gives_nothing_and_keeps_the_cursor(app, client, api_headers, since):
    make_history(app)

    body = feed(client, api_headers, since=since)

    assert body == {"changes": [], "next": since}


def test_limit_bounds_the_page(app, client, api_headers):
    make_history(app)

    assert len(feed(client, api_headers, limit=1)["changes"]) == 1
    assert len(feed(client, api_headers, limit=1000)["changes"]) == 6


@pytest.mark.parametrize(
    "params",
    [
        {"since": "-1"},
        {"since": "abc"},
        {"since": "1.5"},
        {"since": "1e3"},
        {"since": ""},
        {"since": " 1"},
        {"since": "+1"},
        {"since": "0x10"},
        {"since": "\uff11"},  # fullwidth 1
        {"since": "\u0661"},  # Arabic-Indic 1
        {"since": str(10**18)},  # past the documented maximum
        {"since": "9" * 19},
        {"since": "9" * 400},
        {"limit": "0"},
        {"limit": "1001"},
        {"limit": "-5"},
        {"limit": "many"},
    ],
    ids=repr,
)
def test_a_bad_parameter_is_refused_with_a_json_error(client, api_headers, params):
    response = client.get(CHANGES, headers=api_headers, query_string=params)

    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert set(response.json) == {"error", "detail"}
    assert next(iter(params)) in response.json["detail"]


def test_the_feed_needs_a_token(app, client):
    add(app, A, "Alpha")

    response = client.get(CHANGES)

    assert response.status_code == 401
    assert response.mimetype == "application/json"
    assert A not in response.text


class FeedConsumer:
    """What the booking module does: follow the feed and keep a cache of registered names."""

    def __init__(self, client, headers, since: int, page_size: int) -> None:
        self.client, self.headers = client, headers
        self.cursor, self.page_size = since, page_size
        self.names: dict[str, str] = {}

    def sync(self) -> None:
        touched: set[str] = set()
        for _ in range(1000):
            body = feed(self.client, self.headers, since=self.cursor, limit=self.page_size)
            if not body["changes"]:
                assert body["next"] == self.cursor
                break
            for change in body["changes"]:
                assert change["cursor"] > self.cursor
                self.cursor = change["cursor"]
                bid = change["business_id"]
                # The feed itself must be consistent with the cache it builds.
                if change["change"] == "added":
                    assert bid not in self.names
                    self.names[bid] = "?"
                elif change["change"] == "removed":
                    assert bid in self.names
                    del self.names[bid]
                else:
                    assert change["change"] == "renamed"
                    assert bid in self.names
                touched.add(bid)
            assert body["next"] == self.cursor
        else:
            raise AssertionError("the feed did not end")
        for bid in touched & set(self.names):
            response = self.client.get(f"/api/v1/organizations/{bid}", headers=self.headers)
            assert response.status_code == 200, bid
            self.names[bid] = response.json["name"]


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["add", "remove", "rename", "sync"]),
        st.integers(min_value=0, max_value=2),
        st.sampled_from(["Alpha", "Beta", "Åbo Akademi"]),
    ),
    max_size=15,
)


def test_a_consumer_replaying_the_feed_mirrors_the_registry(sqlite_app):
    client = sqlite_app.test_client()
    headers = bearer(new_token(sqlite_app, "feed-consumer"))
    numbers = itertools.count(5_000_000, 10)

    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(operations=OPERATIONS, page_size=st.integers(min_value=1, max_value=4))
    def replay(operations, page_size):
        # Fresh IDs for each example, so examples do not see each other's organizations.
        pool = take_ids(3, start=next(numbers))
        start = run_sql(sqlite_app, "SELECT COALESCE(MAX(cursor), 0) FROM registry_changes")[0][0]
        consumer = FeedConsumer(client, headers, since=start, page_size=page_size)
        for operation, index, name in operations:
            bid = pool[index]
            try:
                if operation == "add":
                    add(sqlite_app, bid, name)
                elif operation == "remove":
                    remove(sqlite_app, bid)
                elif operation == "rename":
                    rename(sqlite_app, bid, name)
                else:
                    consumer.sync()
            except (Conflict, NotFound):
                pass  # not allowed in the registry's present state: nothing changes
        consumer.sync()

        registry = {bid: name for bid, name in active_registry(sqlite_app).items() if bid in pool}
        assert consumer.names == registry

    replay()


def test_the_feed_answers_503_json_when_the_database_fails(sqlite_app):
    client = sqlite_app.test_client()
    headers = bearer(new_token(sqlite_app, "feed-reader"))
    assert feed(client, headers) == {"changes": [], "next": 0}

    with sqlite_app.app_context(), db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE registry_changes RENAME TO registry_changes_away"))

    response = client.get(CHANGES, headers=headers)

    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert set(response.json) == {"error", "detail"}
    assert response.headers["Retry-After"]
