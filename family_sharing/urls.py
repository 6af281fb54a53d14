"""The resident's 家庭共济 pages (API.md section 6), mounted at /family/."""

from django.urls import path

from family_sharing import views
from family_sharing.reconsent import views as reconsent_views
from family_sharing.suggestions import views as suggestion_views

app_name = "family"

urlpatterns = [
    path("", views.bindings, name="bindings"),
    path("new/", views.binding_new, name="new"),
    path("new/check/", views.binding_new_check, name="new-check"),
    path("suggestions/bind/", suggestion_views.suggestion_bind, name="suggestion-bind"),
    path("<uuid:binding_id>/submitted/", views.binding_submitted, name="submitted"),
    path("<uuid:binding_id>/consent/", views.binding_consent_view, name="consent"),
    path("<uuid:binding_id>/revoke/", views.binding_revoke_view, name="revoke"),
    path("<uuid:binding_id>/leave/", views.binding_leave_view, name="leave"),
    path("<uuid:binding_id>/limit/", views.binding_limit_view, name="limit"),
    path("<uuid:binding_id>/evidence/", views.binding_evidence_view, name="evidence"),
    path("<uuid:binding_id>/reconsent/", reconsent_views.reconsent_view, name="reconsent"),
]
