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
        assert (
            envelopes[0].headers.startswith(b"Received:") or b"Message-ID" in envelopes[0].headers
        )
        fetched = source.fetch(envelopes)
        assert fetched["1"] == raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        assert source.list_new(1) == []
    finally:
        source.close()
    assert b"\\Seen" not in mailbox.flags()[1]


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
