"""What every Zuora API route shares, as a mixin of the emulator: the tenant of the environment the request
came in on, the bearer token (valid in its own environment only), the per-minute rate limit with Zuora's
`RateLimit-*` headers, idempotency keys (zuora.md 5), v1 failures as HTTP 200 `success: false`, and the
tracing headers. Route modules stay about their resource."""

from __future__ import annotations

import json
import secrets
from functools import wraps

from connections.providers.zuora.emulator.tenant import ZuoraFailure, ZuoraTenant
from connections.sandbox.base import Request, Response, route

KEY_LIFETIME = 24 * 3600
AUTH_FAILED = {"success": False, "reasons": [{"code": "90000011", "message": "Authentication error"}]}


def api(method: str, pattern: str):
    """A Zuora route; the handler is `handler(self, request, tenant, **params)` returning (status, body) or a
    whole `Response` (describe answers XML), and may raise `ZuoraFailure`."""

    def decorator(fn):
        @wraps(fn)
        def handler(self, request, **params):
            return self._serve(fn, request, params)

        route(method, pattern)(handler)
        return handler

    return decorator


def failure_body(failure: ZuoraFailure) -> dict:
    return {"success": False, "processId": secrets.token_hex(8).upper(), "reasons": [
        {"code": failure.code, "message": failure.message}
    ]}  # fmt: skip


class ApiPipeline:
    """Mixed into `ZuoraEmulator`."""

    def _serve(self, handler, request: Request, params: dict) -> Response:
        tenant = self.tenant(self.environment_of(request))
        if not self._authenticated(request, tenant):
            return self._decorate(Response.json(AUTH_FAILED, 401), request, tenant)
        limited = self._spend(tenant)
        if limited is not None:
            return self._decorate(limited, request, tenant)
        key = request.headers.get("Idempotency-Key") or ""
        if key and request.method in ("POST", "PATCH"):
            return self._decorate(self._once(key, handler, request, tenant, params), request, tenant)
        return self._decorate(self._run(handler, request, tenant, params), request, tenant)

    def _run(self, handler, request, tenant: ZuoraTenant, params) -> Response:
        try:
            answer = handler(self, request, tenant, **params)
            response = answer if isinstance(answer, Response) else Response.json(answer[1], answer[0])
        except ZuoraFailure as failure:
            response = Response.json(failure_body(failure), 200)
        if request.method in ("POST", "PUT", "PATCH") and tenant.lose_answers > 0:
            tenant.lose_answers -= 1  # done, but the answer never reaches the client
            response.hold = float(self.config["lost_answer_hold_seconds"])
        return response

    def _once(self, key: str, handler, request: Request, tenant: ZuoraTenant, params) -> Response:
        """Zuora's key semantics: the first answer again; 409 while it runs; 422 for another request."""
        now = self.clock.now()
        entry = tenant.keys.get(key)
        if entry is not None and now - entry["at"] > KEY_LIFETIME:
            del tenant.keys[key]
            entry = None
        if entry is not None:
            if entry["running"] or self.state["keys_in_flight"] > 0:
                self.state["keys_in_flight"] = max(0, self.state["keys_in_flight"] - 1)
                return Response.json(
                    {"success": False, "message": "A request with this idempotency key is in progress."}, 409
                )
            same_body = not self.config["idempotency_body_check"] or entry["body"] == request.body
            if (entry["method"], entry["path"]) != (request.method, request.path) or not same_body:
                message = "The idempotency key was used with a different request."
                return Response.json({"success": False, "message": message}, 422)
            status, headers, body = entry["answer"]
            return Response(status, body, {**headers, "Idempotent-Replayed": "true"})
        entry = {"method": request.method, "path": request.path, "body": request.body, "at": now, "running": True}
        tenant.keys[key] = entry
        response = self._run(handler, request, tenant, params)
        entry["answer"], entry["running"] = (response.status, dict(response.headers), response.body), False
        return response

    def _authenticated(self, request: Request, tenant: ZuoraTenant) -> bool:
        scheme, _, value = (request.headers.get("Authorization", "") or "").partition(" ")
        token, _why = self.oauth.authenticate(value.strip()) if scheme.lower() == "bearer" else (None, "")
        return token is not None and token.grant.subject.get("environment") == tenant.environment

    def _spend(self, tenant: ZuoraTenant) -> Response | None:
        """One call of the tenant's per-minute allowance; over it, 429 with Retry-After (failed calls count)."""
        minute = int(self.clock.now() // 60)
        counts = self.state["calls"].setdefault(tenant.environment, {})
        counts[minute] = counts.get(minute, 0) + 1
        if counts[minute] > self.limit_of(tenant):
            wait = 60 - int(self.clock.now() % 60)
            return Response.json(
                {"success": False, "reasons": [{"code": 50000070, "message": "Too many requests."}]},
                429,
                {"Retry-After": str(wait)},
            )
        return None

    def _decorate(self, response: Response, request: Request, tenant: ZuoraTenant) -> Response:
        minute = int(self.clock.now() // 60)
        used = self.state["calls"].get(tenant.environment, {}).get(minute, 0)
        limit = self.limit_of(tenant)
        response.headers.setdefault("Zuora-Request-Id", f"{self.random.getrandbits(128):032x}")
        track = request.headers.get("Zuora-Track-Id")
        if track:
            response.headers["Zuora-Track-Id"] = track
        response.headers["RateLimit-Limit"] = f"{limit}, {limit};w=60"
        response.headers["RateLimit-Remaining"] = str(max(0, limit - used))
        response.headers["RateLimit-Reset"] = str(60 - int(self.clock.now() % 60))
        response.headers["Concurrency-Limit-Type"] = "Default"
        response.headers["Concurrency-Limit-Limit"] = "40"
        response.headers["Concurrency-Limit-Remaining"] = "39"
        return response

    @staticmethod
    def _body(request: Request) -> dict:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise ZuoraFailure(500000, 90, "Malformed JSON in the request body.") from None
        return body if isinstance(body, dict) else {}
