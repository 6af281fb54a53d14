"""Certification API paths (API.md sections 2 and 4), included under /api/v1/ by portal/urls.py."""

from django.urls import path

from certification import apis

urlpatterns = [
    path("certification/", apis.CertificationStandingApi.as_view(), name="api-certification"),
    path(
        "certification/sessions/",
        apis.CertificationSessionStartApi.as_view(),
        name="api-certification-sessions",
    ),
    path(
        "certification/callbacks/<str:channel>/",
        apis.CertificationCallbackApi.as_view(),
        name="api-certification-callback",
    ),
]
