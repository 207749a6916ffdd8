import pytest
from django_scopes import scopes_disabled

from tests.factories import IntegrationFactory

PAGES = ["/", "/connections/", "/integrations/", "/review/", "/audit/", "/account/"]


@pytest.fixture
def integration_a(tenant_a, connection_a):
    with scopes_disabled():
        return IntegrationFactory(tenant=tenant_a, source=connection_a)


@pytest.fixture
def integration_b(tenant_b, connection_b):
    with scopes_disabled():
        return IntegrationFactory(tenant=tenant_b, source=connection_b)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_redirects_an_anonymous_visitor_to_login(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_for_a_member(client_a, path):
    assert client_a.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/connections/{}/", "/integrations/{}/"])
def test_detail_pages_give_404_for_another_tenants_object(client_a, integration_b, path):
    obj = integration_b if "integrations" in path else integration_b.source
    assert client_a.get(path.format(obj.uuid)).status_code == 404


def test_detail_pages_show_the_tenants_own_objects(client_a, integration_a):
    page = client_a.get(f"/integrations/{integration_a.uuid}/")
    assert page.status_code == 200
    assert b"Test Source -&gt; Test Target" in page.content
    page = client_a.get(f"/connections/{integration_a.source.uuid}/")
    assert b"Acme books" in page.content


def test_lists_show_only_the_tenants_own_objects(client_a, integration_a, integration_b):
    connections = client_a.get("/connections/").content
    assert b"Acme books" in connections
    assert b"Globex books" not in connections
    dashboard = client_a.get("/").content
    assert str(integration_a.uuid).encode() in dashboard
    assert str(integration_b.uuid).encode() not in dashboard


def test_the_dashboard_says_what_to_do_next_when_empty(client_a):
    page = client_a.get("/").content.decode()
    assert "No connections yet" in page
    assert "Connect a source system" in page
    assert "No integrations yet" in page


def test_the_connection_page_shows_which_secrets_are_set_but_never_their_values(client_a, connection_a):
    page = client_a.get(f"/connections/{connection_a.uuid}/").content.decode()
    assert "access token" in page
    assert connection_a.access_token not in page
    assert connection_a.refresh_token not in page


def test_the_base_layout_has_navigation_htmx_and_csrf_for_htmx(client_a):
    page = client_a.get("/").content.decode()
    for label in ["Dashboard", "Connections", "Integrations", "Review", "Audit log"]:
        assert f">{label}</a>" in page
    assert "django_htmx/htmx-2.min.js" in page
    assert 'hx-headers=\'{"x-csrftoken":' in page
    assert "https://" not in page.split("<main>")[0], "no asset may come from a CDN"


def test_login_with_the_right_password_lands_on_the_dashboard(client, owner_a):
    response = client.post("/login/", {"username": owner_a.username, "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_login_with_a_wrong_password_says_so(client, owner_a):
    response = client.post("/login/", {"username": owner_a.username, "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct" in response.content


def test_logout_ends_the_session(client_a):
    client_a.post("/logout/")
    assert client_a.get("/").status_code == 302


def test_the_connection_pages_title_is_its_label_alone(client_a, connection_a):
    page = client_a.get(f"/connections/{connection_a.uuid}/").content.decode()
    title = page.split("<title>")[1].split("</title>")[0]
    assert title.startswith("Acme books")
    assert "<" not in title
    assert page.count("<h2>Webhooks</h2>") == 1
