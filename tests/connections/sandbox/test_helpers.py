import pytest

from connections.sandbox import FakeClock
from connections.sandbox.base import mask_body, mask_header, mask_url
from connections.sandbox.oauth import OAuthError, OAuthServer
from connections.sandbox.ratelimit import RateLimiter


def test_it_counts_calls_per_key_in_fixed_windows():
    clock = FakeClock()
    limiter = RateLimiter(clock, limit=2, window_seconds=60)
    assert [limiter.hit("a").allowed for _ in range(3)] == [True, True, False]
    assert limiter.hit("b").remaining == 1
    clock.advance(45)
    refused = limiter.hit("a")
    assert (refused.allowed, refused.retry_after, refused.remaining) == (False, 15, 0)
    clock.advance(15)
    assert limiter.hit("a").allowed


def test_it_can_keep_refresh_tokens_when_rotation_is_off():
    oauth = OAuthServer(FakeClock(), rotate_refresh_tokens=False)
    oauth.register_client("c", "s")
    first = oauth.issue_tokens(oauth.redeem_code(oauth.issue_code("c", "https://x/cb", "read"), "c", "https://x/cb"))
    again = oauth.refresh(first.refresh.value, "c")
    assert again.refresh.value == first.refresh.value
    assert oauth.refresh(first.refresh.value, "c").access.value != again.access.value


def test_it_refuses_a_refresh_token_of_another_client():
    oauth = OAuthServer(FakeClock())
    oauth.register_client("c", "s")
    tokens = oauth.issue_tokens(oauth.redeem_code(oauth.issue_code("c", "https://x/cb", ""), "c", None))
    with pytest.raises(OAuthError) as error:
        oauth.refresh(tokens.refresh.value, "someone-else")
    assert error.value.error == "invalid_grant"


def test_it_masks_secret_headers_by_name_and_keeps_the_rest():
    assert mask_header("Authorization", "Bearer abcdefghijklmnopqrstuvwxyz") == "Bearer ***wxyz"
    assert mask_header("X-Api-Token", "short") == "***"
    assert mask_header("X-Client-Secret", "s") == "***"
    assert mask_header("Content-Type", "application/json") == "application/json"


def test_it_masks_secret_fields_in_json_form_and_urls():
    masked = mask_body(b'{"a": {"refresh_token": "r1", "name": "n"}, "list": [{"secret": "s"}]}', "application/json")
    assert masked == '{"a": {"refresh_token": "***", "name": "n"}, "list": [{"secret": "***"}]}'
    assert mask_body(b"code=abc&state=xyz", "application/x-www-form-urlencoded") == "code=%2A%2A%2A&state=xyz"
    assert mask_url("https://app.example/cb?code=abc&state=xyz") == "https://app.example/cb?code=%2A%2A%2A&state=xyz"
