"""The explicit registry of flows: one module per integration, e.g. `freshbooks_zendesk.py`."""

FLOWS: dict = {}


def flow_choices() -> list[tuple[str, str]]:
    return [(slug, flow.name) for slug, flow in FLOWS.items()]
