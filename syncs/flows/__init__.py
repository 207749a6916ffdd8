"""One module per integration (`freshbooks_zendesk.py`), each a `Flow` (`base.py`); `connections.registry`
names the installed ones."""
