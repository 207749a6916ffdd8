"""One module per integration (`<source>_<target>.py`), each a `Flow` (`base.py`); `connections.registry`
names the installed ones."""
