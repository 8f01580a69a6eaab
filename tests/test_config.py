"""Configuration: where the file is found, defaults, `_file` secrets, and one-line errors."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from registry_admin.config import (
    ENV_VAR,
    SECTIONS,
    ConfigError,
    Settings,
    find_config_file,
    load_settings,
)

REPO = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).with_name("registry-admin"))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR and not k.startswith("FLASK_")}
    return env


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CLI, *args],
        cwd=cwd,
        env=env or cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


# --- defaults and discovery ----------------------------------------------------------------------


def test_embedded_defaults_without_a_file() -> None:
    settings = load_settings(None)
    assert settings == Settings()
    assert settings.source == "embedded defaults"
    assert settings.database.url == "sqlite:///var/registry.db"
    assert settings.mailbox.source == "maildir"
    assert settings.mailbox.maildir == "var/inbox"
    assert settings.smtp.transport == "directory"
    assert settings.smtp.directory == "var/outbox"
    assert settings.mailbox.port == 993
    assert settings.smtp.port == 587
    assert settings.smtp.from_address == "tekninentuki@kela.fi"


def test_settings_are_frozen() -> None:
    settings = load_settings(None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.database.url = "sqlite://"  # type: ignore[misc]


def test_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert find_config_file(None) is None

    write(tmp_path / "config.toml", "")
    assert find_config_file(None) == Path("config.toml")

    env_file = write(tmp_path / "env.toml", "")
    monkeypatch.setenv(ENV_VAR, str(env_file))
    assert find_config_file(None) == env_file

    assert find_config_file("option.toml") == Path("option.toml")


def test_a_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.toml",
        '[database]\nurl = "sqlite:///elsewhere.db"\n[mailbox]\nport = 1993\n',
    )
    settings = load_settings(path)
    assert settings.database.url == "sqlite:///elsewhere.db"
    assert settings.mailbox.port == 1993
    assert settings.mailbox.host == Settings().mailbox.host
    assert settings.source == str(path)


def test_a_whole_number_is_taken_where_a_fraction_is_allowed(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path / "c.toml", "[api]\nrefresh_seconds = 2\n"))
    assert settings.api.refresh_seconds == 2.0
    assert isinstance(settings.api.refresh_seconds, float)


# --- errors name section.key ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("[app]\nbogus = 1\n", "app.bogus: unknown key"),
        ("[smtp]\nhots = 'x'\n", "smtp.hots: unknown key"),
        ("[app]\nbase_url_file = 'x'\n", "app.base_url_file: unknown key"),
        ("[nosuch]\nx = 1\n", "nosuch: unknown section"),
        ("app = 1\n", "app: must be a table"),
        ("[mailbox]\nport = '993'\n", "mailbox.port: must be a whole number"),
        ("[mailbox]\nport = true\n", "mailbox.port: must be a whole number"),
        ("[mailbox]\nport = 993.5\n", "mailbox.port: must be a whole number"),
        ("[mailbox]\nport = 0\n", "mailbox.port: must be greater than 0"),
        ("[api]\nrefresh_seconds = 'soon'\n", "api.refresh_seconds: must be a number"),
        ("[scheduler]\nenabled = 'yes'\n", "scheduler.enabled: must be true or false"),
        ("[database]\nurl = 5\n", "database.url: must be a string"),
        ("[database]\nurl = ''\n", "database.url: not an SQLAlchemy URL"),
        ("[database]\nurl = 'foo:bar'\n", "database.url: not an SQLAlchemy URL"),
        ("[database]\nurl = 'nosuch://h/db'\n", "database.url: unknown database kind 'nosuch'"),
        ("[database]\nurl = 'mysql://h/db'\n", "database.url: the driver of 'mysql' is not"),
        ("[mailbox]\nsource = 'pop3'\n", "mailbox.source: must be one of maildir, imap"),
        ("[smtp]\nsecurity = 'ssl'\n", "smtp.security: must be one of"),
        ("[smtp]\ntransport = 'carrier-pigeon'\n", "smtp.transport: must be one of"),
        ("[smtp]\nfrom_address = 'nobody'\n", "smtp.from_address: not an email address"),
        ("[app]\nbase_url = 'ftp://x'\n", "app.base_url: must start with http"),
        # Missing required values: an IMAP mailbox needs a host, an account and a credential.
        (
            "[mailbox]\nsource = 'imap'\nhost = ''\nusername = 'u'\npassword = 'p'\n",
            "mailbox.host: required when mailbox.source is imap",
        ),
        (
            "[mailbox]\nsource = 'imap'\npassword = 'p'\n",
            "mailbox.username: required when mailbox.source is imap",
        ),
        (
            "[mailbox]\nsource = 'imap'\nusername = 'u'\n",
            "mailbox.password: required when mailbox.source is imap",
        ),
        ("[smtp]\ntransport = 'smtp'\nhost = ''\n", "smtp.host: required"),
    ],
)
def test_each_error_names_section_and_key(tmp_path: Path, text: str, names: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path / "c.toml", text))
    message = str(caught.value)
    assert names in message
    assert "\n" not in message


def test_a_file_that_is_not_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"c\.toml: not valid TOML"):
        load_settings(write(tmp_path / "c.toml", "[app\n"))


def test_a_file_that_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_settings(tmp_path / "absent.toml")


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(b"[app]\nbase_url = '\xff'\n")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_settings(path)


# --- secrets from files --------------------------------------------------------------------------


def test_secret_file_is_read_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf_dir = tmp_path / "etc"
    conf_dir.mkdir()
    write(conf_dir / "smtp-password", "from-beside-the-config\n")
    write(conf_dir / "imap-password", "  imap-secret  \n")
    write(conf_dir / "key", "k" * 40)
    # The working directory holds a file of the same name: it must not be the one read.
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    write(cwd / "smtp-password", "from-the-working-directory")
    monkeypatch.chdir(cwd)
    path = write(
        conf_dir / "config.toml",
        "[app]\nsecret_key_file = 'key'\n"
        "[mailbox]\npassword_file = 'imap-password'\n"
        "[smtp]\npassword_file = 'smtp-password'\n",
    )
    settings = load_settings(path)
    assert settings.smtp.password == "from-beside-the-config"
    assert settings.mailbox.password == "imap-secret"
    assert settings.app.secret_key == "k" * 40


def test_secret_file_with_an_absolute_path(tmp_path: Path) -> None:
    secret = write(tmp_path / "token", "oauth-token")
    path = write(tmp_path / "sub.toml", f"[mailbox]\noauth2_token_file = '{secret}'\n")
    assert load_settings(path).mailbox.oauth2_token == "oauth-token"


@pytest.mark.parametrize("order", ["value first", "file first"])
def test_secret_given_both_ways_is_an_error(tmp_path: Path, order: str) -> None:
    write(tmp_path / "pw", "x")
    lines = ["password = 'inline'", "password_file = 'pw'"]
    if order == "file first":
        lines.reverse()
    path = write(tmp_path / "c.toml", "[smtp]\n" + "\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match=r"smtp\.password_file: give either password or"):
        load_settings(path)


def test_secret_file_that_is_missing_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", "[smtp]\npassword_file = 'no-such-file'\n")
    with pytest.raises(ConfigError, match=r"smtp\.password_file: cannot read no-such-file"):
        load_settings(path)


def test_secret_file_must_be_a_path(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", "[smtp]\npassword_file = 3\n")
    with pytest.raises(ConfigError, match=r"smtp\.password_file: must be the path of a file"):
        load_settings(path)


# --- config.example.toml -------------------------------------------------------------------------


def test_config_example_lists_every_declared_key() -> None:
    example = REPO / "config.example.toml"
    assert example.is_file(), "config.example.toml is missing from the repository root"
    settings = load_settings(example)
    assert settings.source == str(example)
    raw = tomllib.loads(example.read_text(encoding="utf-8"))
    missing = [
        f"{section}.{f.name}"
        for section, cls in SECTIONS.items()
        for f in dataclasses.fields(cls)
        if f.name not in raw.get(section, {})
    ]
    assert missing == []


# --- through the command line --------------------------------------------------------------------


def test_bad_config_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    write(tmp_path / "bad.toml", "[mailbox]\nport = 'imap'\n")
    result = run_cli("--config", "bad.toml", "registry", "list", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "mailbox.port" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_precedence_option_then_environment_then_working_directory(tmp_path: Path) -> None:
    # Each file is wrong in its own way, so the error names the file that was read.
    write(tmp_path / "config.toml", "[app]\nfrom_cwd = 1\n")
    write(tmp_path / "env.toml", "[app]\nfrom_env = 1\n")
    write(tmp_path / "option.toml", "[app]\nfrom_option = 1\n")
    env = cli_env() | {ENV_VAR: str(tmp_path / "env.toml")}

    alone = run_cli("registry", "list", cwd=tmp_path)
    assert alone.returncode == 2
    assert "app.from_cwd" in alone.stderr

    with_env = run_cli("registry", "list", cwd=tmp_path, env=env)
    assert with_env.returncode == 2
    assert "app.from_env" in with_env.stderr

    with_option = run_cli("--config", "option.toml", "registry", "list", cwd=tmp_path, env=env)
    assert with_option.returncode == 2
    assert "app.from_option" in with_option.stderr


def test_defaults_put_the_database_under_var_of_the_working_directory(tmp_path: Path) -> None:
    upgraded = run_cli("db", "upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "var" / "registry.db").is_file()

    added = run_cli("registry", "add", "FI02012566", "--name", "Helsingin kaupunki", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    listed = run_cli("registry", "list", cwd=tmp_path)
    assert listed.stdout.split("\t")[0] == "0201256-6"

    # A config file in the working directory points elsewhere: that database is not migrated.
    write(tmp_path / "config.toml", "[database]\nurl = 'sqlite:///other/registry.db'\n")
    other = run_cli("registry", "list", cwd=tmp_path)
    assert (other.returncode, other.stdout) == (1, "")
    assert "no such table" in other.stderr
    assert (tmp_path / "other" / "registry.db").is_file()


def test_an_unusable_database_url_exits_2_in_one_line(tmp_path: Path) -> None:
    write(tmp_path / "config.toml", "[database]\nurl = 'postgresql+nosuch://h/db'\n")
    result = run_cli("registry", "list", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "registry-admin: configuration error: database.url: unknown database kind "
        "'postgresql+nosuch'"
    ]


def test_a_database_not_yet_migrated_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    result = run_cli("registry", "list", cwd=tmp_path)
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "db upgrade" in result.stderr
    assert "Traceback" not in result.stderr
