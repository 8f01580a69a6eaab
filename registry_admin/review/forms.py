"""Forms of the staff UI; Flask-WTF adds the CSRF token to each."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from registry_admin.review.models import LANGUAGES


class AddOrganizationForm(FlaskForm):
    business_id = StringField(_l("Business ID"), validators=[DataRequired(), Length(max=64)])
    name = StringField(_l("Organization name"), validators=[DataRequired(), Length(max=300)])
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])


class RemoveOrganizationForm(FlaskForm):
    reason = TextAreaField(_l("Reason for removal"), validators=[DataRequired(), Length(max=2000)])


class LanguageForm(FlaskForm):
    language = StringField(_l("Language"), validators=[AnyOf(LANGUAGES)])
    next = HiddenField()


class DecisionForm(FlaskForm):
    """A decision that needs nothing but the CSRF token."""


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason, sent to the applicant"), validators=[DataRequired(), Length(max=2000)]
    )


class CorrectionForm(FlaskForm):
    item = StringField(_l("Item"), validators=[DataRequired(), Length(max=40)])
    value = TextAreaField(_l("Corrected value"), validators=[Length(max=2000)])


class BulkForm(FlaskForm):
    """Several requests at once, by their ids."""
