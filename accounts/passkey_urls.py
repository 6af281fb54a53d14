"""django-otp-webauthn's endpoints under its own namespace (`otp_webauthn`, which its template tags
reverse), each narrowed to this portal (accounts.passkey_views). Mounted at /passkeys/."""

from django.urls import path

from accounts import passkey_views

app_name = "otp_webauthn"

urlpatterns = [
    path("registration/begin/", passkey_views.registration_begin, name="credential-registration-begin"),
    path(
        "registration/complete/", passkey_views.registration_complete, name="credential-registration-complete"
    ),
    path("authentication/begin/", passkey_views.sign_in_begin, name="credential-authentication-begin"),
    path(
        "authentication/complete/", passkey_views.sign_in_complete, name="credential-authentication-complete"
    ),
    path("jsi18n/", passkey_views.js_catalog, name="js-i18n-catalog"),
]
