"""Staff accounts of each role and signed-in browsers for the staff UI tests."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from staff_client import PASSWORD, sign_in

from registry_admin.db import transaction
from registry_admin.review.accounts import create_user

ROLES = ("viewer", "reviewer", "admin")


@pytest.fixture
def staff(app: Flask) -> tuple[str, ...]:
    """One account per role, named after it, using English."""
    with app.app_context(), transaction() as session:
        for role in ROLES:
            create_user(session, role, role=role, password=PASSWORD, actor="test", language="en")
    return ROLES


@pytest.fixture
def signed_in(app: Flask, staff: tuple[str, ...]):
    """signed_in("admin") -> a test client signed in with that role."""

    def make(role: str) -> FlaskClient:
        client = app.test_client()
        response = sign_in(client, role)
        assert response.status_code == 302, response.text
        return client

    return make
