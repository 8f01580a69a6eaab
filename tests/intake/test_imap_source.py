"""The IMAP source against a real Dovecot: security modes, PEEK, batches, MOVE and its fallback."""

from __future__ import annotations

import ssl

import pytest
from imap_support import OAUTH2_TOKEN, Mailbox, corpus

from registry_admin.intake.imap import ImapSource
from registry_admin.intake.sources import SourceError

pytestmark = pytest.mark.imap

REQUEST = "005_request_fi_windows1252.eml"


def _source(mailbox: Mailbox, **kwargs) -> ImapSource:
    values = {
        "host": "127.0.0.1",
        "port": mailbox.server.port_plain,
        "security": "plain",
        "username": mailbox.username,
        "password": mailbox.password,
        "timeout": 10.0,
    }
    values.update(kwargs)
    return ImapSource(**values)


def test_lists_fetches_byte_exact_without_setting_seen(mailbox: Mailbox) -> None:
    raw = corpus(REQUEST)
    mailbox.append(raw)
    source = _source(mailbox)
    source.open()
    try:
        assert source.uidvalidity == mailbox.uidvalidity()
        envelopes = source.list_new(0)
        assert [e.uid for e in envelopes] == [1]
        served = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        assert envelopes[0].size == len(served)
        assert envelopes[0].headers == b""  # within the limit: only the size is listed
        fetched = source.fetch(envelopes)
        assert fetched["1"] == served
        assert source.list_new(1) == []
    finally:
        source.close()
    assert b"\\Seen" not in mailbox.flags()[1]


def test_an_oversize_message_is_listed_with_its_header_block(mailbox: Mailbox) -> None:
    small, big = corpus("009_autoreply_en.eml"), corpus(REQUEST)
    mailbox.append(small)
    mailbox.append(big)
    limit = len(small) + 100
    assert len(big) > limit
    source = _source(mailbox, max_message_bytes=limit)
    source.open()
    try:
        first, second = source.list_new(0)
    finally:
        source.close()
    assert first.headers == b""
    served = big.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert second.size == len(served)
    assert served.startswith(second.headers) and second.headers.endswith(b"\r\n\r\n")


def test_many_uids_are_listed_fetched_and_moved_as_ranges(mailbox: Mailbox) -> None:
    raws = [corpus(REQUEST).replace(b"Subject:", b"Subject: %d" % i, 1) for i in range(12)]
    with mailbox.client() as c:
        c.multiappend("INBOX", raws)
    source = _source(mailbox)
    source.open()
    try:
        envelopes = source.list_new(0)
        assert [e.uid for e in envelopes] == list(range(1, 13))
        chosen = [e for e in envelopes if e.uid not in (4, 9)]
        fetched = source.fetch(chosen)
        assert sorted(int(k) for k in fetched) == [1, 2, 3, 5, 6, 7, 8, 10, 11, 12]
        assert all(len(fetched[e.key]) == e.size for e in chosen)
        source.mark_done(chosen)
        assert [e.uid for e in source.list_new(0)] == [4, 9]
        assert source.list_new(4)[0].uid == 9
    finally:
        source.close()
    assert len(mailbox.contents("Processed")) == 10


def test_uid_sets_name_exactly_the_uids() -> None:
    from registry_admin.intake.imap import uid_set

    assert uid_set([]) == ""
    assert uid_set([7]) == "7"
    assert uid_set([3, 1, 2, 2, 5, 7, 8, 9, 11]) == "1:3,5,7:9,11"


