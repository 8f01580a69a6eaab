"""registry-admin: the registry of organizations that may use Kela's appointment booking."""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from registry_admin.config import Settings, find_config_file, load_settings
from registry_admin.db import configure_sqlite, db, migrate, resource_path


def create_app(
    overrides: dict[str, dict[str, Any]] | None = None, *, config_path: str | None = None
) -> Flask:
    """Build the application from the configuration file (or defaults) plus `overrides`."""
    settings = load_settings(find_config_file(config_path), overrides)
    app = Flask(
        __name__,
        template_folder=str(resource_path("templates")),
    )
    _configure(app, settings)
    _init_extensions(app, settings)
    _register_blueprints(app)
    _install_fast_paths(app)
    return app


def _configure(app: Flask, settings: Settings) -> None:
    logging.getLogger("registry_admin").setLevel(settings.app.log_level)
    app.config.update(
        REGISTRY_SETTINGS=settings,
        SECRET_KEY=settings.app.secret_key or _instance_secret(settings),
        SQLALCHEMY_DATABASE_URI=_database_url(settings),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )


def _database_url(settings: Settings) -> str:
    url = settings.database.url
    # A relative SQLite path is relative to the working directory (Flask-SQLAlchemy would take
    # the instance folder): make it absolute and make sure its folder exists.
    if url.startswith("sqlite:///") and ":memory:" not in url:
        path = Path(url.removeprefix("sqlite:///")).absolute()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    return url


def _instance_secret(settings: Settings) -> str:
    """A secret key kept in the instance folder when the configuration gives none."""
    path = Path(settings.app.instance_dir) / "secret_key"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key, encoding="utf-8")
    return key


def _init_extensions(app: Flask, settings: Settings) -> None:
    from registry_admin import models  # noqa: F401  (every table, for Alembic)
    from registry_admin.api.disclosures import DisclosureLog
    from registry_admin.api.messages import not_registered_message
    from registry_admin.api.registry_view import RegistryView

    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource_path("migrations")), render_as_batch=True)
    with app.app_context():
        engine = db.engine
        configure_sqlite(engine, settings.database.sqlite_busy_timeout_ms)
    app.extensions["registry_view"] = RegistryView(engine, settings.api.refresh_seconds)
    app.extensions["disclosure_log"] = DisclosureLog(engine, settings.api.disclosure_flush_seconds)
    message = not_registered_message(settings.smtp.from_address)
    app.extensions["not_registered_message"] = message
    app.extensions["not_registered_tail"] = (
        '","registered":false,"message":'
        + json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        + "}"
    ).encode()


def _install_fast_paths(app: Flask) -> None:
    from registry_admin.api.fast_lookup import LookupFastPath

    # Flask's documented place for WSGI middleware: app() and the test client both go through it.
    app.wsgi_app = LookupFastPath(app, app.wsgi_app)  # type: ignore[method-assign]


def _register_blueprints(app: Flask) -> None:
    from registry_admin import security
    from registry_admin.api.routes import bp as api_bp
    from registry_admin.api.routes import json_response
    from registry_admin.health import bp as health_bp
    from registry_admin.notify.views import bp as notify_admin_bp
    from registry_admin.review import auth, i18n
    from registry_admin.review.queue import bp as review_bp
    from registry_admin.review.routes import bp as registry_ui_bp
    from registry_admin.webhooks.views import bp as webhooks_admin_bp

    security.init_app(app)
    # The API authenticates each request by its bearer token; no cookie, so no CSRF.
    security.csrf.exempt(api_bp)
    security.init_for_pages_only(app, auth.login_manager.init_app)
    i18n.init_app(app)
    app.register_blueprint(api_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(registry_ui_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(notify_admin_bp)
    app.register_blueprint(webhooks_admin_bp)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response | tuple[str, int]:
        code = exc.code or 500
        if request.path.startswith("/api/"):
            error = (exc.name or "error").lower().replace(" ", "_")
            return json_response({"error": error, "detail": exc.description or ""}, code)
        page = render_template(
            "errors/error.html", code=code, name=exc.name, description=exc.description
        )
        return page, code
