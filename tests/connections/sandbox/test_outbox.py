import json

import requests
import responses

from connections.sandbox import Request

HOOK = "https://app.example/hooks/echo"


def create_item(echo, name="Bolt"):
    return echo.handle_control(
        Request(
            "POST",
            "records/item",
            body=json.dumps({"name": name}).encode(),
            headers={"Content-Type": "application/json"},
        )
    )


def test_it_sends_nothing_until_deliveries_are_due(echo_box, echo):
    echo.outbox.policy.update({"delay_seconds": 30})
    echo_box.mock.add(responses.POST, HOOK, status=200)
    create_item(echo)

    assert echo_box.deliver(advance=29) == 0
    assert echo_box.deliver(advance=1) == 1
    assert [d.state for d in echo.outbox.deliveries] == ["delivered"]


def test_it_journals_each_attempt_with_its_answer(echo_box, echo):
    echo_box.mock.add(responses.POST, HOOK, status=202, body="queued")
    create_item(echo)
    echo_box.deliver()

    (attempt,) = echo.journal.entries(kind="delivery")
    assert (attempt.method, attempt.url, attempt.status, attempt.response_body) == ("POST", HOOK, 202, "queued")
    assert attempt.note == "attempt 1/3: delivered"
    assert json.loads(attempt.body) == {"event": "item.created", "id": 1}


def test_it_retries_with_doubling_backoff_then_gives_up(echo_box, echo):
    echo.outbox.policy.update({"retries": 2, "backoff_seconds": 10})
    echo_box.mock.add(responses.POST, HOOK, status=500)
    create_item(echo)

    assert echo_box.deliver() == 1
    assert echo_box.deliver(advance=9) == 0
    assert echo_box.deliver(advance=1) == 1
    assert echo_box.deliver(advance=19) == 0
    assert echo_box.deliver(advance=1) == 1
    assert echo_box.deliver(advance=1000) == 0
    assert [e.note for e in echo.journal.entries(kind="delivery")] == [
        "attempt 1/3: pending",
        "attempt 2/3: pending",
        "attempt 3/3: failed",
    ]


def test_it_counts_a_refused_connection_as_a_failed_attempt(echo_box, echo):
    echo.outbox.policy.update({"retries": 0})
    create_item(echo)  # nothing answers at HOOK: responses refuses the connection
    echo_box.deliver()
    (attempt,) = echo.journal.entries(kind="delivery")
    assert attempt.status is None and "ConnectionError" in attempt.note


def test_it_passes_the_policy_timeout_to_every_attempt(echo, clock):
    seen = []
    echo.outbox.sender = lambda method, url, headers, body, timeout: seen.append(timeout) or _ok()
    echo.outbox.policy.update({"timeout_seconds": 3})
    create_item(echo)
    echo.outbox.deliver_due()
    assert seen == [3.0]


def _ok():
    from connections.sandbox import Response

    return Response(200)


def test_it_disables_a_subscription_after_repeated_failed_deliveries(echo_box, echo):
    echo.outbox.policy.update({"retries": 0, "disable_after_failures": 2})
    echo_box.mock.add(responses.POST, HOOK, status=410)
    create_item(echo, "a")
    create_item(echo, "b")
    echo_box.deliver()
    create_item(echo, "c")

    assert echo.outbox.is_disabled("hook-1")
    assert len(echo.outbox.deliveries) == 2
    assert echo.journal.entries(kind="delivery")[-1].note.endswith("subscription disabled")


def test_it_drops_duplicates_and_reorders_deliveries_on_demand(echo_box, echo):
    echo_box.mock.add(responses.POST, HOOK, status=200)
    echo.outbox.policy.update({"duplicate_rate": 1})
    create_item(echo, "a")
    echo.outbox.policy.update({"duplicate_rate": 0, "drop_rate": 1})
    create_item(echo, "b")
    echo.outbox.policy.update({"drop_rate": 0, "reorder": "true"})
    create_item(echo, "c")

    echo_box.deliver()

    sent = [json.loads(call.request.body)["id"] for call in echo_box.mock.calls if call.request.url == HOOK]
    assert sent == [3, 1, 1]
    assert [d.state for d in echo.outbox.deliveries] == ["delivered", "delivered", "dropped", "delivered"]


def test_it_sends_webhooks_with_a_timeout_over_the_network_by_default(echo, monkeypatch):
    calls = []

    def fake_request(method, url, **kwargs):
        calls.append(kwargs)
        raise requests.ConnectTimeout("no")

    monkeypatch.setattr(requests, "request", fake_request)
    create_item(echo)
    echo.outbox.deliver_due()
    assert calls[0]["timeout"] == 10.0 and calls[0]["allow_redirects"] is False


def test_it_forgets_the_oldest_finished_deliveries_beyond_its_memory(echo_box, echo, monkeypatch):
    monkeypatch.setattr(type(echo.outbox), "KEEP", 2)
    echo_box.mock.add(responses.POST, HOOK, status=200)
    for name in "abc":
        create_item(echo, name)
        echo_box.deliver()
    create_item(echo, "d")
    assert [(d.id, d.state) for d in echo.outbox.deliveries] == [(3, "delivered"), (4, "pending")]
