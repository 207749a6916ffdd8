"""Which emulators exist: every registered provider whose registry line names an emulator.

No list of its own to keep in step: registering a provider (`connections.registry`) with an emulator in its
package is enough for the pytest fixture and the sandbox server to serve it.
"""

from __future__ import annotations

from connections import registry
from connections.sandbox.base import Clock, Emulator


def emulator_classes() -> dict[str, type[Emulator]]:
    found = {}
    for slug, spec in registry.PROVIDERS.items():
        emulator = spec.load("emulator")
        if emulator is not None:
            found[slug] = emulator
    return found


def build_emulators(
    *, clock: Clock | None = None, sender=None, configs: dict | None = None, seed: int | None = None
) -> dict[str, Emulator]:
    """One fresh instance of every emulator, sharing a clock (and a webhook sender, when given)."""
    clock = clock or Clock()
    return {
        slug: cls(clock=clock, sender=sender, config=(configs or {}).get(slug), seed=seed)
        for slug, cls in emulator_classes().items()
    }
