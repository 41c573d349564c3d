"""URLs of the operations app."""

from django.urls import path

from review_ui.operations import views

app_name = "operations"
urlpatterns = [
    path("", views.source_list, name="sources"),
    path("sources/add/", views.source_add, name="source_add"),
    path("sources/<slug:name>/", views.source_detail, name="source"),
    path("sources/<slug:name>/edit/", views.source_edit, name="source_edit"),
    path("sources/<slug:name>/enable/", views.source_enable, name="source_enable"),
    path("sources/<slug:name>/disable/", views.source_disable, name="source_disable"),
    path("sources/<slug:name>/run/", views.source_run, name="source_run"),
    path("runs/", views.run_list, name="runs"),
    path("runs/<str:run_id>/", views.run_detail, name="run"),
    path("health/", views.health, name="health"),
]
