"""Get started: sign up, confirm the e-mail, log in, invite an agent, who joins and sees the agent's navigation."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def last_link(mailoutbox, path_prefix: str) -> str:
    match = re.search(rf"https?://\S+{re.escape(path_prefix)}\S+", mailoutbox[-1].body)
    assert match, mailoutbox[-1].body
    return match.group(0)


@pytest.fixture
def signup_on(settings):
    settings.ALLOW_SIGNUP = True


def test_a_customer_starts_alone_and_brings_in_an_agent(live_server, signup_on, mailoutbox, new_page):
    owner = new_page()
    owner.goto(f"{live_server.url}/login/")
    owner.get_by_role("link", name="Get started").click()
    owner.get_by_label("Your name").fill("Ada Lovelace")
    owner.get_by_label("Work e-mail").fill("ada@example.com")
    owner.get_by_label("Password").fill("analytical-engine-42")
    owner.get_by_label("Company name").fill("Engines Ltd")
    owner.get_by_role("button", name="Create my workspace").click()
    expect(owner.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    owner.goto(last_link(mailoutbox, "/account/verify/"))
    owner.get_by_role("button", name="Confirm my e-mail address").click()
    expect(owner.get_by_text("ada@example.com is confirmed")).to_be_visible()
    owner.get_by_label("E-mail").fill("ada@example.com")
    owner.get_by_label("Password").fill("analytical-engine-42")
    owner.get_by_role("button", name="Log in").click()

    expect(owner.get_by_role("heading", name="Engines Ltd")).to_be_visible()
    expect(owner.get_by_text("Connect a source system")).to_be_visible()
    expect(owner.get_by_text("Confirm your e-mail address: we sent a link")).to_have_count(0)

    owner.get_by_role("navigation", name="Main").get_by_role("link", name="Team").click()
    invite = owner.locator("form", has=owner.get_by_role("button", name="Send invitation"))
    invite.get_by_label("E-mail").fill("agent@example.com")
    invite.get_by_label("Role").select_option("agent")
    invite.get_by_role("button", name="Send invitation").click()
    expect(owner.get_by_text("Invitation sent to agent@example.com")).to_be_visible()
    assert mailoutbox[-1].to == ["agent@example.com"]

    agent = new_page()
    agent.goto(last_link(mailoutbox, "/invitations/"))
    expect(agent.get_by_role("heading", name="Join Engines Ltd")).to_be_visible()
    agent.get_by_label("Your name").fill("Grace Hopper")
    agent.get_by_label("Choose a password").fill("compiler-pioneer-1906")
    agent.get_by_role("button", name="Join Engines Ltd").click()

    expect(agent.get_by_text("Welcome to Engines Ltd")).to_be_visible()
    nav = agent.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Review")).to_be_visible()
    expect(nav.get_by_role("link", name="Audit log")).to_be_visible()
    expect(nav.get_by_role("link", name="Team")).to_have_count(0)
    expect(agent.locator(".account .tag")).to_have_text("Agent")
    response = agent.goto(f"{live_server.url}/team/")
    assert response.status == 403

    owner.reload()
    expect(owner.get_by_role("cell", name="agent@example.com", exact=True)).to_be_visible()
    expect(owner.get_by_text("No pending invitations.")).to_be_visible()
