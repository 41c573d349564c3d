"""URL map of the adscan web app."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("review_ui.accounts.urls")),
    path("analysis/", include("review_ui.analysis.urls")),
    path("operations/", include("review_ui.operations.urls")),
    path("", include("review_ui.review.urls")),
]
