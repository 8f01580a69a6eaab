"""TOML configuration file -> frozen, validated settings; every error names `section.key`."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENV_VAR = "REGISTRY_ADMIN_CONFIG"
DEFAULT_FILE = "config.toml"


class ConfigError(Exception):
    """A configuration problem, worded for the operator in one line."""


# Key declarations: type, default, and allowed values. A default of REQUIRED means the key must
# be given; keys listed in SECRETS may instead be given as `<key>_file = "path"`.
REQUIRED = object()


@dataclass(frozen=True)
class AppSettings:
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    instance_dir: str = "var"
    log_level: str = "INFO"


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///var/registry.db"
    sqlite_busy_timeout_ms: int = 5000


@dataclass(frozen=True)
class MailboxSettings:
    source: str = "maildir"
    maildir: str = "var/inbox"
    host: str = "imap.example.fi"
    port: int = 993
    security: str = "tls"
    username: str = ""
    password: str = ""
    oauth2_token: str = ""
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    poll_seconds: int = 60
    max_message_bytes: int = 26_214_400
    timeout_seconds: int = 60
    alert_after_minutes: int = 30


@dataclass(frozen=True)
class SmtpSettings:
    transport: str = "directory"
    directory: str = "var/outbox"
    host: str = "smtp.example.fi"
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password: str = ""
    from_address: str = "tekninentuki@kela.fi"
    timeout_seconds: int = 30
    # Receipts to one address in 24 hours, at most; beyond that the sender hears nothing more.
    max_receipts_per_day: int = 10


@dataclass(frozen=True)
class ApiSettings:
    # How stale the lookup API's in-process view of the registry may be, at most.
    refresh_seconds: float = 1.0
    max_batch: int = 1000
    disclosure_flush_seconds: float = 1.0


@dataclass(frozen=True)
class SchedulerSettings:
    enabled: bool = True
    municipality_sync_hours: int = 24


@dataclass(frozen=True)
class AuthSettings:
    password_login: bool = True
    # Sign-in through the organization's OpenID Connect provider: off while oidc_issuer is "".
    oidc_issuer: str = ""
    oidc_display_name: str = "SSO"
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid profile email"
    oidc_username_claim: str = "preferred_username"
    oidc_role_claim: str = ""
    # (claim value, role) pairs, from a TOML table {"value" = "role"}.
    oidc_role_map: tuple[tuple[str, str], ...] = ()
    oidc_create_accounts: bool = False
    oidc_timeout_seconds: int = 10


@dataclass(frozen=True)
class Settings:
    app: AppSettings = field(default_factory=AppSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    mailbox: MailboxSettings = field(default_factory=MailboxSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    source: str = "embedded defaults"


SECTIONS: dict[str, type] = {
    "app": AppSettings,
    "database": DatabaseSettings,
    "mailbox": MailboxSettings,
    "smtp": SmtpSettings,
    "api": ApiSettings,
    "scheduler": SchedulerSettings,
    "auth": AuthSettings,
}
SECRETS = {
    ("app", "secret_key"),
    ("mailbox", "password"),
    ("mailbox", "oauth2_token"),
    ("smtp", "password"),
    ("auth", "oidc_client_secret"),
}
CHOICES = {
    ("mailbox", "source"): ("maildir", "imap"),
    ("mailbox", "security"): ("tls", "starttls", "plain"),
    ("smtp", "transport"): ("directory", "smtp"),
    ("smtp", "security"): ("tls", "starttls", "plain"),
    ("app", "log_level"): ("DEBUG", "INFO", "WARNING", "ERROR"),
}
POSITIVE = {
    ("mailbox", "port"),
    ("mailbox", "poll_seconds"),
    ("mailbox", "max_message_bytes"),
    ("mailbox", "timeout_seconds"),
    ("mailbox", "alert_after_minutes"),
    ("smtp", "port"),
    ("smtp", "timeout_seconds"),
    ("smtp", "max_receipts_per_day"),
    ("api", "refresh_seconds"),
    ("api", "max_batch"),
    ("api", "disclosure_flush_seconds"),
    ("scheduler", "municipality_sync_hours"),
    ("database", "sqlite_busy_timeout_ms"),
    ("auth", "oidc_timeout_seconds"),
}
STAFF_ROLES = ("viewer", "reviewer", "admin")


def find_config_file(cli_path: str | None) -> Path | None:
    """The file to read: `--config`, then $REGISTRY_ADMIN_CONFIG, then ./config.toml if present."""
    if cli_path:
        return Path(cli_path)
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    default = Path(DEFAULT_FILE)
    return default if default.is_file() else None


def load_settings(
    path: Path | None, overrides: dict[str, dict[str, Any]] | None = None
) -> Settings:
    """Read and validate `path` (or the embedded defaults), then apply `overrides` (tests)."""
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such configuration file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot be read ({exc})") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    for section, values in (overrides or {}).items():
        raw.setdefault(section, {}).update(values)
    return _build(
        raw, base_dir=path.parent if path else None, source=str(path or "embedded defaults")
    )


def _build(raw: dict[str, Any], base_dir: Path | None, source: str) -> Settings:
    sections: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in SECTIONS:
            raise ConfigError(f"{name}: unknown section (known: {', '.join(SECTIONS)})")
        if not isinstance(value, dict):
            raise ConfigError(f"{name}: must be a table [{name}]")
    for name, cls in SECTIONS.items():
        sections[name] = _build_section(name, cls, raw.get(name, {}), base_dir)
    settings = Settings(**sections, source=source)
    _check_cross_field(settings)
    return settings


def _build_section(name: str, cls: type, values: dict[str, Any], base_dir: Path | None) -> Any:
    declared = {f.name: f for f in fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key.endswith("_file") and (name, key[: -len("_file")]) in SECRETS:
            secret = key[: -len("_file")]
            if secret in values:
                raise ConfigError(f"{name}.{key}: give either {secret} or {key}, not both")
            kwargs[secret] = _read_secret(name, key, value, base_dir)
            continue
        if key not in declared:
            raise ConfigError(f"{name}.{key}: unknown key")
        kwargs[key] = _coerce(name, key, value, declared[key].default)
    return cls(**kwargs)


def _coerce(section: str, key: str, value: Any, default: Any) -> Any:
    where = f"{section}.{key}"
    expected = type(default)
    if expected is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: must be true or false, not {value!r}")
    elif expected is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: must be a whole number, not {value!r}")
    elif expected is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: must be a number, not {value!r}")
        value = float(value)
    elif expected is str and not isinstance(value, str):
        raise ConfigError(f"{where}: must be a string, not {value!r}")
    elif expected is tuple:
        value = _role_map(where, value)
    choices = CHOICES.get((section, key))
    if choices and value not in choices:
        raise ConfigError(f"{where}: must be one of {', '.join(choices)}, not {value!r}")
    if (section, key) in POSITIVE and value <= 0:
        raise ConfigError(f"{where}: must be greater than 0, not {value!r}")
    return value


def _role_map(where: str, value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: must be a table of claim value = role, not {value!r}")
    for claim_value, role in value.items():
        if role not in STAFF_ROLES:
            raise ConfigError(
                f"{where}: the role of {claim_value!r} must be one of "
                f"{', '.join(STAFF_ROLES)}, not {role!r}"
            )
    return tuple(sorted(value.items()))


def _read_secret(section: str, key: str, value: Any, base_dir: Path | None) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{section}.{key}: must be the path of a file")
    path = Path(value)
    # Relative to the configuration file, whatever the working directory holds.
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{section}.{key}: cannot read {value} ({exc.strerror})") from None


def _check_cross_field(settings: Settings) -> None:
    mailbox, smtp = settings.mailbox, settings.smtp
    if settings.api.max_batch > 1000:
        # The lookup API's published document promises at most 1000 per batch.
        raise ConfigError(f"api.max_batch: at most 1000, not {settings.api.max_batch}")
    if mailbox.source == "imap":
        for key in ("host", "username"):
            if not getattr(mailbox, key):
                raise ConfigError(f"mailbox.{key}: required when mailbox.source is imap")
        if not (mailbox.password or mailbox.oauth2_token):
            raise ConfigError("mailbox.password: required when mailbox.source is imap")
    if smtp.transport == "smtp" and not smtp.host:
        raise ConfigError("smtp.host: required when smtp.transport is smtp")
    if "@" not in smtp.from_address:
        raise ConfigError(f"smtp.from_address: not an email address: {smtp.from_address!r}")
    _check_database_url(settings.database.url)
    _check_auth(settings.auth)
    if not settings.app.base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"app.base_url: must start with http:// or https://, not {settings.app.base_url!r}"
        )


def _check_auth(auth: AuthSettings) -> None:
    if not auth.oidc_issuer:
        if not auth.password_login:
            raise ConfigError(
                "auth.password_login: false needs auth.oidc_issuer, or no one can sign in"
            )
        return
    issuer = urlsplit(auth.oidc_issuer)
    # A provider's answers are trusted only over TLS; plain HTTP only on this machine (tests).
    if (
        not (
            issuer.scheme == "https"
            or (issuer.scheme == "http" and issuer.hostname in ("127.0.0.1", "localhost", "::1"))
        )
        or not issuer.hostname
        or issuer.query
        or issuer.fragment
    ):
        raise ConfigError(f"auth.oidc_issuer: must be an https:// URL, not {auth.oidc_issuer!r}")
    for key in ("oidc_client_id", "oidc_client_secret", "oidc_username_claim"):
        if not getattr(auth, key):
            raise ConfigError(f"auth.{key}: required when auth.oidc_issuer is set")
    if "openid" not in auth.oidc_scopes.split():
        raise ConfigError(f"auth.oidc_scopes: must include openid, not {auth.oidc_scopes!r}")
    if auth.oidc_role_map and not auth.oidc_role_claim:
        raise ConfigError("auth.oidc_role_map: needs auth.oidc_role_claim")
    if auth.oidc_role_claim and not auth.oidc_role_map:
        raise ConfigError("auth.oidc_role_claim: needs auth.oidc_role_map, or no one can sign in")
    if auth.oidc_create_accounts and not auth.oidc_role_map:
        raise ConfigError(
            "auth.oidc_create_accounts: needs auth.oidc_role_claim and auth.oidc_role_map"
        )


def _check_database_url(url: str) -> None:
    """A URL SQLAlchemy can parse, of a dialect whose driver is installed."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    if not url or ":" not in url:
        raise ConfigError(f"database.url: not an SQLAlchemy URL: {url!r}")
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"database.url: not an SQLAlchemy URL: {url!r}") from None
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        raise ConfigError(f"database.url: unknown database kind {parsed.drivername!r}") from None
    try:
        dialect.import_dbapi()
    except ImportError:
        raise ConfigError(
            f"database.url: the driver of {parsed.drivername!r} is not installed "
            "(use sqlite:/// or postgresql+psycopg://)"
        ) from None
