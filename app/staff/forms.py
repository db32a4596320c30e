"""The staff pages' forms: they only parse (names, types, empty as None); the services check and say
what is wrong, so the command line and the pages refuse the same things in the same words."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, PasswordField, SelectMultipleField, StringField


def _none_if_empty(value):
    return value or None


class Form(FlaskForm):
    """A form of the staff pages."""

    class Meta:
        # CSRFProtect already checks the token of every POST in the app (the same ``csrf_token``
        # field): a second check here would add nothing.
        csrf = False


class SignInForm(Form):
    email = StringField(default="")
    password = PasswordField(default="")


class NewCaseForm(Form):
    reference = StringField(default="")
    preferred_name = StringField(default="")
    language = StringField(default="en")
    communication_needs = StringField(default="")
    worker_id = IntegerField()


class StageForm(Form):
    stage = StringField(default="")


class EligibilityForm(Form):
    decision = StringField(default="")
    reason = StringField()
    reason_text = StringField()
    representative_name = StringField()
    representative_role = StringField()


class DecideForm(Form):
    approve = StringField()

    @property
    def approved(self) -> bool:
        """The manager agreed (the "Agree" button), rather than declined."""
        return self.approve.data == "yes"


class BackForm(Form):
    """Where to go after an action on the home, case or follow-ups page."""

    back = HiddenField()


class ReassignForm(BackForm):
    worker_id = IntegerField()


class InviteForm(Form):
    part = IntegerField()
    language = StringField(filters=[_none_if_empty])
    respondent = StringField(filters=[_none_if_empty])
    name = StringField(filters=[_none_if_empty])
    # Who is invited to answer for the person, if the worker names them (checked against the
    # person's "do not tell" answer).
    representative_name = StringField(filters=[_none_if_empty])


class DoneForm(BackForm):
    note = StringField(default="")


class UserForm(Form):
    email = StringField(default="")
    role = StringField(default="")
    team = StringField(default="")
    password = PasswordField(default="")


class ActiveForm(Form):
    active = StringField()

    @property
    def on(self) -> bool:
        """The account is to be switched on."""
        return self.active.data == "on"


class TeamForm(Form):
    """A new team, or a change to one: a field left out is not changed."""

    name = StringField()
    duty_email = StringField()


class AnswerForm(Form):
    """One answer (or back, change, skip) in a staff dialogue's plain question page."""

    action = StringField()
    step = StringField()
    kind = StringField()
    answer_id = StringField(name="id")
    value = StringField()
    values = SelectMultipleField(name="value", validate_choice=False, default=list)

    def answer_value(self):
        """The answer as the dialogue takes it: None for a skip or a message, a list for a multi."""
        if self.action.data == "skip" or self.kind.data == "none":
            return None
        if self.kind.data == "multi":
            return list(self.values.data or [])
        return self.value.data or None


class RedactionsForm(Form):
    """What a subject access copy redacts: words one a line, and the answers withheld (their ids)."""

    words = StringField(default="")
    withhold = SelectMultipleField(validate_choice=False, default=list)


class ReasonForm(Form):
    """A reason a manager gives: for a legal hold, lifting one, or an erasure."""

    reason = StringField(default="")


# For the audit log's filter below: imported here, so that the addition stays at the end of the file.
from wtforms import DateField  # noqa: E402
from wtforms.validators import NumberRange, Optional  # noqa: E402


class AuditFilterForm(Form):
    """The audit log's filter, read from the query string (a GET form: ids, an action and UTC
    days only, nothing that names a person). Each left empty is not applied."""

    case_id = IntegerField("Case", validators=[Optional()])
    user_id = IntegerField("Who", validators=[Optional()])
    action = StringField("What", filters=[_none_if_empty])
    via = StringField("Through", filters=[_none_if_empty])
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1)])


class CapacityForm(Form):
    capacity = StringField()
    support = StringField()


class SacConfirmForm(Form):
    """A worker's confirmation of a case's SG4a figures (the national return)."""

    asked = StringField(filters=[_none_if_empty])
    achieved = StringField(filters=[_none_if_empty])


class SupervisionForm(Form):
    """A manager's record of discussing a reflection in supervision: the day (year-month-day) and notes."""

    discussed_on = StringField(filters=[_none_if_empty])
    notes = StringField(filters=[_none_if_empty])


class LearningActionForm(Form):
    """A learning action agreed in supervision: what, whose (a staff id; the worker if empty), by when."""

    text = StringField(filters=[_none_if_empty])
    owner_id = IntegerField(validators=[Optional()])
    due_on = StringField(filters=[_none_if_empty])


class AuditSampleForm(Form):
    """A manager's case-file audit sample: the quarter (2026Q4) and how many cases."""

    period = StringField(filters=[_none_if_empty])
    size = IntegerField(validators=[Optional()])


class AuditorForm(Form):
    """Who audits a sampled case (a staff id)."""

    auditor_id = IntegerField(validators=[Optional()])
