"""Decoding of charsets, transfer encodings, HTML and MIME structure, and the safety limits."""

import pytest

from registry_admin.intake import mime
from registry_admin.intake.mime import (
    MessageLimitExceeded,
    decode_bytes,
    html_to_text,
    read_message,
)


def test_utf8_bytes_under_a_latin1_label_keep_their_letters() -> None:
    assert (
        decode_bytes("Yhdistys ry, Hämeenlinna".encode(), "iso-8859-1")
        == "Yhdistys ry, Hämeenlinna"
    )


def test_cp1252_bytes_under_a_utf8_label_keep_their_letters() -> None:
    assert decode_bytes("Åsa Bäckström – ok".encode("cp1252"), "utf-8") == "Åsa Bäckström – ok"


def test_unknown_charset_falls_back() -> None:
    assert decode_bytes("Järjestö".encode("cp1252"), "x-unknown") == "Järjestö"


def test_encoded_headers_and_rfc2231_filename() -> None:
    raw = (
        b"From: =?utf-8?q?V=C3=A4is=C3=A4nen?= Outi <o@example.fi>\n"
        b"Subject: Kelan =?iso-8859-1?q?ajanvarausj=E4rjestelm=E4n?= rekisteri\n"
        b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nHei\n"
        b"--b\nContent-Type: application/pdf\n"
        b"Content-Disposition: attachment; filename*=utf-8''ote%20%C3%A4.pdf\n"
        b"Content-Transfer-Encoding: base64\n\nJVBERg==\n--b--\n"
    )
    message = read_message(raw)
    assert message.headers.subject == "Kelan ajanvarausjärjestelmän rekisteri"
    assert message.headers.from_name == "Väisänen Outi"
    assert [(a.filename, a.content_type, a.size) for a in message.attachments] == [
        ("ote ä.pdf", "application/pdf", 4)
    ]
    assert [p.text.strip() for p in message.parts] == ["Hei"]


def test_html_table_rows_come_out_one_per_line() -> None:
    text = html_to_text(
        "<table><tr><td>Y-tunnus</td><td>0201256-6</td></tr>"
        "<tr><td>Perustelut</td><td>Rivi yksi<br>rivi kaksi</td></tr></table>"
    )
    assert "Y-tunnus\t0201256-6" in text.splitlines()
    assert "Perustelut\tRivi yksi rivi kaksi" in text.splitlines()


def test_outlook_empty_paragraphs_are_blank_lines_and_quotes_keep_marks() -> None:
    text = html_to_text(
        '<p class="MsoNormal">Hei<o:p></o:p></p><p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
        "<p>Teksti</p><blockquote><p>Lainattu</p></blockquote>"
    )
    assert text.splitlines()[:3] == ["Hei", "", "Teksti"]
    assert "> Lainattu" in text


def test_alternative_prefers_plain_unless_it_is_empty() -> None:
    raw = (
        b"Content-Type: multipart/alternative; boundary=b\n\n"
        b"--b\nContent-Type: text/plain\n\n \n--b\nContent-Type: text/html\n\n"
        b"<p>Organisaation nimi: Testi ry on t\xc3\xa4ss\xc3\xa4</p>\n--b--\n"
    )
    parts = read_message(raw).parts
    assert len(parts) == 1 and parts[0].from_html
    assert "Testi ry" in parts[0].text


def test_text_attachment_is_read_and_rfc822_is_marked() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nNote\n"
        b"--b\nContent-Type: text/plain; charset=utf-8\n"
        b'Content-Disposition: attachment; filename="tiedot.txt"\n\nY-tunnus: 0201256-6\n'
        b"--b\nContent-Type: message/rfc822\n\nSubject: inner\n\nInner text\n--b--\n"
    )
    parts = read_message(raw).parts
    assert [p.name for p in parts] == ["body", "attachment:tiedot.txt", "message/rfc822"]
    assert parts[2].attached_message


def test_deep_nesting_raises_the_limit_exception() -> None:
    depth = mime.MAX_DEPTH + 3
    raw = b""
    for level in range(depth):
        raw += f"--b{level}\nContent-Type: multipart/mixed; boundary=b{level + 1}\n\n".encode()
    raw = b"Content-Type: multipart/mixed; boundary=b0\n\n" + raw + b"--x\n"
    with pytest.raises(MessageLimitExceeded):
        read_message(raw)


def test_too_many_headers_raise_the_limit_exception() -> None:
    raw = b"".join(b"X-H%d: v\n" % i for i in range(mime.MAX_HEADERS + 5)) + b"\nbody\n"
    with pytest.raises(MessageLimitExceeded):
        read_message(raw)


def test_too_many_parts_raise_the_limit_exception() -> None:
    body = b"".join(b"--b\nContent-Type: text/plain\n\nx\n" for _ in range(mime.MAX_PARTS + 5))
    raw = b"Content-Type: multipart/mixed; boundary=b\n\n" + body + b"--b--\n"
    with pytest.raises(MessageLimitExceeded):
        read_message(raw)


def test_html_with_control_characters_still_renders() -> None:
    html = "<p>Y-tunnus:\x01 0201256-6</p><table><tr><td>a<br>\x02b\udcff</td></tr></table>"
    assert mime.html_to_text(html) == "Y-tunnus: 0201256-6\na b\n"


def test_a_plain_version_whose_table_cells_ran_together_gives_way_to_the_html() -> None:
    from registry_admin.intake.mime import read_message

    raw = (
        "From: a@example.fi\r\nTo: b@kela.fi\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/alternative; boundary="b"\r\n\r\n--b\r\n'
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "FO-nummer3302846-4\r\nKontaktpersonKarin Nyström\r\n--b\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n"
        "<table><tr><td>FO-nummer</td><td>3302846-4</td></tr>"
        "<tr><td>Kontaktperson</td><td>Karin Nyström</td></tr></table>\r\n--b--\r\n"
    ).encode()
    (part,) = read_message(raw).parts
    assert part.content_type == "text/html"
    assert "FO-nummer" in part.text and "3302846-4" in part.text
    assert "FO-nummer3302846-4" not in part.text
