"""The hospital, pharmacy and bureau counter (DESIGN.md section 1), mounted at /counter/."""

from django.urls import path

from family_sharing import views

app_name = "counter"

urlpatterns = [
    path("", views.counter_home, name="home"),
    path("login/", views.counter_login, name="login"),
]
