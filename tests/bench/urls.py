"""The app's URLs plus `/bench/bare/`: a view that does nothing, behind the same middleware and server."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from mlconnector.urls import urlpatterns as app_urlpatterns


@csrf_exempt
def bare(request):
    return HttpResponse(b'{"ok": true}', content_type="application/json")


urlpatterns = [path("bench/bare/", bare), *app_urlpatterns]
