"""The review queue, record links and the target mirror behind them."""

from django.urls import path

from syncs.review import views

urlpatterns = [
    path("review/", views.review_queue, name="review-queue"),
    path("review/count/", views.review_count, name="review-count"),
    path("review/links/", views.record_links, name="record-links"),
    path("review/links/<uuid:uuid>/undo/", views.undo_link, name="record-link-undo"),
    path("review/mirror/<uuid:uuid>/load/", views.load_mirror, name="mirror-load"),
    path("review/<uuid:uuid>/", views.review_item, name="review-item"),
    path("review/<uuid:uuid>/link/", views.review_link, name="review-link"),
    path("review/<uuid:uuid>/create/", views.review_create, name="review-create"),
    path("review/<uuid:uuid>/dismiss/", views.review_dismiss, name="review-dismiss"),
]
