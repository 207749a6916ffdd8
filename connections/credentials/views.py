"""Connection pages: connect (OAuth, client credentials or a legacy API token), choose an account, test,
reconnect, disconnect.

Views stay short; what they do (connect, ping, disconnect) is plain functions the API and tests share.
"""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_POST
from social_core.actions import do_auth, do_complete
from social_core.exceptions import AuthCanceled, AuthInputError, AuthSessionError, SocialAuthBaseException
from social_django.utils import load_backend, load_strategy

import audit
from connections import registry
from connections.accounts.signup import verified_email_required
from connections.credentials import client_credentials
from connections.credentials.oauth import INTENT_KEY, save_intent
from connections.models import Connection
from connections.providers import http
from connections.providers.base import AuthKind
from connections.providers.configuration import sandbox_app
from connections.providers.errors import ProviderError
from connections.providers.forms import ConnectForm
from connections.tenancy import get_object_for_tenant, tenant_required
from syncs.engine.jobs import queue_task


def connect_forms(provider: str):
    """The provider's connect forms module (None when it asks nothing of its own)."""
    return registry.part(provider, "connect")


def oauth_redirect_uri(provider: str) -> str:
    return reverse("oauth-complete", args=[provider])


@tenant_required(manage=True)
@verified_email_required
def connect(request, provider):
    """Ask what the provider needs before its consent page, then send the customer there."""
    spec = registry.find_provider(provider)
    if spec is None:
        return render(request, "404.html", status=404)
    reconnect = request.GET.get("reconnect") or request.POST.get("reconnect")
    existing = get_object_for_tenant(Connection, request.tenant, uuid=reconnect) if reconnect else None
    if existing is not None and existing.provider != provider:
        return render(request, "404.html", status=404)
    forms = connect_forms(provider)
    if AuthKind.CLIENT_CREDENTIALS in spec.auth_kinds and getattr(forms, "CREDENTIALS_FORM", None):
        return connect_with_credentials(request, spec, forms.CREDENTIALS_FORM, existing)
    if not spec.uses_oauth:
        return render(request, "404.html", status=404)
    form_class = getattr(forms, "CONNECT_FORM", ConnectForm)
    initial = {"label": existing.label if existing else spec.name, **(existing.addresses if existing else {})}
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        addresses = {k: v for k, v in form.cleaned_data.items() if k in spec.address_fields}
        save_intent(
            request,
            provider=provider,
            label=form.cleaned_data["label"],
            addresses=addresses,
            reconnect=str(existing.uuid) if existing else None,
        )
        strategy = load_strategy(request)
        backend = load_backend(strategy, provider, redirect_uri=oauth_redirect_uri(provider))
        return do_auth(backend)
    return render(
        request,
        "connections/connect.html",
        {
            "provider": spec,
            "form": form,
            "reconnecting": existing,
            "token_method": getattr(getattr(forms, "TOKEN_FORM", None), "method", ""),
        },
    )


def connect_with_credentials(request, spec, form_class, existing):
    """A client-credentials provider: mint a token with what was typed and ping; save only what works."""
    initial = {"label": existing.label if existing else spec.name}
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        connection, problem = client_credentials.try_credentials(
            request.tenant, spec, form.cleaned_data["label"], form.connection_fields(), existing
        )
        if connection is None:
            form.add_error(None, problem)
            audit.record(
                "connection.connect_failed",
                tenant=request.tenant,
                actor=request.user,
                level="warning",
                message=f"{request.user.email} could not connect {spec.name} ({form.describe()}): {problem}",
            )
        else:
            reconnected = existing is not None
            audit.record(
                "connection.reconnected" if reconnected else "connection.connected",
                tenant=request.tenant,
                connection=connection,
                actor=request.user,
                message=f"{request.user.email} {'re' if reconnected else ''}connected {spec.name} "
                f"({form.describe()}) with {form.method}.",
                data={"addresses": connection.addresses},
            )
            if problem:
                messages.warning(request, problem)
            else:
                messages.success(request, f"{spec.name} is connected: a token was issued and the API answered.")
            return redirect("connection-detail", uuid=connection.uuid)
    sandbox = form.sandbox_hint.format(**sandbox_app(spec.slug)) if settings.SANDBOX_URL else ""
    return render(
        request,
        "connections/connect_credentials.html",
        {"provider": spec, "form": form, "reconnecting": existing, "sandbox": sandbox},
    )


