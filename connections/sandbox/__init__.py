"""The sandbox: emulators of the external APIs, served in process to tests and by `manage.py sandbox`.

How to write an emulator: see the docstring of `connections.sandbox.base`.
"""

from connections.sandbox.base import (
    Clock,
    Emulator,
    FakeClock,
    FormField,
    HttpError,
    PageForm,
    Request,
    Response,
    control,
    route,
)

__all__ = [
    "Clock",
    "Emulator",
    "FakeClock",
    "FormField",
    "HttpError",
    "PageForm",
    "Request",
    "Response",
    "control",
    "route",
]
