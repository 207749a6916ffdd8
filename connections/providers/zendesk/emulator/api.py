"""What every Zendesk API route shares, as a mixin of the emulator: the `api` route decorator and the
pipeline it runs (account, authentication, scopes, the account rate limit and its headers, Zendesk's error
bodies), and the envelope and list shapes the handlers answer with. Route modules stay about their resource.
"""

from __future__ import annotations

import base64
import binascii
from functools import wraps
from urllib.parse import urlencode

from connections.providers.zendesk.emulator.account import ZendeskAccount
from connections.providers.zendesk.emulator.errors import FORBIDDEN, INVALID_TOKEN, ZendeskError, invalid_request
from connections.providers.zendesk.emulator.paging import cursor_page
from connections.sandbox.base import Request, Response, route


def api(method: str, pattern: str, *, json_suffix: bool = True, admin: bool = False):
    """Declares a Zendesk API route: also on `pattern.json`, with the account resolved, the caller
    authenticated and checked against the token's scopes, the rate limit applied and its headers set, and
    `ZendeskError`s turned into Zendesk's error bodies. The handler is called as
    `handler(self, request, account, user, **params)`."""

    def decorator(fn):
        @wraps(fn)
        def handler(self, request, **params):
            return self._serve_api(fn, request, params, write=method != "GET", admin=admin)

        route(method, pattern)(handler)
        if json_suffix:
            route(method, pattern + ".json")(handler)
        return handler

    return decorator


