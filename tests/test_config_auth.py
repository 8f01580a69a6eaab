"""The [auth] section: password sign-in and the OpenID Connect provider."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from registry_admin.config import ConfigError, load_settings

CLI = str(Path(sys.executable).with_name("registry-admin"))
GOOD = """
[auth]
oidc_issuer = "https://login.example.fi/realms/kela"
oidc_client_id = "registry-admin"
oidc_client_secret = "s3cret"
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_sign_in_through_a_provider_is_off_by_default() -> None:
    auth = load_settings(None).auth
    assert auth.password_login is True
    assert auth.oidc_issuer == ""
    assert auth.oidc_username_claim == "preferred_username"


def test_a_provider_with_a_secret_file_and_a_role_map(tmp_path: Path) -> None:
    write(tmp_path / "oidc-secret", "from a file\n")
    text = (
        GOOD.replace('oidc_client_secret = "s3cret"', 'oidc_client_secret_file = "oidc-secret"')
        + 'password_login = false\noidc_role_claim = "groups"\n'
        + 'oidc_role_map = { "registry-admins" = "admin", "readers" = "viewer" }\n'
        + "oidc_create_accounts = true\n"
    )
    auth = load_settings(write(tmp_path / "c.toml", text)).auth
    assert auth.oidc_client_secret == "from a file"
    assert auth.password_login is False
    assert auth.oidc_role_map == (("readers", "viewer"), ("registry-admins", "admin"))


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("[auth]\npassword_login = false\n", "auth.password_login: false needs auth.oidc_issuer"),
        ("[auth]\npassword_login = 'no'\n", "auth.password_login: must be true or false"),
        ("[auth]\noidc_isuer = 'x'\n", "auth.oidc_isuer: unknown key"),
        (
            GOOD.replace("https://login.example.fi", "http://login.example.fi"),
            "auth.oidc_issuer: must be an https:// URL",
        ),
        (GOOD.replace("https://login.example.fi", "login"), "auth.oidc_issuer: must be an https"),
        (GOOD.replace('"registry-admin"', '""'), "auth.oidc_client_id: required when"),
        (GOOD.replace('"s3cret"', '""'), "auth.oidc_client_secret: required when"),
        (
            GOOD + "oidc_client_secret_file = 'x'\n",
            "auth.oidc_client_secret_file: give either oidc_client_secret or",
        ),
        (GOOD + "oidc_scopes = 'profile email'\n", "auth.oidc_scopes: must include openid"),
        (GOOD + "oidc_username_claim = ''\n", "auth.oidc_username_claim: required when"),
        (GOOD + "oidc_timeout_seconds = 0\n", "auth.oidc_timeout_seconds: must be greater than 0"),
        (GOOD + "oidc_role_map = 'admins'\n", "auth.oidc_role_map: must be a table"),
        (
            GOOD + "oidc_role_claim = 'groups'\noidc_role_map = { admins = 'root' }\n",
            "auth.oidc_role_map: the role of 'admins' must be one of viewer, reviewer, admin",
        ),
        (GOOD + "oidc_role_map = { admins = 'admin' }\n", "auth.oidc_role_map: needs"),
        (GOOD + "oidc_create_accounts = true\n", "auth.oidc_create_accounts: needs"),
        (GOOD + "oidc_role_claim = 'groups'\n", "auth.oidc_role_claim: needs auth.oidc_role_map"),
    ],
)
def test_each_auth_error_names_its_key(tmp_path: Path, text: str, names: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path / "c.toml", text))
    assert names in str(caught.value)
    assert "\n" not in str(caught.value)


def test_plain_http_is_allowed_for_a_provider_on_this_machine(tmp_path: Path) -> None:
    text = GOOD.replace("https://login.example.fi", "http://127.0.0.1:8080")
    assert load_settings(write(tmp_path / "c.toml", text)).auth.oidc_issuer.startswith("http:")


def test_a_bad_auth_key_stops_the_command_line_with_exit_2(tmp_path: Path) -> None:
    write(tmp_path / "bad.toml", "[auth]\npassword_login = false\n")
    result = subprocess.run(
        [CLI, "--config", "bad.toml", "registry", "list"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "auth.password_login" in result.stderr and "Traceback" not in result.stderr
