"""Figures a test measures (what the secrets sweep searched, how many schema cases ran), printed at the end
of the run by `pytest_terminal_summary` in tests/conftest.py, so CI logs carry them; docs/security.md keeps them."""

LINES: list[str] = []


def report(line: str) -> None:
    LINES.append(line)
