"""Signed-in staff clients for the outbox, wording and webhook pages (tests/notify, tests/webhooks)."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from staff_client import PASSWORD, csrf_token, sign_in

from registry_admin.db import transaction
from registry_admin.review.accounts import create_user


class StaffClients:
    """`clients("admin")`: a client signed in as an account of that role, made on first use."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.made: set[str] = set()

    def __call__(self, role: str) -> FlaskClient:
        if role not in self.made:
            with self.app.app_context(), transaction() as session:
                create_user(
                    session, role, role=role, password=PASSWORD, actor="test", language="en"
                )
            self.made.add(role)
        client = self.app.test_client()
        assert sign_in(client, role).status_code == 302
        return client


def post_form(client: FlaskClient, page: str, target: str, **data: str):
    """Submit a form of `page` to `target` as a browser would: with the page's CSRF token."""
    return client.post(target, data={"csrf_token": csrf_token(client, page), **data})


def text_of(html: str) -> str:
    """The page's text without tags, whitespace folded, for assertions on what a person reads."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