class ApiPipeline:
    """Mixed into `ZendeskEmulator`: serving `@api` routes, and the shapes their answers share."""

    @staticmethod
    def _error(error: ZendeskError) -> Response:
        if isinstance(error.body, str):
            return Response(error.status, error.body.encode(), {"Content-Type": "text/plain", **error.headers})
        return Response.json(
            error.body, error.status, headers=error.headers, content_type="application/json; charset=utf-8"
        )

    @staticmethod
    def _json(data, status: int = 200, headers: dict | None = None) -> Response:
        return Response.json(data, status, headers=headers, content_type="application/json; charset=utf-8")

    # The API pipeline ----------------------------------------------------------------------------------

    def _serve_api(self, handler, request: Request, params: dict, *, write: bool, admin: bool):
        account = self._account_for(request)

        def answer():
            try:
                user = self._authorize(request, account, write=write, admin=admin)
                response = handler(self, request, account, user, **params)
            except ZendeskError as error:
                response = self._error(error)
            self._send_events(account)
            return response

        return self._within_rate_limit(account, answer)

    def _within_rate_limit(self, account: ZendeskAccount, answer) -> Response:
        """Counts the call against the account's minute; over it, the text/plain 429, else `answer()` with
        the limit headers every Zendesk API response carries."""
        self.limiter.limit = int(self.config["rate_limit_per_minute"])
        decision = self.limiter.hit(account.subdomain)
        if not decision.allowed:
            return self.too_many_requests_response(decision.retry_after)
        response = answer()
        headers = {
            "x-rate-limit": str(decision.limit),
            "x-rate-limit-remaining": str(decision.remaining),
            "ratelimit-limit": str(decision.limit),
            "ratelimit-remaining": str(decision.remaining),
            "ratelimit-reset": str(max(1, int(decision.reset_at - self.clock.now() + 0.999))),
        }
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    def _authorize(self, request: Request, account: ZendeskAccount, *, write: bool, admin: bool):
        """The acting user, or None for users/me's anonymous answer; raises 401/403 as Zendesk does."""
        user, scope, failure = self._authenticate(request, account)
        is_me = request.path.rstrip("/").removesuffix(".json").endswith("/users/me")
        if user is None:
            if failure == "bearer":
                raise ZendeskError(
                    401,
                    {"error": "invalid_token", "error_description": INVALID_TOKEN},
                    {"WWW-Authenticate": 'Bearer realm="Zendesk", error="invalid_token"'},
                )
            if is_me and self.config["users_me_on_bad_credentials"] == "anonymous":
                return None
            raise ZendeskError(
                401, {"error": "Couldn't authenticate you"}, {"WWW-Authenticate": 'Basic realm="Web Password"'}
            )
        if scope is not None and not is_me and not self._scope_allows(scope, request.path, write):
            raise ZendeskError(403, {"error": "Forbidden", "description": FORBIDDEN})
        if admin and user.role != "admin":
            raise ZendeskError(403, {"error": "Forbidden", "description": FORBIDDEN})
        return user

    def _authenticate(self, request: Request, account: ZendeskAccount):
        """(user, OAuth scope or None for API tokens, failure kind "bearer"/"basic"/"none")."""
        header = request.headers.get("Authorization", "") or ""
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer":
            token, _why = self.oauth.authenticate(credentials.strip())
            subject = token.grant.subject if token else {}
            if token is None or subject.get("subdomain") != account.subdomain:
                return None, None, "bearer"
            user = account.users.get(subject.get("user_id"))
            return (user, token.grant.scope, "") if user else (None, None, "bearer")
        if scheme.lower() == "basic":
            try:
                login, _, password = base64.b64decode(credentials.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None, None, "basic"
            user = account.authenticate_basic(login, password)
            return (user, None, "") if user else (None, None, "basic")
        return None, None, "none"

    @staticmethod
    def _scope_allows(scope: str, path: str, write: bool) -> bool:
        granted = set(scope.split())
        needed = "write" if write else "read"
        segments = path.removesuffix(".json").split("/")
        resource = segments[3] if len(segments) > 3 else ""
        resource = {
            "organization_fields": "organizations",
            "incremental": segments[4] if len(segments) > 4 else "",
        }.get(resource, resource)
        return needed in granted or f"{resource}:{needed}" in granted

    # Shapes shared by the handlers ---------------------------------------------------------------------------

    @staticmethod
    def _payload(request: Request, key: str):
        """The `{"<key>": {...}}` envelope's inside; a missing envelope is Zendesk's 400."""
        body = request.json()
        inner = body.get(key) if isinstance(body, dict) else None
        if not isinstance(inner, dict):
            raise invalid_request(f"{key} parameter is missing", error="InvalidEndpoint")
        return inner

    def _list(self, request: Request, account: ZendeskAccount, key: str, items: list, render, path: str | None = None):
        """Cursor pagination when any `page[...]` parameter is sent, else offset pagination."""
        if not any(name.startswith("page[") for name, _ in request.query):
            return self._offset_list(request, account, key, items, render, path or key)
        size_arg = request.arg("page[size]") or "100"
        if not size_arg.isdigit() or not 0 < int(size_arg) <= 100:
            raise invalid_request(
                "page[size] must be a positive integer no greater than 100", error="InvalidPaginationParameter"
            )
        size = int(size_arg)
        page = cursor_page(items, size=size, after=request.arg("page[after]"), before=request.arg("page[before]"))
        base = account.url(f"{path or key}.json")

        def link(direction, cursor):
            return f"{base}?{urlencode({f'page[{direction}]': cursor, 'page[size]': size})}" if cursor else None

        return {
            key: [render(item) for item in page["items"]],
            "meta": {
                "has_more": page["has_more"],
                "after_cursor": page["after_cursor"],
                "before_cursor": page["before_cursor"],
            },
            "links": {
                "prev": link("before", page["before_cursor"]),
                "next": link("after", page["after_cursor"]) if page["has_more"] else None,
            },
        }

    @staticmethod
    def _offset_list(request: Request, account: ZendeskAccount, key: str, items: list, render, path: str) -> dict:
        per_page_arg, page_arg = request.arg("per_page") or "100", request.arg("page") or "1"
        per_page = min(int(per_page_arg), 100) if per_page_arg.isdigit() and int(per_page_arg) > 0 else 100
        page = int(page_arg) if page_arg.isdigit() and int(page_arg) > 0 else 1
        start = (page - 1) * per_page
        chunk = items[start : start + per_page]
        others = [(k, v) for k, v in request.query if k not in ("page", "per_page")]

        def link(number):
            return f"{account.url(path + '.json')}?{urlencode([*others, ('page', number), ('per_page', per_page)])}"

        return {
            key: [render(item) for item in chunk],
            "next_page": link(page + 1) if start + per_page < len(items) else None,
            "previous_page": link(page - 1) if page > 1 else None,
            "count": len(items),
        }
