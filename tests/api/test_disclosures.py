"""The disclosure log: written as batches by the API workers, moved into `disclosures` by a job."""

from __future__ import annotations

from datetime import UTC, datetime

from api_support import add, bearer, client_id_of, compact, disclosures, take_ids
from testsupport import run_sql

from registry_admin.api.jobs import compact_disclosures

HELSINKI = "0201256-6"


def url(business_id: str) -> str:
    return "/api/v1/organizations/" + business_id


def test_the_workers_write_unindexed_batches_and_the_compaction_moves_each_row_once(
    app, client, api_token
):
    add(app, HELSINKI, "Helsinki")
    unregistered = take_ids(3, start=2_345_678)
    log = app.extensions["disclosure_log"]
    before = datetime.now(UTC)
    for bid in [HELSINKI, *unregistered]:
        assert client.get(url(bid), headers=bearer(api_token)).status_code in (200, 404)
    log.flush()
    client.get(url(HELSINKI), headers=bearer(api_token))
    log.flush()
    after = datetime.now(UTC)

    assert run_sql(app, "SELECT count(*) FROM disclosures") == [(0,)]
    assert run_sql(app, "SELECT count(*) FROM disclosure_batches") == [(2,)]

    assert compact(app) == 5
    assert compact(app) == 0
    assert run_sql(app, "SELECT count(*) FROM disclosure_batches") == [(0,)]
    me = client_id_of(app, api_token)
    rows = run_sql(
        app, "SELECT client_id, business_id, registered, at FROM disclosures ORDER BY id"
    )
    assert [(c, b, bool(r)) for c, b, r, _at in rows] == [
        (me, HELSINKI, True),
        *[(me, bid, False) for bid in unregistered],
        (me, HELSINKI, True),
    ]
    stamps = [_utc(at) for *_rest, at in rows]
    assert stamps == sorted(stamps)
    # Kept to the microsecond (the column's precision), not rounded to the batch's second.
    assert before <= stamps[0] and stamps[-1] <= after
    assert len(set(stamps)) == len(stamps)


def test_an_answer_without_a_verdict_is_kept_as_null(app, api_token):
    log = app.extensions["disclosure_log"]
    me = client_id_of(app, api_token)
    log.record(me, HELSINKI, None)
    log.record_many(me, [(HELSINKI, False), (HELSINKI, True)])
    assert disclosures(app) == [(me, HELSINKI, None), (me, HELSINKI, False), (me, HELSINKI, True)]


def test_a_large_batch_keeps_every_row_in_order(app, api_token):
    log = app.extensions["disclosure_log"]
    me = client_id_of(app, api_token)
    ids = take_ids(450, start=3_456_789)  # more lines than one formatting slice
    log.record_many(me, [(bid, i % 3 == 0) for i, bid in enumerate(ids)])
    assert disclosures(app) == [(me, bid, i % 3 == 0) for i, bid in enumerate(ids)]
    assert run_sql(app, "SELECT count(*) FROM disclosure_batches") == [(0,)]


def test_a_backlog_larger_than_one_transaction_is_moved_whole(app, api_token):
    log = app.extensions["disclosure_log"]
    me = client_id_of(app, api_token)
    for i in range(120):  # more batches than one compaction transaction takes
        log.record(me, HELSINKI, i % 2 == 0)
        log.flush()
    assert run_sql(app, "SELECT count(*) FROM disclosure_batches") == [(120,)]

    compact_disclosures(app)

    assert run_sql(app, "SELECT count(*) FROM disclosures") == [(120,)]
    assert run_sql(app, "SELECT count(*) FROM disclosure_batches") == [(0,)]
    status = run_sql(
        app, "SELECT last_ok, last_result FROM job_status WHERE name = 'disclosure_compaction'"
    )
    assert [(bool(ok), result) for ok, result in status] == [(True, "120 disclosures moved")]


def test_a_batch_for_an_unknown_client_stays_staged(app, api_token):
    """The foreign key is checked when the rows move: a failed move loses nothing."""
    log = app.extensions["disclosure_log"]
    log.record(999_999, HELSINKI, True)
    log.flush()

    compact_disclosures(app)

    status = run_sql(app, "SELECT last_ok FROM job_status WHERE name = 'disclosure_compaction'")
    assert [bool(ok) for (ok,) in status] == [False]
    assert run_sql(app, "SELECT count(*) FROM disclosure_batches") == [(1,)]
    assert run_sql(app, "SELECT count(*) FROM disclosures") == [(0,)]


def _utc(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite hands back the stored text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
