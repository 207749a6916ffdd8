"""The explicit registry of flows: one module per integration, e.g. `freshbooks_zendesk.py`."""

from syncs.flows import freshbooks_zendesk

FLOWS: dict = {
    freshbooks_zendesk.SLUG: freshbooks_zendesk.FLOW,
}


def flow_choices() -> list[tuple[str, str]]:
    return [(slug, flow.name) for slug, flow in FLOWS.items()]
