import json

import pytest
import requests

from connections.sandbox import Request


def token_for(echo):
    code = echo.oauth.issue_code("client-1", "https://app.example/cb", "read", {"user": 1})
    answer = requests.post(
        "https://acme.echo.example/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": "client-1",
            "client_secret": "secret-1",
            "code": code,
            "redirect_uri": "https://app.example/cb",
        },
        timeout=5,
    )
    assert answer.status_code == 200
    return answer.json()


def test_it_routes_requests_calls_to_the_emulator_with_host_values(echo_box, echo):
    echo.handle_control(
        Request("POST", "records/item", body=b'{"name": "Bolt"}', headers={"Content-Type": "application/json"})
    )
    access = token_for(echo)["access_token"]

    answer = requests.get("https://acme.echo.example/items/1", headers={"Authorization": f"Bearer {access}"}, timeout=5)

    assert answer.status_code == 200
    assert answer.json() == {"item": {"id": 1, "name": "Bolt"}, "tenant": "acme"}


def test_it_accepts_an_optional_trailing_slash_only_where_the_route_says_so(echo_box, echo):
    access = token_for(echo)["access_token"]
    headers = {"Authorization": f"Bearer {access}"}
    assert requests.get("https://acme.echo.example/items/9/", headers=headers, timeout=5).status_code == 404
    assert requests.get("https://acme.echo.example/oauth/token/", timeout=5).status_code == 404


def test_it_answers_405_for_a_known_path_with_another_method(echo_box):
    answer = requests.get("https://acme.echo.example/oauth/token", timeout=5)
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "POST"


def test_it_journals_requests_with_secrets_masked(echo_box, echo):
    tokens = token_for(echo)
    requests.get(
        "https://acme.echo.example/items/1", headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=5
    )

    dumped = json.dumps([e.as_dict() for e in echo.journal.entries()])
    for secret in ("secret-1", tokens["access_token"], tokens["refresh_token"]):
        assert secret not in dumped
    token_call, item_call = echo.journal.entries()
    assert "client_secret=%2A%2A%2A" in token_call.body
    assert item_call.headers["Authorization"].startswith("Bearer ***")
    assert item_call.status == 404 and item_call.extra == {"host": {"tenant": "acme"}}


def test_it_expires_access_tokens_by_the_clock(echo_box, echo, clock):
    access = token_for(echo)["access_token"]
    clock.advance(61)
    answer = requests.get("https://acme.echo.example/items/1", headers={"Authorization": f"Bearer {access}"}, timeout=5)
    assert answer.status_code == 401 and answer.json() == {"error": "expired"}


def test_it_makes_refresh_tokens_single_use(echo_box, echo):
    refresh = token_for(echo)["refresh_token"]
    body = {
        "grant_type": "refresh_token",
        "client_id": "client-1",
        "client_secret": "secret-1",
        "refresh_token": refresh,
    }

    first = requests.post("https://acme.echo.example/oauth/token", data=body, timeout=5)
    again = requests.post("https://acme.echo.example/oauth/token", data=body, timeout=5)

    assert first.status_code == 200 and first.json()["refresh_token"] != refresh
    assert again.status_code == 400 and again.json() == {"error": "invalid_grant"}


def test_it_revokes_tokens_through_the_control_api(echo_box, echo):
    access = token_for(echo)["access_token"]
    answer = echo.handle_control(Request("POST", "tokens/revoke"))
    assert answer.data() == {"revoke": 2}
    got = requests.get("https://acme.echo.example/items/1", headers={"Authorization": f"Bearer {access}"}, timeout=5)
    assert got.json() == {"error": "revoked"}


def test_it_fails_a_fraction_of_calls_with_a_server_error(echo_box, echo):
    echo.faults.update({"error_rate": 0.5, "error_status": 502}, echo.clock.now())
    statuses = [requests.get("https://acme.echo.example/items/1", timeout=5).status_code for _ in range(40)]
    assert 5 < statuses.count(502) < 35
    assert set(statuses) == {502, 401}


def test_it_answers_429_with_retry_after_for_a_while(echo_box, echo, clock):
    echo.faults.update({"rate_limit_seconds": 10, "retry_after": 30}, clock.now())
    first = requests.get("https://acme.echo.example/items/1", timeout=5)
    clock.advance(7)
    later = requests.get("https://acme.echo.example/items/1", timeout=5)
    clock.advance(4)
    after = requests.get("https://acme.echo.example/items/1", timeout=5)
    assert (first.status_code, first.headers["Retry-After"]) == (429, "10")
    assert (later.status_code, later.headers["Retry-After"]) == (429, "3")
    assert after.status_code == 401


