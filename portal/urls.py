"""The composition root's URL map (API.md sections 1, 2, 3 and 6)."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portal import metrics_view, views
from portal.api import not_found as api_not_found

api_v1: list[URLPattern | URLResolver] = [
    path("", include("accounts.api_urls")),
    path("", include("family_sharing.api_urls")),
    path("", include("accounts.delegations.api_urls")),
    path("", include("certification.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # Last: every other path under /api/v1/ answers the JSON 404 body (API.md section 1).
    re_path(r"^.*$", api_not_found, name="api-not-found"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics_view.metrics, name="metrics"),
    path("display/", views.display_toggle, name="display-toggle"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("", include("accounts.urls")),
    path("passkeys/", include("accounts.passkey_urls")),  # django-otp-webauthn's JSON views
    path("family/", include("family_sharing.urls")),
    path("counter/", include("family_sharing.counter_urls")),
    path("certification/", include("certification.urls")),
    path("family-service/", include("accounts.delegations.urls")),
]
