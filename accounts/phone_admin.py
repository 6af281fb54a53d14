"""The bureau's change of a person's number on file (DESIGN.md section 3): the one way that number
changes. An admin page of its own, mounted beside the person's change page; the person is found
through the person admin's own queryset, so an officer reaches only persons of their region (404
otherwise), and the change needs the change permission on persons. The page files a change request
(maker-checker, DESIGN.md section 6): the number changes, and both numbers are told, only when a
second officer of the region approves it (accounts/change_requests/)."""

from django import forms
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse

from accounts.change_requests.admin import change_request_filed
from accounts.change_requests.kinds import PERSON_PHONE
from accounts.change_requests.services import request_create
from accounts.models import Person, User
from accounts.services import person_view_record
from portal.admin_helpers import form_page
from portal.core.errors import ApplicationError, Reason, reasons_shown


class PhoneChangeForm(forms.Form):
    new_phone = forms.CharField(label="新手机号", max_length=20, help_text="11位手机号码，以1开头")
    reason = forms.CharField(
        label="变更原因",
        max_length=200,
        help_text="例如：本人持身份证到窗口申请，原号码已停用",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def person_phone_view(request: HttpRequest, person_id: int) -> HttpResponse:
    """GET: the form with the current number masked; POST: the change request, then its page."""
    person_admin = admin.site.get_model_admin(Person)
    person = person_admin.get_queryset(request).filter(pk=person_id).first()
    if person is None or not person_admin.has_change_permission(request, person):
        raise Http404
    staff: User = request.user  # type: ignore[assignment]
    form = PhoneChangeForm(request.POST or None)
    errors: list[Reason] = []
    if request.method == "POST" and form.is_valid():
        try:
            filed = request_create(
                kind=PERSON_PHONE,
                maker=staff,
                target=person,
                after={"phone": form.cleaned_data["new_phone"]},
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            errors = reasons_shown(error)
        else:
            return change_request_filed(request, filed)
    elif request.method == "GET":
        person_view_record(staff=staff, person=person, surface="admin")
    return form_page(
        request,
        admin.site,
        title=f"变更手机号：{person.name_masked}",
        intro=f"登记的手机号：{person.phone_masked or '（无）'}。只在本人持身份证到窗口申请时变更，变更会记录经办人、时间和原因；提交后须另一位经办人复核才生效。",
        form=form,
        errors=errors,
        submit_label="提交变更，待复核",
    )
