"""The open-items counter in the navigation."""

from django import template

from syncs.models import ReviewItem

register = template.Library()


@register.inclusion_tag("syncs/_review_count.html", takes_context=True)
def review_counter(context):
    tenant = getattr(context.get("request"), "tenant", None)
    count = ReviewItem.objects.filter(tenant=tenant, status=ReviewItem.Status.OPEN).count() if tenant else 0
    return {"open_reviews": count}
