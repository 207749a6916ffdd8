"""Which emulators exist: every registered provider whose package has an `emulator.py` exporting `EMULATOR`.

No list of its own to keep in step: registering a provider (connections.providers) and giving its package an
emulator is enough for the pytest fixture and the sandbox server to serve it.
"""

from __future__ import annotations

from importlib import import_module

from connections.providers import PROVIDERS
from connections.sandbox.base import Clock, Emulator


def emulator_classes() -> dict[str, type[Emulator]]:
    classes = {}
    for slug in PROVIDERS:
        module_name = f"connections.providers.{slug}.emulator"
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name and module_name.startswith(error.name):
                continue  # no package or no emulator for this provider (yet)
            raise
        classes[slug] = module.EMULATOR
    return classes


def build_emulators(
    *, clock: Clock | None = None, sender=None, configs: dict | None = None, seed: int | None = None
) -> dict[str, Emulator]:
    """One fresh instance of every emulator, sharing a clock (and a webhook sender, when given)."""
    clock = clock or Clock()
    return {
        slug: cls(clock=clock, sender=sender, config=(configs or {}).get(slug), seed=seed)
        for slug, cls in emulator_classes().items()
    }
