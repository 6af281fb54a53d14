"""The resident's 养老金资格认证 pages (API.md section 6), mounted at /certification/."""

from django.urls import path

from certification import views

app_name = "certification"

urlpatterns = [
    path("", views.home, name="home"),
    path("home-visit/", views.home_visit_new, name="home-visit"),
    path("home-visit/<uuid:visit_id>/cancel/", views.home_visit_cancel_view, name="home-visit-cancel"),
    path("for/<uuid:delegation_id>/", views.start_for, name="start-for"),
    path("for/<uuid:delegation_id>/home-visit/", views.home_visit_for, name="home-visit-for"),
]
