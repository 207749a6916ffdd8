"""Request fields that take exactly what the schema says they take, and refuse the rest with a 400.

DRF's own fields are lenient: a BooleanField takes 0, 1 and "yes", a CharField takes a number and makes it
text. The API's schema says "boolean" and "string", so these take only those; a string may not hold the NUL
character (refused by DRF, and by PostgreSQL besides), which its schema says with a pattern.
"""

from django.core.validators import RegexValidator
from rest_framework import serializers

NO_NUL = RegexValidator(r"^[^\x00]*$", "Null characters are not allowed.")


class StrictCharField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("validators", []).append(NO_NUL)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data