def test_it_holds_the_connection_as_a_timeout(echo_box, echo):
    echo.faults.update({"timeouts": 1}, 0)
    with pytest.raises(requests.Timeout):
        requests.get("https://acme.echo.example/items/1", timeout=5)
    assert requests.get("https://acme.echo.example/items/1", timeout=5).status_code == 401
    assert echo.journal.entries()[0].note == "fault: timeout"


def test_a_lost_answer_is_processed_first_so_a_refresh_token_is_spent_unseen(echo_box, echo):
    refresh_token = token_for(echo)["refresh_token"]
    echo.faults.update({"lost_answers": 1, "path_contains": "/oauth/token"}, 0)
    grant = {"grant_type": "refresh_token", "client_id": "client-1", "client_secret": "secret-1"}
    with pytest.raises(requests.Timeout):
        requests.post(
            "https://acme.echo.example/oauth/token", data={**grant, "refresh_token": refresh_token}, timeout=5
        )
    again = requests.post(
        "https://acme.echo.example/oauth/token", data={**grant, "refresh_token": refresh_token}, timeout=5
    )
    assert (again.status_code, again.json()) == (400, {"error": "invalid_grant"})
    assert echo.journal.entries()[-2].note == "fault: answer lost after HTTP 200"
    assert echo.faults.describe(0)["lost_answers"] == 0


def test_it_adds_latency_on_the_injected_clock(echo_box, echo, clock):
    echo.faults.update({"latency_ms": 1500}, clock.now())
    before = clock.now()
    requests.get("https://acme.echo.example/items/1", timeout=5)
    assert clock.now() - before == pytest.approx(1.5)


def test_it_limits_faults_to_matching_paths(echo_box, echo):
    echo.faults.update({"error_rate": 1, "path_contains": "/oauth/"}, 0)
    assert requests.get("https://acme.echo.example/items/1", timeout=5).status_code == 401
    assert requests.post("https://acme.echo.example/oauth/token", timeout=5).status_code == 503


def test_it_resets_state_journal_faults_and_tokens(echo_box, echo):
    access = token_for(echo)["access_token"]
    echo.handle_control(
        Request("POST", "records/item", body=b"name=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    )
    echo.faults.update({"latency_ms": 5}, 0)

    echo.reset()

    assert echo.state == {"items": {}}
    assert len(echo.journal) == 0 and echo.faults.latency_ms == 0
    assert echo.oauth.authenticate(access) == (None, "unknown")
    assert echo.outbox.pending() == []


def test_it_parses_json_form_and_multipart_bodies_alike():
    multipart = (
        b'--XyZ\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nrefresh_token\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="code"\r\n\r\nabc\r\n--XyZ--\r\n'
    )
    bodies = [
        ("application/json", b'{"grant_type": "refresh_token", "code": "abc"}'),
        ("application/x-www-form-urlencoded", b"grant_type=refresh_token&code=abc"),
        ("multipart/form-data; boundary=XyZ", multipart),
    ]
    for content_type, body in bodies:
        request = Request("POST", "/", headers={"content-type": content_type}, body=body)
        assert request.data() == {"grant_type": "refresh_token", "code": "abc"}, content_type


def test_it_builds_provider_hosts_from_connection_data_and_settings(settings):
    from tests.connections.sandbox.echo import PROVIDER

    settings.SANDBOX_URL = ""
    settings.ECHO_URL_TEMPLATE = ""
    assert PROVIDER.base_url("api", {"tenant": "acme"}) == "https://acme.echo.example"
    settings.SANDBOX_URL = "http://127.0.0.1:8765/"
    assert PROVIDER.base_url("api", {"tenant": "acme"}) == "http://127.0.0.1:8765/echo/acme"
    settings.ECHO_URL_TEMPLATE = "http://localhost:9000/{tenant}/"
    assert PROVIDER.base_url("api", {"tenant": "acme"}) == "http://localhost:9000/acme"


@pytest.mark.parametrize("value", ["", "evil.com/x", "a.b", "acme@evil", "-x", "a" * 64])
def test_it_refuses_host_values_that_could_point_elsewhere(settings, value):
    from tests.connections.sandbox.echo import PROVIDER

    settings.SANDBOX_URL = ""
    with pytest.raises(ValueError):
        PROVIDER.base_url("api", {"tenant": value})


def test_it_serves_the_host_settings_point_at_as_well_as_the_real_one(settings, echo, clock):
    import responses

    from connections.sandbox.testing import Sandbox

    settings.SANDBOX_URL = "http://127.0.0.1:8765"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        Sandbox({"echo": echo}, mock, clock).install()
        via_sandbox = requests.get("http://127.0.0.1:8765/echo/acme/items/1", timeout=5)
        via_real = requests.get("https://acme.echo.example/items/1", timeout=5)
    assert via_sandbox.status_code == via_real.status_code == 401
    assert [e.extra["host"] for e in echo.journal.entries()] == [{"tenant": "acme"}] * 2
