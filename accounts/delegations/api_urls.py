"""Family-service API paths, included under /api/v1/ by portal/urls.py. Ids are plain strings so that
a malformed id is the same 404 as a foreign one."""

from django.urls import path

from accounts.delegations import apis

urlpatterns = [
    path("delegations/", apis.DelegationListCreateApi.as_view(), name="api-delegations"),
    path(
        "delegations/<str:delegation_id>/confirm/",
        apis.DelegationConfirmApi.as_view(),
        name="api-delegation-confirm",
    ),
    path(
        "delegations/<str:delegation_id>/revoke/",
        apis.DelegationRevokeApi.as_view(),
        name="api-delegation-revoke",
    ),
    path(
        "delegations/<str:delegation_id>/rights/",
        apis.DelegationRightsApi.as_view(),
        name="api-delegation-rights",
    ),
]
