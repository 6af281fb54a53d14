"""亲情服务 pages, mounted at /family-service/."""

from django.urls import path

from accounts.delegations import views

app_name = "family_service"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.new, name="new"),
    path("<uuid:delegation_id>/confirm/", views.confirm, name="confirm"),
    path("<uuid:delegation_id>/revoke/", views.revoke, name="revoke"),
    path("<uuid:delegation_id>/rights/", views.rights, name="rights"),
]
