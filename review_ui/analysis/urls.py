"""URLs of the analysis app (the JSON API lives under ``api/``)."""

from django.urls import path

from review_ui.analysis import api, views

app_name = "analysis"
urlpatterns = [
    path("", views.search, name="search"),
    path("lookup/", views.lookup, name="lookup"),
    path("lookup/photo/", views.photo_lookup, name="photo_lookup"),
    path("clusters/", views.cluster_list, name="clusters"),
    path("clusters/<str:cluster_id>/", views.cluster_detail, name="cluster"),
    path("trends/", views.trends, name="trends"),
    path("trends/<str:chart_id>.csv", views.trends_csv, name="trends_csv"),
    path("export/", views.export, name="export"),
    path("exports/", views.export_list, name="exports"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("api/openapi.json", api.openapi, name="api_openapi"),
    path("api/search/", api.search, name="api_search"),
    path("api/ads/<str:ad_id>/", api.ad, name="api_ad"),
    path("api/clusters/", api.clusters, name="api_clusters"),
    path("api/clusters/<str:cluster_id>/", api.cluster, name="api_cluster"),
    path("api/lookup/", api.lookup, name="api_lookup"),
    path("api/lookup/photo/", api.photo_lookup, name="api_lookup_photo"),
]
