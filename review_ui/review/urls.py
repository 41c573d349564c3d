"""URLs of the review app."""

app_name = "review"
urlpatterns: list = []
