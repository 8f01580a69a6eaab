"""Alembic environment: the application's engine and metadata, batch mode for SQLite."""

import logging

from alembic import context
from flask import current_app

from registry_admin.db import UtcDateTime

log = logging.getLogger("alembic.env")
config = context.config
target_db = current_app.extensions["migrate"].db


def render_item(type_, obj, autogen_context):
    # Migrations stay plain SQLAlchemy: the UTC wrapper is the model's business.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs):
    context.configure(
        target_metadata=target_db.metadata,
        compare_type=True,
        render_as_batch=True,
        render_item=render_item,
        **kwargs,
    )


def run_migrations_offline():
    _configure(url=str(target_db.engine.url), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            log.info("No changes in schema detected.")

    with target_db.engine.connect() as connection:
        _configure(connection=connection, process_revision_directives=process_revision_directives)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
