from __future__ import annotations

from django.urls import path

from quiz import collection_views

app_name = "collections"

urlpatterns = [
    path("", collection_views.collection_list, name="collection_list"),
    path("<int:pk>/", collection_views.collection_detail, name="collection_detail"),
    path("<int:pk>/quiz/", collection_views.collection_quiz, name="collection_quiz"),
    path(
        "<int:pk>/cases/<int:case_pk>/remove/",
        collection_views.collection_remove,
        name="collection_remove",
    ),
    path("collect/<str:public_id>/", collection_views.collect, name="collect"),
]
