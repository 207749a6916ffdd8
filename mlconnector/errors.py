"""Error pages: the API answers in JSON, as its schema says, wherever the path is under /api/."""

from django.http import JsonResponse
from django.views import defaults


def page_not_found(request, exception):
    """A path under /api/ that names no endpoint (`/api/v1/jobs/0.5/`) is the API's JSON 404."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
