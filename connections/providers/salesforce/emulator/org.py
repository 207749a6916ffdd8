"""One emulated Salesforce org (no HTTP in it): its ids, schema, records, the rolling daily API usage and
query cursors. Its users and opportunity stages are the `PeopleAndStages` mixin (`people.py`), the write path
(validation, derived fields, upsert) the `RecordWrites` mixin (`writes.py`); rendering records as JSON is
here, since queries and REST share it."""

from __future__ import annotations

import copy
from collections import deque
from datetime import UTC, date, datetime

from connections.providers.salesforce.emulator import ids
from connections.providers.salesforce.emulator.objects import default_objects
from connections.providers.salesforce.emulator.people import DEFAULT_STAGES, PEOPLE, PeopleAndStages
from connections.providers.salesforce.emulator.schema import (
    CUSTOM_FIELD_TYPES,
    SObjectType,
    currency_field,
    custom_field,
)
from connections.providers.salesforce.emulator.writes import RecordWrites
from connections.sandbox.base import Clock

DAY = 86_400


def sf_datetime(moment: float) -> str:
    return datetime.fromtimestamp(int(moment), UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class SalesforceOrg(PeopleAndStages, RecordWrites):
    def __init__(self, key: str, index: int, *, clock: Clock, config: dict, edition: str = "production"):
        self.key = key
        self.clock = clock
        self.config = config
        self.edition = edition
        self.pod = ids.pod_for(index)
        self.counter = 3 * 62**6 + index * 1000
        self.id = ids.make_id("00D", self.pod, 62**5 + index)
        self.order_management = bool(config["order_management"])
        self.multi_currency = bool(config["multi_currency"])
        self.objects: dict[str, SObjectType] = default_objects(config)
        self.records: dict[str, dict[str, dict]] = {name: {} for name in self.objects}
        self.numbers = {"Order": 100, "Invoice": 1}
        self.usage: deque[list] = deque()  # [minute, calls], oldest first
        self.long_running_failures = 0
        self.cursors: dict[str, dict] = {}
        self.tokens_minted = 0
        for sobject, name in (("Account", "FreshBooks_Client_Id__c"), ("Opportunity", "FreshBooks_Invoice_Id__c")):
            self.set_custom_field(sobject, name, external_id=True, unique=True)
        if self.multi_currency:
            self.set_multi_currency(True)
        self.admin = self._add_user(*PEOPLE[0])
        self._add_user(*PEOPLE[1])
        for order, stage in enumerate(DEFAULT_STAGES, start=1):
            self._add_stage(order, *stage)

    @property
    def id15(self) -> str:
        return self.id[:15]

    # Time and ids ------------------------------------------------------------------------------------

    def now(self) -> str:
        return sf_datetime(self.clock.now())

    def today(self) -> date:
        return datetime.fromtimestamp(self.clock.now(), UTC).date()

    def new_id(self, sobject: str) -> str:
        self.counter += 1
        prefix = self.objects[sobject].key_prefix
        return ids.make_id(prefix, self.pod, self.counter)

    # Schema ------------------------------------------------------------------------------------------

    def sobject(self, name: str) -> SObjectType | None:
        """The type called `name` (any case), if this org has it (Invoice needs Order Management)."""
        for sobject in self.objects.values():
            if sobject.name.lower() == str(name).lower():
                return sobject if not sobject.licensed or getattr(self, sobject.licensed) else None
        return None

    def available(self) -> list[SObjectType]:
        return [t for t in self.objects.values() if self.sobject(t.name)]

    def type_of_id(self, record_id: str) -> SObjectType | None:
        return next((t for t in self.available() if record_id.startswith(t.key_prefix)), None)

    def picklists(self) -> dict[str, tuple[str, ...]]:
        """Picklists whose values come from the org: StageName from its active stages."""
        return {"StageName": tuple(s["ApiName"] for s in self.active_stages())}

    def set_custom_field(
        self,
        sobject: str,
        name: str,
        *,
        type_: str = "string",
        external_id: bool = False,
        unique: bool = False,
        length: int = 255,
        label: str = "",
    ) -> None:
        target = self.sobject(sobject)
        if target is None:
            raise ValueError(f"No sObject {sobject!r} in org {self.key}.")
        if not name.endswith("__c") or not name[:-3].replace("_", "").isalnum():
            raise ValueError("A custom field's API name ends in __c and holds letters, digits and underscores.")
        if type_ not in CUSTOM_FIELD_TYPES:
            raise ValueError(f"Custom field type must be one of {', '.join(sorted(CUSTOM_FIELD_TYPES))}.")
        existing = target.field(name)
        field = custom_field(
            existing.name if existing else name,
            type_,
            label=label,
            external_id=external_id,
            unique=unique,
            length=length,
        )
        target.set_field(field)

    def remove_custom_field(self, sobject: str, name: str) -> bool:
        target = self.sobject(sobject)
        field = target.field(name) if target else None
        if field is None or not field.custom:
            return False
        for record in self.records[target.name].values():
            record.pop(field.name, None)
        return target.remove_field(field.name)

    def set_multi_currency(self, enabled: bool) -> None:
        """Multi-currency orgs carry CurrencyIsoCode on every object with money (it cannot be turned off in a
        real org; the sandbox allows it so tests can compare both)."""
        self.multi_currency = enabled
        currencies = tuple(self.config["currencies"])
        for name in ("Account", "Opportunity", "Order", "Invoice"):
            target = self.objects[name]
            if enabled:
                target.set_field(currency_field(currencies, currencies[0]), before="CreatedDate")
                for record in self.records[name].values():
                    record.setdefault("CurrencyIsoCode", currencies[0])
            else:
                target.remove_field("CurrencyIsoCode")
                for record in self.records[name].values():
                    record.pop("CurrencyIsoCode", None)

    # The rolling daily API allowance -----------------------------------------------------------------

    def api_usage(self) -> int:
        horizon = self.clock.now() - DAY
        while self.usage and self.usage[0][0] <= horizon:
            self.usage.popleft()
        return sum(calls for _, calls in self.usage)

    def count_call(self, calls: int = 1) -> int:
        minute = int(self.clock.now() // 60 * 60)
        if self.usage and self.usage[-1][0] == minute:
            self.usage[-1][1] += calls
        else:
            self.usage.append([minute, calls])
        return self.api_usage()

    def set_usage(self, used: int) -> None:
        """As if `used` calls had been made just now (other integrations share the org's allowance)."""
        self.usage.clear()
        if used > 0:
            self.count_call(int(used))

    # Transactions (allOrNone) ------------------------------------------------------------------------

    def snapshot(self) -> tuple:
        return copy.deepcopy(self.records), self.counter, dict(self.numbers)

    def restore(self, snapshot: tuple) -> None:
        self.records, self.counter, numbers = snapshot
        self.numbers = dict(numbers)

    # Rendering ---------------------------------------------------------------------------------------

    def url(self, sobject: str, record_id: str, prefix: str) -> str:
        return f"{prefix}/sobjects/{sobject}/{record_id}"

    def value(self, sobject: SObjectType, record: dict, name: str):
        field = sobject.field(name)
        if field is not None and field.type == "address":
            return _address(record, field.name.removesuffix("Address"))
        value = record.get(field.name if field else name)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    def render(self, sobject: SObjectType, record: dict, prefix: str, fields: list[str] | None = None) -> dict:
        """A record as REST answers it: `attributes` first, then every field (or `fields`), unset ones null."""
        body = {"attributes": {"type": sobject.name, "url": self.url(sobject.name, record["Id"], prefix)}}
        names = fields if fields is not None else [f.name for f in sobject.fields]
        for name in names:
            body[name] = self.value(sobject, record, name)
        return body

    def describe(self) -> dict:
        return {
            "org_id": self.id,
            "edition": self.edition,
            "order_management": self.order_management,
            "multi_currency": self.multi_currency,
            "api_usage": self.api_usage(),
            "tokens_minted": self.tokens_minted,
            "won_stage": self.won_stage()["ApiName"],
            "records": {name: len(records) for name, records in self.records.items()},
            "custom_fields": {
                t.name: {f.name: {"externalId": f.external_id, "unique": f.unique} for f in t.fields if f.custom}
                for t in self.objects.values()
                if any(f.custom for f in t.fields)
            },
        }


def _address(record: dict, kind: str) -> dict | None:
    parts = {
        "city": record.get(f"{kind}City"),
        "country": record.get(f"{kind}Country"),
        "countryCode": record.get(f"{kind}CountryCode"),
        "geocodeAccuracy": record.get(f"{kind}GeocodeAccuracy"),
        "latitude": record.get(f"{kind}Latitude"),
        "longitude": record.get(f"{kind}Longitude"),
        "postalCode": record.get(f"{kind}PostalCode"),
        "state": record.get(f"{kind}State"),
        "stateCode": record.get(f"{kind}StateCode"),
        "street": record.get(f"{kind}Street"),
    }
    return parts if any(v is not None for v in parts.values()) else None
