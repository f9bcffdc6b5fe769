from django.urls import path

from archive import views

urlpatterns = [
    path("", views.index, name="index"),
    path("api/search", views.search, name="search"),
    path("api/swath/<int:pk>", views.swath, name="swath"),
    path("api/events", views.events, name="events"),
    path("swath/<int:pk>/granule", views.granule, name="granule"),
    path("swath/<int:pk>/subset", views.subset, name="subset"),
    path("swath/<int:pk>/quicklook.png", views.quicklook, name="quicklook"),
    path("legend.png", views.legend, name="legend"),
]
