"""The account's users: creation with Zendesk's validation, the lookups the API offers (by id, email,
external id), and the user as the API, users/me and event deliveries each show it."""

from __future__ import annotations

import secrets

from connections.providers.zendesk.emulator.errors import field_error, invalid_request, not_found, record_invalid
from connections.providers.zendesk.emulator.records import User, casefold, iso, record_id

# Free-text user fields a create may set; unset they are null.
USER_TEXT_FIELDS = ("alias", "signature", "details", "notes")


class AccountUsers:
    """Mixed into `ZendeskAccount`: its users."""

    def user(self, user_id) -> User:
        try:
            return self.users[record_id(user_id)]
        except KeyError:
            raise not_found() from None

    def user_by_email(self, email: str) -> User | None:
        folded = casefold(email.strip())
        return next((u for u in self.users.values() if u.email and casefold(u.email) == folded), None)

    def create_user(self, data: dict, *, emit: bool = True) -> User:
        if not isinstance(data, dict):
            raise invalid_request("user parameter is missing", error="InvalidEndpoint")
        errors: dict = {}
        name = str(data.get("name") or "").strip()
        if not name:
            errors["name"] = [field_error("Name", "is too short (minimum one character)", "ValueTooShort")]
        email = data.get("email")
        if email and self.user_by_email(email):
            errors["email"] = [field_error("Email", f"{email} is already being used by another user", "DuplicateValue")]
        if data.get("role", "end-user") not in ("end-user", "agent", "admin"):
            errors["role"] = [field_error("Role", "is invalid", "InvalidValue")]
        org_id = data.get("organization_id")
        if org_id is not None and record_id(org_id) not in self.organizations:
            errors["organization_id"] = [field_error("Organization", "is invalid", "InvalidValue")]
        if email is not None and not isinstance(email, str):
            errors["email"] = [field_error("Email", "is invalid", "InvalidValue")]
        if errors:
            raise record_invalid(errors)
        now = self.now()
        role = data.get("role", "end-user")
        time_zone, iana_time_zone = self.config["default_time_zone"]
        user = User(
            id=self._next(self.USER_ID_BASE),
            name=name,
            email=email.strip().lower() if email else None,
            created_at=now,
            updated_at=now,
            role=role,
            organization_id=record_id(org_id),
            external_id=data.get("external_id"),
            verified=bool(data.get("verified", False)),
            phone=data.get("phone"),
            tags=list(data.get("tags") or []),
            time_zone=time_zone,
            iana_time_zone=iana_time_zone,
            # Staff join the account's default group; the admin holds the account's Admin role ([ZP]).
            default_group_id=None if role == "end-user" else self.default_group_id,
            custom_role_id=self.admin_role_id if role == "admin" else None,
            **{key: None if data.get(key) is None else str(data[key]) for key in USER_TEXT_FIELDS},
        )
        self.users[user.id] = user
        self._index("user", user)
        if emit:
            self._emit("zen:event-type:user.created", f"zen:user:{user.id}", self._user_detail(user))
        return user

    def search_users(self, *, query: str | None = None, external_id: str | None = None) -> list[User]:
        if external_id is not None:
            folded = casefold(external_id)
            return [u for u in self.users.values() if u.external_id and casefold(u.external_id) == folded]
        term = (query or "").strip()
        if term.lower().startswith("email:"):
            term = term[6:].strip().strip('"')
        if not term:
            return []
        folded = casefold(term)
        if "@" in term:
            return [u for u in self.users.values() if u.email and casefold(u.email) == folded]
        return [u for u in self.users.values() if folded in casefold(u.name)]

    def user_json(self, user: User) -> dict:
        """In the recorded key order. The role decides the permission fields as live users show them:
        end users are restricted to their requested tickets, API-made agents have no custom role (role_type
        null), the admin has role_type 4 ([ZP] users, users/me; [OAS] UserObject)."""
        staff, admin = user.role != "end-user", user.role == "admin"
        return {
            "id": user.id,
            "url": self.url(f"users/{user.id}.json"),
            "name": user.name,
            "email": user.email,
            "created_at": iso(user.created_at),
            "updated_at": iso(user.updated_at),
            "time_zone": user.time_zone,
            "iana_time_zone": user.iana_time_zone,
            "phone": user.phone,
            "shared_phone_number": None,
            "photo": None,
            "locale_id": 1,
            "locale": user.locale,
            "organization_id": user.organization_id,
            "role": user.role,
            "verified": user.verified,
            "external_id": user.external_id,
            "tags": list(user.tags),
            "alias": user.alias,
            "active": user.active,
            "shared": False,
            "shared_agent": False,
            "last_login_at": iso(user.last_login_at) if user.last_login_at else None,
            "two_factor_auth_enabled": None if staff else False,
            "signature": user.signature,
            "details": user.details,
            "notes": user.notes,
            "role_type": 4 if admin else None,
            "custom_role_id": user.custom_role_id,
            "moderator": admin,
            "ticket_restriction": None if staff else "requested",
            "only_private_comments": False,
            "restricted_agent": not staff,
            "suspended": False,
            "default_group_id": user.default_group_id,
            "report_csv": admin,
            "user_fields": dict(user.user_fields),
        }

    def me_json(self, user: User) -> dict:
        """users/me adds `authenticity_token`, recorded right after `verified`."""
        body = {}
        for key, value in self.user_json(user).items():
            body[key] = value
            if key == "verified":
                body["authenticity_token"] = user.authenticity_token
        return body

    @staticmethod
    def anonymous_user_json() -> dict:
        """What users/me answers for an unknown identity (shape UNCONFIRMED; node-zendesk#152)."""
        return {
            "id": None,
            "url": None,
            "name": "Anonymous user",
            "email": "invalid@example.com",
            "created_at": None,
            "updated_at": None,
            "time_zone": "Eastern Time (US & Canada)",
            "iana_time_zone": "America/New_York",
            "phone": None,
            "shared_phone_number": None,
            "photo": None,
            "locale_id": 1,
            "locale": "en-US",
            "organization_id": None,
            "role": "end-user",
            "verified": False,
            "authenticity_token": secrets.token_urlsafe(24),
        }

    @staticmethod
    def _user_detail(user: User) -> dict:
        return {
            "created_at": iso(user.created_at),
            "default_group_id": str(user.default_group_id or 0),
            "email": user.email or "",
            "external_id": user.external_id or "",
            "id": str(user.id),
            "organization_id": str(user.organization_id or 0),
            "role": user.role,
            "updated_at": iso(user.updated_at),
        }
