"""The write path of an org, as a mixin of `SalesforceOrg`: what a create, update, upsert or delete checks
(unknown and read-only fields, types, required fields, restricted picklists, lookups, unique values) and the
fields Salesforce derives (an Opportunity's stage facts, an Order's status category and number). Every
failure is a `RecordError`, which REST and the collections render their own way."""

from __future__ import annotations

from connections.providers.salesforce.emulator import errors, ids
from connections.providers.salesforce.emulator.errors import RecordError
from connections.providers.salesforce.emulator.objects import FORECAST_CATEGORIES
from connections.providers.salesforce.emulator.schema import Field, SObjectType
from connections.providers.salesforce.emulator.values import coerce, match_key

READ_ONLY = (
    "Unable to create/update fields: {names}. Please check the security settings of this field and verify that "
    "it is read/write for your profile or permission set."
)


class MultipleMatches(Exception):
    """Several live records share the external id value: the 300 answer lists them."""

    def __init__(self, records: list[dict]):
        super().__init__(len(records))
        self.records = records


class RecordWrites:
    """Mixed into `SalesforceOrg`."""

    def find(self, sobject: SObjectType, record_id) -> dict | None:
        """The record with this 15- or 18-character id, deleted or not."""
        normalized = ids.normalize(record_id)
        return self.records[sobject.name].get(normalized) if normalized else None

    def live(self, sobject: SObjectType) -> list[dict]:
        return [r for r in self.records[sobject.name].values() if not r.get("IsDeleted")]

    def matches(self, sobject: SObjectType, field: Field, value) -> list[dict]:
        if field.name == "Id":
            found = self.find(sobject, value)
            return [found] if found and not found.get("IsDeleted") else []
        wanted = match_key(value)
        return [r for r in self.live(sobject) if r.get(field.name) is not None and match_key(r[field.name]) == wanted]

    def external_id_field(self, sobject: SObjectType, name: str) -> Field | None:
        """A field upsert and foreign keys may match on: an External ID field, a standard idLookup field (the
        recorded upsert matched Contact on Email) or Id."""
        field = sobject.field(name)
        return field if field is not None and (field.external_id or field.id_lookup or field.name == "Id") else None

    # Create, update, delete, upsert --------------------------------------------------------------------

    def create(self, sobject: SObjectType, values: dict, actor: dict, *, trusted: bool = False) -> dict:
        if not sobject.createable and not trusted:
            raise RecordError("INVALID_TYPE_FOR_OPERATION", errors.CANNOT_INSERT.format(sobject=sobject.name))
        if any(key.lower() == "id" for key in values):
            raise errors.invalid_field("cannot specify Id in an insert call", [])
        changes = self._changes(sobject, values, creating=True, trusted=trusted)
        record = {f.name: f.default for f in sobject.fields if f.type != "address"}
        if sobject.field("OwnerId"):
            record["OwnerId"] = actor["Id"]
        record.update(changes)
        self._check(sobject, record, changes, creating=True)
        record_id = self.new_id(sobject.name)
        now = self.now()
        record.update(Id=record_id, CreatedDate=now, CreatedById=actor["Id"])
        record.update(LastModifiedDate=now, LastModifiedById=actor["Id"], SystemModstamp=now)
        self._derive(sobject, record, changes, None, actor)
        self.records[sobject.name][record_id] = record
        return record

    def update(self, sobject: SObjectType, record: dict, values: dict, actor: dict, *, trusted: bool = False) -> dict:
        if not sobject.updateable and not trusted:
            raise RecordError("INVALID_TYPE_FOR_OPERATION", errors.CANNOT_UPDATE.format(sobject=sobject.name))
        if record.get("IsDeleted"):
            raise errors.deleted()
        changes = self._changes(sobject, values, creating=False, trusted=trusted)
        merged = {**record, **changes}
        self._check(sobject, merged, changes, creating=False)
        before = dict(record)
        now = self.now()
        merged.update(LastModifiedDate=now, LastModifiedById=actor["Id"], SystemModstamp=now)
        self._derive(sobject, merged, changes, before, actor)
        record.clear()
        record.update(merged)
        return record

    def delete(self, sobject: SObjectType, record: dict, *, trusted: bool = False) -> None:
        if not sobject.deletable and not trusted:
            raise RecordError("INVALID_TYPE_FOR_OPERATION", errors.CANNOT_DELETE.format(sobject=sobject.name))
        if record.get("IsDeleted"):
            raise errors.deleted()
        record.update(IsDeleted=True, SystemModstamp=self.now())

    def upsert(self, sobject: SObjectType, field: Field, value, values: dict, actor: dict, *, update_only=False):
        """(record, created). Several matches raise `MultipleMatches`; nothing is written then."""
        found = self.matches(sobject, field, value)
        if len(found) > 1:
            raise MultipleMatches(found)
        values = dict(values)
        for key in [k for k in values if k.lower() == field.name.lower()]:
            given = values.pop(key)
            if given is not None and match_key(given) != match_key(value):
                raise errors.invalid_field(errors.EXTERNAL_ID_MISMATCH.format(field=field.name), [field.name])
        if found:
            return self.update(sobject, found[0], values, actor), False
        if update_only or field.name == "Id":
            raise RecordError("NOT_FOUND", errors.NOT_FOUND, status=404)
        return self.create(sobject, {**values, field.name: value}, actor), True

    # Checks --------------------------------------------------------------------------------------------

    def _changes(self, sobject: SObjectType, values: dict, *, creating: bool, trusted: bool) -> dict:
        if not isinstance(values, dict):
            raise RecordError("JSON_PARSER_ERROR", "The request body must be a JSON object.")
        changes, read_only = {}, []
        for key, value in values.items():
            if key == "attributes" and isinstance(value, dict):
                continue
            field = sobject.field(key)
            if field is None:
                lookup = sobject.reference(key)
                if lookup is not None and isinstance(value, dict):
                    changes[lookup.name] = self._resolve_foreignmatch_key(lookup, value)
                    continue
                raise errors.invalid_field(f"No such column '{key}' on sobject of type {sobject.name}")
            if not trusted and not (field.createable if creating else field.updateable):
                read_only.append(field.name)
                continue
            changes[field.name] = coerce(field, value)
        if read_only:
            raise RecordError(
                "INVALID_FIELD_FOR_INSERT_UPDATE", READ_ONLY.format(names=", ".join(read_only)), read_only
            )
        return changes

    def _resolve_foreignmatch_key(self, lookup: Field, value: dict):
        """`"Account": {"FreshBooks_Client_Id__c": "123"}` sets AccountId to the Account with that value."""
        target = self.sobject(lookup.reference_to)
        pairs = [(k, v) for k, v in value.items() if k != "attributes"]
        if target is None or len(pairs) != 1:
            raise errors.invalid_field(f"Invalid foreign key relationship name {lookup.relationship}")
        name, wanted = pairs[0]
        field = self.external_id_field(target, name)
        if field is None:
            message = errors.NOT_EXTERNAL_ID_FOR_REFERENCE.format(field=name, sobject=target.name)
            raise errors.invalid_field(message, [])
        found = self.matches(target, field, wanted)
        if not found:
            message = self.config["foreign_key_not_found_message"].format(
                value=wanted, field=field.name, sobject=target.name
            )
            raise errors.invalid_field(message, [])
        if len(found) > 1:
            message = errors.FOREIGN_KEY_MULTIPLE.format(value=wanted, field=field.name, sobject=target.name)
            raise errors.invalid_field(message, [])
        return found[0]["Id"]

    def required_fields(self, sobject: SObjectType) -> list[Field]:
        extra = set(self.config["order_required_fields"]) if sobject.name == "Order" else set()
        return [f for f in sobject.fields if f.required or f.name in extra]

    def _check(self, sobject: SObjectType, record: dict, changes: dict, *, creating: bool) -> None:
        missing = [f.name for f in self.required_fields(sobject) if record.get(f.name) is None]
        if missing and (creating or any(name in changes for name in missing)):
            message = f"Required fields are missing: [{', '.join(missing)}]"
            raise RecordError("REQUIRED_FIELD_MISSING", message, missing)
        picklists = self.picklists()
        for name, value in changes.items():
            field = sobject.field(name)
            allowed = picklists.get(field.name, field.picklist)
            if field.restricted and value is not None and value not in allowed:
                message = self.config["restricted_picklist_message"].format(value=value)
                raise RecordError("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", message, [field.name])
            if field.type == "reference" and value is not None:
                changes[name] = record[name] = self._check_reference(field, value)
            if field.unique and value is not None:
                for other in self.matches(sobject, field, value):
                    if other["Id"] != record.get("Id"):
                        message = (
                            f"duplicate value found: {field.name} duplicates value on record with id: {other['Id']}"
                        )
                        raise RecordError("DUPLICATE_VALUE", message, [])

    def _check_reference(self, field: Field, value: str) -> str:
        normalized = ids.normalize(value)
        label = field.label.removesuffix(" ID") + " ID"
        if normalized is None:
            raise RecordError("MALFORMED_ID", f"{label}: id value of incorrect type: {value}", [field.name])
        target = self.sobject(field.reference_to)
        if target is not None and not normalized.startswith(target.key_prefix):
            raise RecordError(
                "FIELD_INTEGRITY_EXCEPTION", f"{label}: id value of incorrect type: {value}", [field.name]
            )
        found = self.records[target.name].get(normalized) if target else None
        if found is None or found.get("IsDeleted") or found.get("IsActive") is False:
            raise RecordError("INVALID_CROSS_REFERENCE_KEY", errors.INVALID_CROSS_REFERENCE, [])
        return normalized

    # Derived fields ------------------------------------------------------------------------------------

    def _derive(self, sobject: SObjectType, record: dict, changes: dict, before: dict | None, actor: dict) -> None:
        name = sobject.name
        if name == "Account":
            record["PhotoUrl"] = f"/services/images/photo/{record['Id']}"
        elif name == "Contact":
            record["Name"] = " ".join(p for p in (record.get("FirstName"), record.get("LastName")) if p)
        elif name == "Opportunity":
            self._derive_opportunity(record, changes)
        elif name == "Order":
            if before is None and not record.get("OrderNumber"):
                record["OrderNumber"] = f"{self.numbers['Order']:08d}"
                self.numbers["Order"] += 1
            record["TotalAmount"] = record.get("TotalAmount") or 0.0
            record["StatusCode"] = "Activated" if record.get("Status") == "Activated" else "Draft"
            if record["StatusCode"] == "Activated" and (before or {}).get("StatusCode") != "Activated":
                record.update(ActivatedDate=self.now(), ActivatedById=actor["Id"])
        elif name == "Invoice":
            if before is None and not record.get("DocumentNumber"):
                record["DocumentNumber"] = f"INV-{self.numbers['Invoice']:010d}"
                self.numbers["Invoice"] += 1
            if record.get("Balance") is None:
                record["Balance"] = record.get("TotalAmountWithTax") or record.get("TotalAmount")

    def _derive_opportunity(self, record: dict, changes: dict) -> None:
        stage = self.stage(record.get("StageName") or "")
        if stage is not None and "StageName" in changes:
            record.update(IsClosed=stage["IsClosed"], IsWon=stage["IsWon"])
            if "ForecastCategoryName" not in changes:
                record.update(
                    ForecastCategory=stage["ForecastCategory"], ForecastCategoryName=stage["ForecastCategoryName"]
                )
            if self.config["stage_sets_probability"] and "Probability" not in changes:
                record["Probability"] = float(stage["DefaultProbability"])
        if "ForecastCategoryName" in changes:
            names = {v: k for k, v in FORECAST_CATEGORIES.items()}
            record["ForecastCategory"] = names.get(record.get("ForecastCategoryName"), "Pipeline")
        amount, probability = record.get("Amount"), record.get("Probability")
        record["ExpectedRevenue"] = None if amount is None or probability is None else amount * probability / 100
        close = record.get("CloseDate")
        if close:
            year, month = int(close[:4]), int(close[5:7])
            quarter = (month - 1) // 3 + 1
            record.update(FiscalYear=year, FiscalQuarter=quarter, Fiscal=f"{year} {quarter}")
