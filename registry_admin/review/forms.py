"""Forms of the staff UI; Flask-WTF adds the CSRF token to each."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

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
    """A reason picked from the admins' list, or written (or the picked one edited) by hand."""

    template = SelectField(
        _l("Reason from the list"), choices=[], validate_choice=False, validators=[Optional()]
    )
    reason = TextAreaField(_l("Reason, sent to the applicant"), validators=[Length(max=2000)])


class RejectionReasonForm(FlaskForm):
    """One rejection reason: a title for reviewers and the text for applicants, per language."""

    title_fi = StringField(_l("Title in Finnish"), validators=[DataRequired(), Length(max=120)])
    title_sv = StringField(_l("Title in Swedish"), validators=[DataRequired(), Length(max=120)])
    title_en = StringField(_l("Title in English"), validators=[DataRequired(), Length(max=120)])
    text_fi = TextAreaField(_l("Text in Finnish"), validators=[DataRequired(), Length(max=2000)])
    text_sv = TextAreaField(_l("Text in Swedish"), validators=[DataRequired(), Length(max=2000)])
    text_en = TextAreaField(_l("Text in English"), validators=[DataRequired(), Length(max=2000)])
    active = BooleanField(_l("In use"), default=True)


class CorrectionForm(FlaskForm):
    item = StringField(_l("Item"), validators=[DataRequired(), Length(max=40)])
    value = TextAreaField(_l("Corrected value"), validators=[Length(max=2000)])


class BulkForm(FlaskForm):
    """Several requests at once, by their ids."""