def test_unusual_fetch_responses_fall_back_to_the_general_parser() -> None:
    from registry_admin.intake.imap import _fast_bodies, _fast_sizes

    assert _fast_sizes([b"1 (UID 7 RFC822.SIZE 12)", b"2 (RFC822.SIZE 5 UID 8)"]) == {7: 12, 8: 5}
    assert _fast_sizes([b"1 (FLAGS (\\Seen) UID 7 RFC822.SIZE 12)"]) is None
    body = b"Subject: x\r\n\r\nhi\r\n"
    head = b"1 (UID 7 BODY[] {%d}" % len(body)
    assert _fast_bodies([(head, body), b")"]) == {7: body}
    assert _fast_bodies([(b"1 (BODY[] {%d}" % len(body), body), b" UID 7)"]) == {7: body}
    assert _fast_bodies([(head, body), b" FLAGS (\\Seen))"]) is None
    assert _fast_bodies([(head, body[:-1]), b")"]) is None
    assert _fast_bodies([b"1 (UID 7 BODY[] NIL)"]) is None


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_modes_verify_the_server_certificate(
    mailbox: Mailbox, tls_trust: ssl.SSLContext, security: str
) -> None:
    mailbox.append(corpus(REQUEST))
    port = mailbox.server.port_tls if security == "tls" else mailbox.server.port_plain
    source = _source(mailbox, security=security, port=port)
    source.open()
    try:
        assert len(source.list_new(0)) == 1
    finally:
        source.close()


def test_an_untrusted_certificate_is_refused(mailbox: Mailbox) -> None:
    source = _source(mailbox, security="tls", port=mailbox.server.port_tls)
    with pytest.raises(SourceError, match="certificate"):
        source.open()


def test_plain_is_refused_for_a_host_that_is_not_loopback() -> None:
    with pytest.raises(SourceError, match="loopback"):
        ImapSource(host="imap.example.fi", port=143, security="plain", username="u", password="p")


def test_a_wrong_password_is_a_source_error(mailbox: Mailbox) -> None:
    with pytest.raises(SourceError):
        _source(mailbox, password="wrong").open()


def test_xoauth2_bearer_token(mailbox: Mailbox) -> None:
    source = _source(mailbox, username="oauthuser", password="", oauth2_token=OAUTH2_TOKEN)
    source.open()
    source.close()


@pytest.mark.parametrize("use_move", [True, False])
def test_mark_done_moves_to_a_created_processed_folder(mailbox: Mailbox, use_move: bool) -> None:
    mailbox.append(corpus(REQUEST))
    mailbox.append(corpus("009_autoreply_en.eml"))
    source = _source(mailbox, use_move=use_move)
    source.open()
    try:
        envelopes = source.list_new(0)
        source.mark_done(envelopes[:1])
        assert [e.uid for e in source.list_new(0)] == [2]
    finally:
        source.close()
    assert len(mailbox.contents("INBOX")) == 1
    assert len(mailbox.contents("Processed")) == 1


def test_batches_committed_during_a_move_are_moved_together_in_order(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the second connection moves one batch, the poll commits three more: they go in
    one move, and are reported moved in the order they were committed."""
    import threading

    from registry_admin.intake.transfer import BatchMover

    for name in ("005_request_fi_windows1252.eml", "009_autoreply_en.eml") * 4:
        mailbox.append(corpus(name))
    moves: list[list[int]] = []
    moving, release = threading.Event(), threading.Event()
    real = ImapSource.mark_done

    def held_first(self: ImapSource, envelopes) -> None:
        envelopes = list(envelopes)
        moves.append([e.uid for e in envelopes])
        if len(moves) == 1:
            moving.set()
            release.wait(10)  # until the poll has committed the other batches
        real(self, envelopes)

    monkeypatch.setattr(ImapSource, "mark_done", held_first)
    source = _source(mailbox)
    source.open()
    try:
        envelopes = source.list_new(0)
        batches = [envelopes[i : i + 2] for i in range(0, 8, 2)]
        with BatchMover(source) as mover:
            mover.submit(batches[0])
            assert moving.wait(10)
            for batch in batches[1:]:
                mover.submit(batch)
            release.set()
            done = mover.wait()
    finally:
        source.close()
    uids = [[e.uid for e in batch] for batch in batches]
    assert moves == [uids[0], uids[1] + uids[2] + uids[3]]
    assert done == batches
    assert mailbox.contents("INBOX") == []
    assert len(mailbox.contents("Processed")) == 8