@tenant_required(manage=True)
def oauth_complete(request, provider):
    """The provider's redirect back: social-auth checks state and exchanges the code; errors become words."""
    spec = registry.find_provider(provider)
    if spec is None:
        return render(request, "404.html", status=404)
    name = spec.name
    strategy = load_strategy(request)
    backend = load_backend(strategy, provider, redirect_uri=oauth_redirect_uri(provider))
    if request.GET.get("error") and not started_here(backend, request.GET.get("state")):
        # A cross-site link to ?error=... must not cancel a connect in progress: only its own answer may.
        message = (
            f"An answer claiming to come from {name} did not carry the security check of a connect started "
            "here, so it was ignored; a connect in progress is not affected."
        )
        audit.record(
            "connection.connect_answer_ignored",
            tenant=request.tenant,
            actor=request.user,
            level="warning",
            message=message,
            data={"error": request.GET.get("error", "")[:100]},
        )
        messages.error(request, message)
        return redirect("connection-list")
    try:
        return do_complete(backend, login=None, user=None)
    except AuthCanceled:
        message = f"You declined access in {name}, so nothing was connected. Connect again when you are ready."
    except (AuthSessionError, AuthInputError) as exc:
        if getattr(exc, "parameter", None) in (None, "state") or isinstance(exc, AuthSessionError):
            message = (
                f"The answer from {name} could not be matched to a connection started here (its security check "
                "failed or it expired). Nothing was connected; please start again."
            )
        else:
            message = f"{name} sent back an incomplete answer ({exc.parameter} missing). Please start again."
    except SocialAuthBaseException as exc:
        if exc.stage in ("token_exchange", "token"):
            detail = f" ({exc.provider_code})" if exc.provider_code else ""
            status = f"HTTP {exc.status_code}" if exc.status_code else "an error"
            message = (
                f"{name} refused to issue a token: it answered {status}{detail}. Check the OAuth app's client id, "
                "secret and redirect URL, then connect again."
            )
        else:
            message = f"Connecting {name} failed: {exc}. Nothing was connected; please start again."
    request.session.pop(INTENT_KEY, None)
    audit.record(
        "connection.connect_failed", tenant=request.tenant, actor=request.user, level="warning", message=message
    )
    messages.error(request, message)
    return redirect("connection-list")


def started_here(backend, state) -> bool:
    """Whether `state` names a connect this browser session started (checked, in constant time, before an
    error answer may end it; social-auth itself reads `error` before it looks at `state`)."""
    if not isinstance(state, str) or not state or len(state) > 128:
        return False
    transaction_key = getattr(backend, "transaction_key", None)
    if transaction_key is not None:
        stored = backend.strategy.session_get(transaction_key(state))
        stored = stored.get("state") if isinstance(stored, dict) else None
    else:
        stored = backend.get_session_state()
    return isinstance(stored, str) and constant_time_compare(state, stored)


@tenant_required(manage=True)
@verified_email_required
def connect_api_token(request, provider):
    """Credentials typed in (a provider's `TOKEN_FORM`): stored encrypted, checked with a ping at once."""
    spec = registry.find_provider(provider)
    form_class = getattr(connect_forms(provider), "TOKEN_FORM", None) if spec else None
    if form_class is None:
        return render(request, "404.html", status=404)
    form = form_class(request.POST or None, initial={"label": spec.name})
    if request.method == "POST" and form.is_valid():
        connection = Connection.objects.create(
            tenant=request.tenant, provider=provider, label=form.cleaned_data["label"], **form.connection_fields()
        )
        audit.record(
            "connection.connected",
            tenant=request.tenant,
            connection=connection,
            actor=request.user,
            message=f"{request.user.email} connected {spec.name} ({form.describe()}) with {form.method}.",
        )
        ok, _ = ping(connection)
        if ok:
            messages.success(request, f"{spec.name} is connected with an API token.")
        return redirect("connection-detail", uuid=connection.uuid)
    return render(request, "connections/connect_token.html", {"provider": spec, "form": form, "oauth": spec.uses_oauth})


@tenant_required(manage=True)
def choose_account(request, uuid):
    """After consent, pick which of several accounts (a user's businesses, say) this connection reads.

    Each choice carries the addresses it stands for, keyed like the provider's address fields; the first
    required one tells the choices apart.
    """
    connection = get_object_for_tenant(Connection, request.tenant, uuid=uuid)
    provider = registry.provider(connection.provider)
    choices = connection.settings.get("choices") or []
    key = provider.required_addresses[0] if provider.required_addresses else "account_id"
    if request.method == "POST":
        picked = next((c for c in choices if str(c.get(key)) == request.POST.get("account_id")), None)
        if picked is None:
            messages.error(request, "Choose one of the listed accounts.")
        else:
            chosen = {k: v for k, v in picked.items() if k in provider.address_fields and v is not None}
            connection.addresses = {**connection.addresses, **chosen}
            connection.settings = {k: v for k, v in connection.settings.items() if k != "choices"}
            connection.status = Connection.Status.ACTIVE
            connection.last_error = ""
            connection.save()
            audit.record(
                "connection.account_chosen",
                tenant=request.tenant,
                connection=connection,
                actor=request.user,
                message=f"{request.user.email} chose {picked['name']} for {connection.label}.",
            )
            messages.success(request, f"{connection.provider_name} is connected to {picked['name']}.")
            return redirect("connection-detail", uuid=connection.uuid)
    return render(request, "connections/choose_account.html", {"connection": connection, "choices": choices})


