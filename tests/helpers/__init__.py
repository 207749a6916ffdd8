"""Helpers shared by several test modules (fixtures live in the conftest.py files)."""
