"""The bureau's change of a person's number on file (DESIGN.md section 3): the one way that number
changes. An admin page of its own, mounted beside the person's change page; the person is found
through the person admin's own queryset, so an officer reaches only persons of their region (404
otherwise), and the change needs the change permission on persons."""

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.enrolment import person_phone_change
from accounts.models import Person, User
from accounts.services import person_view_record
from portal.admin_helpers import form_page
from portal.core.errors import ApplicationError


class PhoneChangeForm(forms.Form):
    new_phone = forms.CharField(label="新手机号", max_length=20, help_text="11位手机号码，以1开头")
    reason = forms.CharField(
        label="变更原因",
        max_length=200,
        help_text="例如：本人持身份证到窗口申请，原号码已停用",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def person_phone_view(request: HttpRequest, person_id: int) -> HttpResponse:
    """GET: the form with the current number masked; POST: the change, then the person's page."""
    person_admin = admin.site.get_model_admin(Person)
    person = person_admin.get_queryset(request).filter(pk=person_id).first()
    if person is None or not person_admin.has_change_permission(request, person):
        raise Http404
    staff: User = request.user  # type: ignore[assignment]
    form = PhoneChangeForm(request.POST or None)
    errors: list[object] = []
    if request.method == "POST" and form.is_valid():
        try:
            person_phone_change(
                staff=staff,
                person=person,
                new_phone=form.cleaned_data["new_phone"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            errors = list(error.details)
        else:
            messages.success(request, "手机号已变更，新旧号码都已收到短信通知。")
            return redirect(reverse("admin:accounts_person_change", args=[person.pk]))
    elif request.method == "GET":
        person_view_record(staff=staff, person=person, surface="admin")
    return form_page(
        request,
        admin.site,
        title=f"变更手机号：{person.name_masked}",
        intro=f"登记的手机号：{person.phone_masked or '（无）'}。只在本人持身份证到窗口申请时变更，变更会记录经办人、时间和原因。",
        form=form,
        errors=errors,
        submit_label="变更手机号",
    )
