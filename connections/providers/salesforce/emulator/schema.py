"""An org's schema: sObject types and their fields (standard and custom), looked up case-insensitively as
Salesforce does, and rendered as describe and describeGlobal answers. No HTTP and no records here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "int": "xsd:int",
    "address": "urn:address",
}
TEXT_TYPES = frozenset({"string", "textarea", "phone", "url", "email", "picklist", "id", "reference"})
NUMBER_TYPES = frozenset({"double", "currency", "percent", "int"})
CUSTOM_FIELD_TYPES = frozenset({"string", "textarea", "boolean", "date", "datetime", "double", "currency", "int"})


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    label: str = ""
    length: int = 0
    custom: bool = False
    external_id: bool = False
    unique: bool = False
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    required: bool = False  # REQUIRED_FIELD_MISSING when absent on create
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    reference_to: str = ""
    relationship: str = ""
    default: object = None
    auto: bool = False  # auto-numbered
    id_lookup: bool = False  # a standard field upsert may match on (Contact.Email, User.Username)

    @property
    def writable(self) -> bool:
        return self.createable or self.updateable

    def describe(self, picklist: tuple[str, ...] | None = None) -> dict:
        values = self.picklist if picklist is None else picklist
        text = self.type in TEXT_TYPES and self.type not in ("id", "reference")
        return {
            "autoNumber": self.auto,
            "calculated": False,
            "caseSensitive": False,
            "createable": self.createable,
            "custom": self.custom,
            "defaultValue": self.default if isinstance(self.default, bool | str) else None,
            "defaultedOnCreate": self.default is not None or self.type == "id" or self.name == "OwnerId",
            "externalId": self.external_id,
            "filterable": self.type not in ("textarea", "address"),
            "idLookup": self.type == "id" or self.external_id or self.id_lookup,
            "label": self.label or self.name,
            "length": self.length if text else (18 if self.type in ("id", "reference") else 0),
            "name": self.name,
            "nameField": self.name == "Name",
            "nillable": self.nillable,
            "picklistValues": [
                {"active": True, "defaultValue": v == self.default, "label": v, "validFor": None, "value": v}
                for v in values
            ],
            "precision": 18 if self.type in ("currency", "double", "percent") else 0,
            "referenceTo": [self.reference_to] if self.reference_to else [],
            "relationshipName": self.relationship or None,
            "restrictedPicklist": self.restricted,
            "scale": 2 if self.type in ("currency", "percent") else 0,
            "soapType": SOAP_TYPES.get(self.type, "xsd:string"),
            "sortable": self.type not in ("textarea", "address"),
            "type": self.type,
            "unique": self.unique,
            "updateable": self.updateable,
        }


@dataclass
class SObjectType:
    name: str
    label: str
    label_plural: str
    key_prefix: str
    fields: list[Field] = field(default_factory=list)
    createable: bool = True
    updateable: bool = True
    deletable: bool = True
    licensed: str = ""  # the org flag it needs (Invoice: "order_management")

    def __post_init__(self):
        self._index()

    def _index(self) -> None:
        self._by_lower = {f.name.lower(): f for f in self.fields}
        self._by_relationship = {f.relationship.lower(): f for f in self.fields if f.relationship}

    def field(self, name: str) -> Field | None:
        return self._by_lower.get(name.lower())

    def reference(self, relationship: str) -> Field | None:
        """The lookup field behind a relationship name (`Owner` for `OwnerId`)."""
        return self._by_relationship.get(relationship.lower())

    def set_field(self, new: Field, before: str = "") -> None:
        """Adds `new` (or replaces the field of that name in place); new fields go before `before`, or last."""
        names = [f.name.lower() for f in self.fields]
        if new.name.lower() in names:
            self.fields[names.index(new.name.lower())] = new
        elif before and before.lower() in names:
            self.fields.insert(names.index(before.lower()), new)
        else:
            self.fields.append(new)
        self._index()

    def remove_field(self, name: str) -> bool:
        kept = [f for f in self.fields if f.name.lower() != name.lower()]
        removed = len(kept) != len(self.fields)
        self.fields = kept
        self._index()
        return removed

    def copy(self) -> SObjectType:
        return replace(self, fields=list(self.fields))

    def url(self, prefix: str) -> str:
        return f"{prefix}/sobjects/{self.name}"

    def urls(self, prefix: str) -> dict:
        base = self.url(prefix)
        return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}

    def global_entry(self, prefix: str) -> dict:
        return {
            "name": self.name,
            "label": self.label,
            "labelPlural": self.label_plural,
            "keyPrefix": self.key_prefix,
            "custom": False,
            "queryable": True,
            "createable": self.createable,
            "updateable": self.updateable,
            "deletable": self.deletable,
            "retrieveable": True,
            "searchable": True,
            "urls": self.urls(prefix),
        }

    def describe(self, prefix: str, picklists: dict[str, tuple[str, ...]]) -> dict:
        return {
            "name": self.name,
            "label": self.label,
            "labelPlural": self.label_plural,
            "keyPrefix": self.key_prefix,
            "custom": False,
            "createable": self.createable,
            "updateable": self.updateable,
            "deletable": self.deletable,
            "queryable": True,
            "retrieveable": True,
            "searchable": True,
            "undeletable": self.deletable,
            "fields": [f.describe(picklists.get(f.name)) for f in self.fields],
            "urls": self.urls(prefix),
        }


# Building fields -----------------------------------------------------------------------------------------


def _label(name: str) -> str:
    """`BillingPostalCode` reads "Billing Postal Code", `OwnerId` "Owner ID"."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z][a-z0-9]*|[a-z0-9]+", name)
    return " ".join("ID" if w == "Id" and i == len(words) - 1 else w for i, w in enumerate(words)) or name


def f(name: str, type_: str = "string", length: int = 0, **options) -> Field:
    return Field(name, type_, options.pop("label", _label(name)), length, **options)


def ro(name: str, type_: str = "string", length: int = 0, **options) -> Field:
    """A field the API never writes (system fields, formulas, roll-ups)."""
    return f(name, type_, length, createable=False, updateable=False, **options)


def ref(name: str, to: str, relationship: str = "", **options) -> Field:
    return f(name, "reference", relationship=relationship or name.removesuffix("Id"), reference_to=to, **options)


def picklist(name: str, values: tuple[str, ...], **options) -> Field:
    return f(name, "picklist", 255, picklist=values, **options)


def currency_field(currencies: tuple[str, ...], corporate: str) -> Field:
    return picklist("CurrencyIsoCode", currencies, restricted=True, default=corporate, label="Currency ISO Code")


def custom_field(name: str, type_: str, *, label: str = "", external_id: bool, unique: bool, length: int) -> Field:
    text = type_ in ("string", "textarea")
    return Field(
        name,
        type_,
        label or name.removesuffix("__c").replace("_", " "),
        (length or 255) if text else 0,
        custom=True,
        external_id=external_id,
        unique=unique,
    )
