"""Fixtures of the notification tests: SMTP servers on loopback, a certificate, the outbox table."""

from __future__ import annotations

import datetime as dt
import ipaddress
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from notify_support import Certificate, PasswordCheck, SmtpServer

# The staff UI's sign-in helpers (tests/review/staff_client.py), for the outbox pages.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "review"))
from staff_pages import StaffClients


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert_path, key_path)


@pytest.fixture
def starttls_server(certificate: Certificate) -> Iterator[SmtpServer]:
    """STARTTLS required, AUTH required and offered only after STARTTLS."""
    server = SmtpServer(
        tls_context=certificate.server_context(),
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=PasswordCheck("registry", "s3cret"),
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def outbox_app(app: Flask) -> Flask:
    """The application on a database migrated to head, notifications table included."""
    return app


@pytest.fixture
def sqlite_outbox_app(sqlite_app: Flask) -> Flask:
    return sqlite_app


@pytest.fixture
def staff_clients(app: Flask):
    """staff_clients("admin") -> a test client signed in as a new account of that role."""
    return StaffClients(app)
