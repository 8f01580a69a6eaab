"""The staff UI's language: the user's own choice, else the browser's, else Finnish."""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel, format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from registry_admin.review.models import LANGUAGES

babel = Babel()


def select_locale() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.language
    chosen = session.get("language")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "fi"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, default_timezone="Europe/Helsinki")
    app.jinja_env.globals.update(
        get_locale=get_locale,
        format_datetime=format_datetime,
        source_label=source_label,
        status_label=status_label,
        action_label=action_label,
    )


def source_label(source: str) -> str:
    return str(
        {
            "municipality": _l("municipality"),
            "application": _l("application"),
            "manual": _l("added by hand"),
        }.get(source, source)
    )


def status_label(status: str) -> str:
    return str({"active": _l("in the registry"), "removed": _l("removed")}.get(status, status))


def action_label(action: str) -> str:
    labels = {
        "registry.add": _l("added"),
        "registry.remove": _l("removed"),
        "registry.rename": _l("renamed"),
        "municipalities.sync": _l("municipality sync"),
        "api_client.create": _l("API client created"),
        "user.create": _l("staff account created"),
    }
    return str(labels.get(action, action))
