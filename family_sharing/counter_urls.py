"""The hospital, pharmacy and bureau counter (DESIGN.md section 1), mounted at /counter/."""

from django.urls import path

from family_sharing import views

app_name = "counter"

urlpatterns = [
    path("", views.counter_home, name="home"),
    path("login/", views.counter_login, name="login"),
    path("bind/", views.counter_bind, name="bind"),
    path("bind/done/", views.counter_bind_done, name="bind-done"),
]
