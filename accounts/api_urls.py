from django.urls import path

from accounts import apis

urlpatterns = [
    path("auth/register/", apis.RegisterApi.as_view(), name="api-register"),
    path("auth/register/confirm/", apis.RegisterConfirmApi.as_view(), name="api-register-confirm"),
    path("auth/token/", apis.TokenApi.as_view(), name="api-token"),
    path("auth/sms-code/", apis.SmsCodeApi.as_view(), name="api-sms-code"),
    path("auth/logout/", apis.LogoutApi.as_view(), name="api-logout"),
    path("me/", apis.MeApi.as_view(), name="api-me"),
    path("account/", apis.AccountApi.as_view(), name="api-account"),
]
