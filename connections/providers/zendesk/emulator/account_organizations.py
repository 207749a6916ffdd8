"""The account's organizations and custom organization fields: Zendesk's rules for them (unique names and
external ids, case-insensitively; PUT semantics; typed custom values), their wire shape in the recorded key
order, the exact lookups, and the events their changes fire."""

from __future__ import annotations

import re

from connections.providers.zendesk.emulator.errors import (
    api_errors,
    field_error,
    invalid_request,
    not_found,
    record_invalid,
)
from connections.providers.zendesk.emulator.records import (
    Organization,
    OrganizationField,
    casefold,
    iso,
    record_id,
)


class AccountOrganizations:
    """Mixed into `ZendeskAccount`: its organizations and organization fields."""

    # -- organization fields -----------------------------------------------------------------------

    def create_organization_field(self, data: dict) -> OrganizationField:
        key = data.get("key")
        errors: dict[str, list] = {}
        if not key or not re.fullmatch(r"[A-Za-z0-9_]+", str(key)) or str(key).isdigit():
            errors["key"] = [field_error("Key", "is invalid", "InvalidValue")]
        elif any(f.key == key for f in self.organization_fields.values()):
            errors["key"] = [field_error("Key", f"{key} has already been taken", "DuplicateValue")]
        if data.get("type") not in OrganizationField.TYPES:
            errors["type"] = [field_error("Type", "is invalid", "InvalidValue")]
        if not data.get("title"):
            errors["title"] = [field_error("Title", "cannot be blank", "BlankValue")]
        options = []
        if data.get("type") == "dropdown":
            options = [
                {"id": self._next(self.FIELD_ID_BASE), "name": o.get("name"), "raw_name": o.get("name"), **o}
                for o in data.get("custom_field_options") or []
            ]
            if not options:
                errors["custom_field_options"] = [field_error("Field options", "cannot be blank", "BlankValue")]
        if errors:
            raise record_invalid(errors)
        now = self.now()
        field_ = OrganizationField(
            id=self._next(self.FIELD_ID_BASE),
            key=str(key),
            type=data["type"],
            title=data["title"],
            description=data.get("description") or "",
            position=data.get("position", len(self.organization_fields)),
            active=data.get("active", True),
            regexp_for_validation=data.get("regexp_for_validation"),
            tag=data.get("tag"),
            custom_field_options=options,
            created_at=now,
            updated_at=now,
        )
        self.organization_fields[field_.id] = field_
        return field_

    def organization_field_json(self, f: OrganizationField) -> dict:
        body = {
            "url": self.url(f"organization_fields/{f.id}.json"),
            "id": f.id,
            "type": f.type,
            "key": f.key,
            "title": f.title,
            "description": f.description,
            "raw_title": f.title,
            "raw_description": f.description,
            "position": f.position,
            "active": f.active,
            "system": False,
            "regexp_for_validation": f.regexp_for_validation,
            "created_at": iso(f.created_at),
            "updated_at": iso(f.updated_at),
        }
        if f.type == "checkbox":
            body["tag"] = f.tag
        if f.type == "dropdown":
            body["custom_field_options"] = f.custom_field_options
        return body

    def _fields_by_key(self) -> dict[str, OrganizationField]:
        return {f.key: f for f in self.organization_fields.values() if f.active}

    def _apply_custom_fields(self, org: Organization, values, errors: dict) -> None:
        if not isinstance(values, dict):
            errors["organization_fields"] = [field_error("Organization fields", "is invalid", "InvalidValue")]
            return
        known = self._fields_by_key()
        for key, value in values.items():
            definition = known.get(key)
            if definition is None:
                if self.config["unknown_custom_field"] == "reject":
                    errors[key] = [field_error(key, "is not a custom field", "InvalidValue")]
                continue
            try:
                org.organization_fields[key] = definition.coerce(value)
            except (ValueError, TypeError):
                errors[key] = [field_error(definition.title, "is invalid", "InvalidValue")]

    # -- organizations -----------------------------------------------------------------------------

    def organization(self, org_id) -> Organization:
        try:
            return self.organizations[record_id(org_id)]
        except KeyError:
            raise not_found() from None

    def _name_taken(self, name: str, except_id: int | None = None) -> bool:
        folded = casefold(name.strip())
        return any(casefold(o.name) == folded and o.id != except_id for o in self.organizations.values())

    def find_by_external_id(self, external_id) -> Organization | None:
        folded = casefold(external_id)
        return next(
            (o for o in self.organizations.values() if o.external_id is not None and casefold(o.external_id) == folded),
            None,
        )

    def _validate_organization(self, org: Organization, errors: dict) -> None:
        if not org.name or not org.name.strip():
            errors.setdefault("name", []).append(field_error("Name", "cannot be blank", "BlankValue"))
        elif self._name_taken(org.name, except_id=org.id):
            errors.setdefault("name", []).append(
                field_error("Name", f"{org.name} has already been taken", "DuplicateValue")
            )
        if org.external_id is not None:
            other = self.find_by_external_id(org.external_id)
            if other is not None and other.id != org.id:
                errors.setdefault("external_id", []).append(
                    field_error("External", f"{org.external_id} has already been taken", "DuplicateValue")
                )

    def _assign_organization(self, org: Organization, data: dict, errors: dict) -> None:
        for key in ("name", "details", "notes"):
            if key in data:
                value = data[key]
                setattr(org, key, None if value is None else str(value))
        if "external_id" in data:
            value = data["external_id"]
            org.external_id = None if value in (None, "") else str(value)
        for key in ("domain_names", "tags"):
            if key in data and not isinstance(data[key] or [], list):
                errors[key] = [field_error(key.replace("_", " ").capitalize(), "is invalid", "InvalidValue")]
        if isinstance(data.get("domain_names"), list):
            org.domain_names = [str(d) for d in data["domain_names"]]
        elif "domain_names" in data and data["domain_names"] is None:
            org.domain_names = []
        if isinstance(data.get("tags"), list):
            org.tags = sorted({str(t).lower() for t in data["tags"]})
        elif "tags" in data and data["tags"] is None:
            org.tags = []
        for key in ("shared_tickets", "shared_comments"):
            if key in data:
                setattr(org, key, bool(data[key]))
        if "group_id" in data:
            org.group_id = data["group_id"]
        if "organization_fields" in data:
            self._apply_custom_fields(org, data["organization_fields"] or {}, errors)

    def create_organization(self, data: dict) -> Organization:
        if not isinstance(data, dict):
            raise invalid_request("organization parameter is missing", error="InvalidEndpoint")
        now = self.now()
        org = Organization(id=0, name="", created_at=now, updated_at=now)
        org.organization_fields = {key: None for key in self._fields_by_key()}
        errors: dict = {}
        self._assign_organization(org, data, errors)
        org.name = (org.name or "").strip()
        self._validate_organization(org, errors)
        if errors:
            raise record_invalid(errors)
        org.id = self._next(self.ORG_ID_BASE)
        self.organizations[org.id] = org
        self._index("organization", org)
        self._emit("zen:event-type:organization.created", f"zen:organization:{org.id}", self._org_detail(org))
        return org

    def update_organization(self, org_id, data: dict) -> Organization:
        """PUT semantics: given keys overwrite (notes and details included), domain_names is replaced whole,
        organization_fields merge key by key."""
        org = self.organization(org_id)
        if not isinstance(data, dict):
            raise invalid_request("organization parameter is missing", error="InvalidEndpoint")
        before = Organization(**{**org.__dict__, "organization_fields": dict(org.organization_fields)})
        candidate = Organization(**{**org.__dict__, "organization_fields": dict(org.organization_fields)})
        errors: dict = {}
        self._assign_organization(candidate, data, errors)
        if "name" in data:
            candidate.name = (candidate.name or "").strip()
        self._validate_organization(candidate, errors)
        if errors:
            raise record_invalid(errors)
        candidate.updated_at = self.now()
        self.organizations[org.id] = candidate
        self._index("organization", candidate)
        self._emit_organization_changes(before, candidate)
        return candidate

    def create_or_update_organization(self, data: dict) -> tuple[Organization, bool]:
        """Matches on `id`, then `external_id` (case-insensitive); never on name. Returns (org, created)."""
        if not isinstance(data, dict):
            raise invalid_request("organization parameter is missing", error="InvalidEndpoint")
        match = None
        if data.get("id") is not None:
            match = self.organizations.get(record_id(data["id"]))
        if match is None and data.get("external_id") not in (None, ""):
            match = self.find_by_external_id(data["external_id"])
        if match is not None:
            payload = {k: v for k, v in data.items() if k != "id"}
            return self.update_organization(match.id, payload), False
        return self.create_organization({k: v for k, v in data.items() if k != "id"}), True

    def delete_organization(self, org_id) -> None:
        org = self.organization(org_id)
        del self.organizations[org.id]
        self._index("organization", org, deleted=True)
        self._emit("zen:event-type:organization.deleted", f"zen:organization:{org.id}", self._org_detail(org))

    def _emit_organization_changes(self, before: Organization, after: Organization) -> None:
        subject = f"zen:organization:{after.id}"
        detail = self._org_detail(after)
        if before.name != after.name:
            self._emit(
                "zen:event-type:organization.name_changed",
                subject,
                detail,
                {"current": after.name, "previous": before.name},
            )
        if before.external_id != after.external_id:
            self._emit(
                "zen:event-type:organization.external_id_changed",
                subject,
                detail,
                {"current": after.external_id or "", "previous": before.external_id or ""},
            )
        if before.tags != after.tags:
            added = sorted(set(after.tags) - set(before.tags))
            removed = sorted(set(before.tags) - set(after.tags))
            self._emit(
                "zen:event-type:organization.tags_changed",
                subject,
                detail,
                {"tags_added": added, "tags_removed": removed},
            )
        fields = self._fields_by_key()
        for key, value in after.organization_fields.items():
            if before.organization_fields.get(key) != value and key in fields:
                self._emit(
                    "zen:event-type:organization.custom_field_changed",
                    subject,
                    detail,
                    {
                        "current": value,
                        "previous": before.organization_fields.get(key),
                        "field": {"id": str(fields[key].id), "title": fields[key].title, "type": fields[key].type},
                    },
                )

    def organization_json(self, org: Organization) -> dict:
        """Keys in the order the live API sent them ([ZP] create-single recording)."""
        custom = {key: None for key in self._fields_by_key()}
        custom.update(org.organization_fields)
        return {
            "url": self.url(f"organizations/{org.id}.json"),
            "id": org.id,
            "name": org.name,
            "shared_tickets": org.shared_tickets,
            "shared_comments": org.shared_comments,
            "external_id": org.external_id,
            "created_at": iso(org.created_at),
            "updated_at": iso(org.updated_at),
            "domain_names": list(org.domain_names),
            "details": org.details,
            "notes": org.notes,
            "group_id": org.group_id,
            "tags": list(org.tags),
            "organization_fields": custom,
        }

    @staticmethod
    def _org_detail(org: Organization) -> dict:
        """Event `detail`: a snapshot without custom fields or domains; ids as strings, "none" as "0"/""."""
        return {
            "created_at": iso(org.created_at),
            "external_id": org.external_id or "",
            "group_id": str(org.group_id or 0),
            "id": str(org.id),
            "name": org.name,
            "shared_comments": org.shared_comments,
            "shared_tickets": org.shared_tickets,
            "updated_at": iso(org.updated_at),
        }

    def search_organizations(self, *, name: str | None = None, external_id: str | None = None) -> list[Organization]:
        if (name is None) == (external_id is None):
            raise invalid_request("Provide either external_id or name, not both", error="InvalidParameter")
        if name is not None:
            folded = casefold(name.strip())
            found = [o for o in self.organizations.values() if casefold(o.name) == folded]
        else:
            folded = casefold(external_id)
            found = [o for o in self.organizations.values() if o.external_id and casefold(o.external_id) == folded]
        return sorted(found, key=lambda o: o.id)

    def autocomplete_organizations(self, prefix: str) -> list[Organization]:
        """Prefix match on name, case-insensitive; names starting with a non-alphanumeric never match
        (salto-io/salto#5436)."""
        if len(prefix or "") < 2:
            raise api_errors(400, "QueryError", "Name must be at least 2 characters")
        folded = casefold(prefix)
        found = [o for o in self.organizations.values() if o.name[:1].isalnum() and casefold(o.name).startswith(folded)]
        return sorted(found, key=lambda o: (casefold(o.name), o.id))
