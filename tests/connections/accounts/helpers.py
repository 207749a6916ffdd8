"""Reading the e-mails accounts send: the links in them."""

import re


def link_in(message, path_prefix: str) -> str:
    """The path of the first link in an e-mail whose path starts with `path_prefix`."""
    match = re.search(rf"https?://[^/\s]+({re.escape(path_prefix)}\S+)", message.body)
    assert match, f"no {path_prefix} link in: {message.body}"
    return match.group(1)
