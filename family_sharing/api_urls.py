"""Family-sharing API paths (API.md sections 2 and 3), included under /api/v1/ by portal/urls.py.
Binding ids are matched as plain strings so that a malformed id is the same 404 as a foreign one."""

from django.urls import path

from family_sharing import apis
from family_sharing.reconsent import apis as reconsent_apis
from family_sharing.settlement import apis as settlement_apis
from family_sharing.suggestions import apis as suggestion_apis

urlpatterns = [
    path(
        "family/suggestions/",
        suggestion_apis.FamilySuggestionListApi.as_view(),
        name="api-family-suggestions",
    ),
    path("bindings/check/", apis.BindingCheckApi.as_view(), name="api-binding-check"),
    path("bindings/", apis.BindingListCreateApi.as_view(), name="api-bindings"),
    path("bindings/<str:binding_id>/", apis.BindingDetailApi.as_view(), name="api-binding"),
    path("bindings/<str:binding_id>/consent/", apis.BindingConsentApi.as_view(), name="api-binding-consent"),
    path(
        "bindings/<str:binding_id>/reconsent/",
        reconsent_apis.BindingReconsentApi.as_view(),
        name="api-binding-reconsent",
    ),
    path("bindings/<str:binding_id>/revoke/", apis.BindingRevokeApi.as_view(), name="api-binding-revoke"),
    path("bindings/<str:binding_id>/leave/", apis.BindingLeaveApi.as_view(), name="api-binding-leave"),
    path(
        "bindings/<str:binding_id>/evidence/",
        apis.BindingEvidenceUploadApi.as_view(),
        name="api-binding-evidence",
    ),
    path("counter/bindings/", apis.CounterBindingCreateApi.as_view(), name="api-counter-bindings"),
    path("counter/cards/<str:card_number>/", apis.CounterCardApi.as_view(), name="api-counter-card"),
    path("settlements/", settlement_apis.SettlementCreateApi.as_view(), name="api-settlements"),
    path(
        "settlements/<str:settlement_id>/reverse/",
        settlement_apis.SettlementReverseApi.as_view(),
        name="api-settlement-reverse",
    ),
]
