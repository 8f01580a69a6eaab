"""Starting a real Dovecot for the intake tests, and acting on a mailbox as a person would.

Dovecot runs from tests/intake/dovecot/dovecot.conf.in (no include of /etc/dovecot) in a 0755
directory under /tmp: as root its mail processes run as `nobody` and its auth process as
`dovecot`, and they must be able to traverse every parent directory (pytest's tmp_path is 0700).
"""

from __future__ import annotations

import datetime
import grp
import ipaddress
import os
import pwd
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from imapclient import IMAPClient
from testsupport import settings_for

from registry_admin import create_app

HERE = Path(__file__).parent
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
FIXTURES = HERE.parent / "fixtures" / "intake"
USERS = 150
# Dovecot 2.3 checks an XOAUTH2 bearer token as it would a password: the user `oauthuser`,
# whose password is this token, stands in for a Microsoft 365 mailbox.
OAUTH2_TOKEN = "ya29.test-bearer-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make_certificate(root: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (root / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (root / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    os.chmod(root / "key.pem", 0o644)


@dataclass
class Dovecot:
    """A running Dovecot and the way to add users to it."""

    root: Path
    port_plain: int
    port_tls: int
    process_pid: int = 0
    # Dovecot reads its passwd-file once per change of second at best: every user is written
    # before the start, and each test takes the next unused one.
    free_users: list[tuple[str, str]] = field(default_factory=list)

    @property
    def cafile(self) -> str:
        return str(self.root / "cert.pem")

    def take_user(self) -> tuple[str, str]:
        return self.free_users.pop(0)

    def doveadm(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["doveadm", "-c", str(self.root / "dovecot.conf"), *args],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=30,
            check=False,
        )


def start_dovecot(root: Path) -> Dovecot:
    if os.geteuid() == 0:
        mail_user, mail_group = "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
        internal_user, login_user, internal_group = "dovecot", "dovenull", "dovecot"
    else:
        me = pwd.getpwuid(os.getuid()).pw_name
        mail_user, mail_group = me, grp.getgrgid(os.getgid()).gr_name
        internal_user = login_user = me
        internal_group = mail_group
    server = Dovecot(root, free_port(), free_port())
    for sub in ("run", "state", "home"):
        (root / sub).mkdir(mode=0o755)
    os.chmod(root / "home", 0o777)
    _make_certificate(root)
    users = [(f"user{i:03d}", uuid.uuid4().hex) for i in range(USERS)]
    users.append(("oauthuser", OAUTH2_TOKEN))
    (root / "passwd").write_text(
        "".join(f"{name}:{password}\n" for name, password in users), encoding="utf-8"
    )
    server.free_users = users[1:-1]
    os.chmod(root / "passwd", 0o644)
    template = (HERE / "dovecot" / "dovecot.conf.in").read_text(encoding="utf-8")
    (root / "dovecot.conf").write_text(
        template.format(
            root=root,
            port_plain=server.port_plain,
            port_tls=server.port_tls,
            mail_user=mail_user,
            mail_group=mail_group,
            internal_user=internal_user,
            login_user=login_user,
            internal_group=internal_group,
        ),
        encoding="utf-8",
    )
    subprocess.run(
        [DOVECOT, "-c", str(root / "dovecot.conf")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        timeout=30,
    )
    pid_file = root / "run" / "master.pid"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not pid_file.exists():
        time.sleep(0.05)
    if pid_file.exists():
        server.process_pid = int(pid_file.read_text().strip())
    return server


def check_login(server: Dovecot) -> None:
    """A real LOGIN + SELECT: a greeting alone does not prove that logins work."""
    probe = (server.root / "passwd").read_text(encoding="utf-8").splitlines()[0]
    name, _, password = probe.partition(":")
    deadline = time.monotonic() + 10
    while True:
        try:
            with IMAPClient("127.0.0.1", port=server.port_plain, ssl=False, timeout=5) as c:
                c.login(name, password)
                c.select_folder("INBOX")
                return
        except Exception as exc:
            if time.monotonic() > deadline:
                log = (server.root / "dovecot.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"Dovecot does not accept logins: {exc}\n{log}") from exc
            time.sleep(0.1)


@dataclass
class Mailbox:
    """One fresh mailbox user on the test Dovecot, with helpers that act as a person would."""

    server: Dovecot
    username: str
    password: str

    def settings(self, **extra: object) -> dict[str, object]:
        """The [mailbox] overrides that point the intake at this mailbox (plain, loopback)."""
        values: dict[str, object] = {
            "source": "imap",
            "host": "127.0.0.1",
            "port": self.server.port_plain,
            "security": "plain",
            "username": self.username,
            "password": self.password,
            "timeout_seconds": 10,
        }
        values.update(extra)
        return values

    def client(self) -> IMAPClient:
        c = IMAPClient("127.0.0.1", port=self.server.port_plain, ssl=False, timeout=10)
        try:
            c.login(self.username, self.password)
        except Exception:
            c.shutdown()
            raise
        return c

    def append(self, raw: bytes, folder: str = "INBOX", flags: tuple[bytes, ...] = ()) -> None:
        with self.client() as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            c.append(folder, raw, flags=flags)

    def contents(self, folder: str = "INBOX") -> list[bytes]:
        """The raw bytes of every message in `folder` (not \\Deleted), by UID."""
        with self.client() as c:
            if not c.folder_exists(folder):
                return []
            c.select_folder(folder, readonly=True)
            uids = c.search(["NOT", "DELETED"])
            data = c.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
            return [bytes(data[u][b"BODY[]"]) for u in sorted(data)]

    def flags(self, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        with self.client() as c:
            c.select_folder(folder, readonly=True)
            uids = c.search(["ALL"])
            return {u: v[b"FLAGS"] for u, v in (c.fetch(uids, ["FLAGS"]) if uids else {}).items()}

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.client() as c:
            return int(c.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"])


def corpus(name: str) -> bytes:
    """A message copied from the shared corpus into tests/fixtures/intake."""
    return (FIXTURES / name).read_bytes()


def write_config(tmp: Path, database_url: str, mailbox: Mailbox) -> Path:
    """A configuration file for running `registry-admin` as a separate process."""
    path = tmp / "config.toml"
    settings = mailbox.settings()
    lines = [
        "[app]",
        'secret_key = "test-secret"',
        f'instance_dir = "{tmp / "instance"}"',
        "[database]",
        f'url = "{database_url}"',
        "[scheduler]",
        "enabled = false",
        "[mailbox]",
        *(
            f"{key} = {value!r}".replace("'", '"') if isinstance(value, str) else f"{key} = {value}"
            for key, value in settings.items()
        ),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_intake_app(tmp: Path, database_url: str, mailbox: Mailbox, **mailbox_settings) -> Flask:
    overrides = settings_for(tmp, database_url)
    overrides["mailbox"] = {**overrides["mailbox"], **mailbox.settings(**mailbox_settings)}
    app = create_app(overrides)
    app.config["TESTING"] = True
    return app
