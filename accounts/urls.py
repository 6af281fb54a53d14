"""Resident pages (API.md section 6), mounted at the site root."""

from django.urls import path

from accounts import passkey_views, security_views, views

app_name = "accounts"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("register/sms/", views.register_sms, name="register-sms"),
    path("register/authenticator/", views.register_authenticator, name="register-authenticator"),
    path("login/", views.login, name="login"),
    path("login/passkey/", passkey_views.sign_in_page, name="login-passkey"),
    path("logout/", views.logout, name="logout"),
    path("me/", views.me, name="me"),
    path("me/security/", security_views.security, name="security"),
    path("me/security/authenticator/", security_views.authenticator, name="security-authenticator"),
    path("account/", views.account, name="account"),
    path("account/export.csv", views.account_export, name="account-export"),
]
