"""URL map of the adscan web app."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("review_ui.accounts.urls")),
    path("", include("review_ui.review.urls")),
]
