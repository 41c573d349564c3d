"""URLs of the review app (the queue is the home page)."""

from django.urls import path

from review_ui.review import views

app_name = "review"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("ad/<str:ad_id>/", views.ad_detail, name="ad"),
    path("ad/<str:ad_id>/decide/", views.decide, name="decide"),
    path("bulk/", views.bulk, name="bulk"),
    path("decisions/", views.decision_list, name="decisions"),
    path("decisions/<int:decision_id>/close/", views.close_escalation, name="close_escalation"),
    path("mine/", views.my_ads, name="mine"),
    path("photo/<str:sha256>/", views.photo, name="photo"),
]
