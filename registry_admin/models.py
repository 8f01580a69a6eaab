"""Imports every table so that Alembic and the tests see the whole schema."""

from registry_admin.api.models import ApiClient, Disclosure
from registry_admin.intake import models as intake_models  # noqa: F401
from registry_admin.jobstatus import JobStatus
from registry_admin.notify.models import Notification
from registry_admin.registry.models import AuditEvent, Organization, RegistryChange
from registry_admin.review.models import StaffUser
from registry_admin.review.sessions import LoginFailure, StaffSession
from registry_admin.webhooks.models import WebhookDelivery, WebhookEndpoint  # noqa: F401

__all__ = [
    "ApiClient",
    "AuditEvent",
    "Disclosure",
    "JobStatus",
    "LoginFailure",
    "Notification",
    "Organization",
    "RegistryChange",
    "StaffSession",
    "StaffUser",
]
