from django.urls import path

from syncs.operating import views as job_views

urlpatterns = [
    path("jobs/", job_views.job_list, name="job-list"),
    path("jobs/<uuid:uuid>/", job_views.job_detail, name="job-detail"),
    path("jobs/<uuid:uuid>/replay/", job_views.replay, name="job-replay"),
    path("jobs/<uuid:uuid>/dry-run/", job_views.dry_run, name="job-dry-run"),
    path("failures/", job_views.failures, name="failures"),
    path("failures/replay/", job_views.replay_all, name="failures-replay"),
]
