"""Shape checks of the arrears-case admin pages; the rules are in services."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from family_sharing.contributions.models import CaseStatus
from family_sharing.contributions.services import NEXT_STEPS
from portal.core.errors import ApplicationError


class ApplicationErrorForm(forms.Form):
    field_aliases: dict[str, str] = {}  # a service's field name -> this form's field

    def add_application_error(self, error: ApplicationError) -> None:
        """Each reason beside its field (its code kept for data-code), the rest above the form."""
        for reason in error.details or []:
            name = self.field_aliases.get(reason.field or "", reason.field)
            target = name if name in self.fields else None
            self.add_error(target, ValidationError(reason.message, code=reason.code))


class CaseOpenForm(ApplicationErrorForm):
    field_aliases = {"employer": "employer_uscc"}
    employer_uscc = forms.CharField(label=_("统一社会信用代码"), max_length=18)
    as_of = forms.DateField(
        label=_("立案日期"), help_text=_("格式 YYYY-MM-DD；截至这一天逾期未缴足的月份列入案件")
    )
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class CaseStepForm(ApplicationErrorForm):
    kind = forms.ChoiceField(label=_("办理环节"))
    done_on = forms.DateField(label=_("办理日期"), help_text=_("格式 YYYY-MM-DD"))
    deadline = forms.DateField(
        label=_("缴纳期限"), required=False, help_text=_("责令限期缴纳时填写，格式 YYYY-MM-DD")
    )
    note = forms.CharField(label=_("说明"), max_length=500, required=False)
    document = forms.FileField(label=_("文书（PDF、JPEG 或 PNG，不超过 5 MB）"), required=False)

    def __init__(self, *args: object, status: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        kinds = [*NEXT_STEPS.get(status, ()), CaseStatus.CLOSED] if status != CaseStatus.CLOSED else []
        self.fields["kind"].choices = [(k, CaseStatus(k).label) for k in kinds]  # type: ignore[attr-defined]