def ping(connection) -> tuple[bool, str]:
    """Call the provider's cheapest real endpoint, store the outcome, and say it in words."""
    client = registry.part(connection.provider, "client")
    try:
        with http.within(settings.PROVIDER_PAGE_BUDGET_SECONDS):  # a person is waiting for the answer
            ok, message = client.ping(connection)
    except ProviderError as exc:
        ok, message = False, f"{connection.provider_name} could not be reached as this connection: {exc.message}"
    connection.last_ping_at = timezone.now()
    connection.last_ping_ok = ok
    connection.settings = {**connection.settings, "last_ping_message": message}
    fields = ["last_ping_at", "last_ping_ok", "settings", "updated_at"]
    if ok and connection.status == Connection.Status.ERROR and not connection.settings.get("choices"):
        connection.status = Connection.Status.ACTIVE
        connection.last_error = connection.error_source = ""
        fields += ["status", "last_error", "error_source"]
    connection.save(update_fields=fields)
    return ok, message


@require_POST
@tenant_required
def test_connection(request, uuid):
    connection = get_object_for_tenant(Connection, request.tenant, uuid=uuid)
    ok, message = ping(connection)
    (messages.success if ok else messages.error)(request, message)
    return redirect("connection-detail", uuid=connection.uuid)


def subscriptions_of(connection):
    """Where the provider's webhook registrations are made (None when it has none)."""
    return registry.part(connection.provider, "subscriptions")


@require_POST
@tenant_required(manage=True)
def register_webhooks(request, uuid):
    """Create what is missing at the provider and resend pending verifications, in a task (several provider
    calls are more than a request should wait for); the page shows the state and the audit log the outcome."""
    connection = get_object_for_tenant(Connection, request.tenant, uuid=uuid)
    if subscriptions_of(connection) is None:
        raise Http404
    if queue_task("syncs.tasks.register_webhooks", connection.pk, request.user.pk):
        messages.success(
            request,
            f"Checking and repairing the webhooks with {connection.provider_name} in the background; this page "
            "shows their state once it is done, and the audit log says how it went.",
        )
    else:
        messages.error(request, "The task queue is not answering; try again in a minute.")
    return redirect("connection-detail", uuid=connection.uuid)


def disconnect(connection, actor) -> list[str]:
    """Remove our webhooks, revoke where the provider can, wipe every secret; keep the row and its history.

    The secrets go whatever the provider answers, but what it refused is said (on the page and in the audit
    event): webhooks left registered there keep being sent, and are refused here since the connection is off."""
    problems = []
    module = subscriptions_of(connection)
    if module is not None and connection.settings.get("webhooks"):
        try:
            module.unregister(connection)
        except ProviderError as exc:
            problems.append(
                f"{connection.provider_name} did not remove our webhooks ({exc.message}); remove them in "
                f"{connection.provider_name}'s settings. Until then its deliveries are refused here."
            )
    revoke = getattr(registry.part(connection.provider, "client"), "revoke", None)
    if revoke is not None and connection.access_token:
        try:
            revoke(connection)
        except ProviderError as exc:
            problems.append(
                f"{connection.provider_name} did not revoke the access token ({exc.message}); it expires on its "
                f"own, or revoke the app's access in {connection.provider_name}."
            )
    for field in Connection.SECRET_FIELDS:
        setattr(connection, field, None)
    connection.status = Connection.Status.DISABLED
    connection.access_expires_at = connection.refresh_expires_at = None
    connection.last_error = ""
    connection.save()
    audit.record(
        "connection.disconnected",
        tenant=connection.tenant,
        connection=connection,
        actor=actor,
        level="warning" if problems else "info",
        message=f"{actor.email} disconnected {connection.provider_name} ({connection.label}); its secrets were wiped."
        + "".join(f" {problem}" for problem in problems),
        data={"problems": problems},
    )
    return problems


@require_POST
@tenant_required(manage=True)
def disconnect_view(request, uuid):
    connection = get_object_for_tenant(Connection, request.tenant, uuid=uuid)
    with http.within(settings.PROVIDER_PAGE_BUDGET_SECONDS):  # what does not fit is said, and the secrets go anyway
        problems = disconnect(connection, request.user)
    messages.success(request, f"{connection.label} is disconnected. Its history stays in the audit log.")
    for problem in problems:
        messages.warning(request, problem)
    return redirect("connection-detail", uuid=connection.uuid)
