"""The staff UI's language: the user's own choice, else the browser's, else Finnish."""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel, format_datetime, get_locale
from flask_babel import gettext as _
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
    from registry_admin.review.mail_display import safe_filename

    app.jinja_env.filters["item_label"] = item_label
    app.jinja_env.globals.update(
        state_label=state_label,
        item_label=item_label,
        kind_label=kind_label,
        part_label=part_label,
        bid_reason=bid_reason,
        safe_filename=safe_filename,
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
        "user.link_oidc": _l("staff account linked to the sign-in provider"),
        "user.role_from_provider": _l("role set by the sign-in provider"),
        "auth.sign_in_failed": _l("failed sign-in"),
        "request.approve": _l("request approved"),
        "request.reject": _l("request rejected"),
        "request.not_request": _l("marked as not a request"),
        "request.ask_missing": _l("missing items asked for"),
        "request.correct": _l("item corrected"),
        "request.view": _l("request viewed"),
        "reason.create": _l("rejection reason added"),
        "reason.update": _l("rejection reason changed"),
        "reason.move": _l("rejection reasons reordered"),
        "message.reprocess": _l("quarantined message processed again"),
        "notify.wording_saved": _l("notification wording changed"),
        "notify.wording_reset": _l("notification wording reset"),
        "notify.retry": _l("notification queued again"),
        "webhook.retry": _l("webhook delivery retried"),
        "webhook.skip": _l("webhook delivery given up"),
    }
    return str(labels.get(action, action))


def state_label(state: str) -> str:
    labels = {
        "pending": _l("to do"),
        "new": _l("new"),
        "incomplete": _l("incomplete"),
        "ready": _l("ready to decide"),
        "already_registered": _l("already registered"),
        "duplicate": _l("duplicate"),
        "approved": _l("approved"),
        "rejected": _l("rejected"),
        "not_request": _l("not a request"),
        "quarantined": _l("quarantined"),
        "removals": _l("removal requests"),
    }
    return str(labels.get(state, state))


def item_label(item: str) -> str:
    labels = {
        "business_id": _l("Business ID"),
        "organization_name": _l("Organization name"),
        "justification": _l("Justification"),
        "contact_name": _l("Contact person"),
        "contact_email": _l("Email"),
        "contact_phone": _l("Phone"),
        "contact_details": _l("Contact details"),
    }
    return str(labels.get(item, item))


def kind_label(kind: str | None) -> str:
    """The intake's name for what a message is (classify.py's kinds)."""
    labels = {
        "request": _l("registration request"),
        "followup": _l("follow-up"),
        "removal": _l("removal request"),
        "autoreply": _l("automatic reply"),
        "bounce": _l("delivery failure report"),
        "spam": _l("spam"),
        "other": _l("other mail"),
    }
    return str(labels.get(kind or "", kind or ""))


def part_label(name: str) -> str:
    """A readable part of a message, as mime.py names it: the text, an attached message, or
    an attachment (the file name as the sender gave it: autoescaped where it is shown)."""
    if name == "body":
        return _("Message text")
    if name == "message/rfc822":
        return _("Attached message")
    if name.startswith("attachment:"):
        return _("Attachment: %(name)s", name=name.removeprefix("attachment:"))
    return name


def bid_reason(reason: str | None) -> str:
    labels = {
        "checksum": _l("the check digit does not match"),
        "length": _l("wrong number of digits"),
        "format": _l("not of the form NNNNNNN-N"),
    }
    return str(labels.get(reason or "", reason or ""))
