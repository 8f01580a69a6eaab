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
