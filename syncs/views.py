"""Review queue pages."""

from django.shortcuts import render

from connections.tenancy import tenant_required


@tenant_required
def review_queue(request):
    return render(request, "syncs/review_queue.html", {"items": []})
