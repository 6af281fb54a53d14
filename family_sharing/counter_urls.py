"""The hospital, pharmacy and bureau counter (DESIGN.md section 1), mounted at /counter/."""

from django.urls import path

from family_sharing import views
from family_sharing.settlement import views as settlement_views

app_name = "counter"

urlpatterns = [
    path("", views.counter_home, name="home"),
    path("login/", views.counter_login, name="login"),
    path("bind/", views.counter_bind, name="bind"),
    path("bind/done/", views.counter_bind_done, name="bind-done"),
    path("settle/", settlement_views.counter_settle, name="settle"),
    path("settle/<str:token>/", settlement_views.counter_settle_holder, name="settle-holder"),
    path("settlements/", settlement_views.counter_settlements, name="settlements"),
    path("settlements/<uuid:settlement_id>/", settlement_views.counter_receipt, name="receipt"),
    path("settlements/<uuid:settlement_id>/reverse/", settlement_views.counter_reverse, name="reverse"),
]
