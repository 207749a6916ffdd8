"""Small helpers shared by the Zendesk emulator tests."""


def url(path: str, subdomain: str = "acme") -> str:
    return f"https://{subdomain}.zendesk.com{path}"


def create_org(api, name: str, **fields) -> dict:
    answer = api.post(url("/api/v2/organizations.json"), json={"organization": {"name": name, **fields}}, timeout=5)
    assert answer.status_code == 201, answer.text
    return answer.json()["organization"]


def create_ticket(api, org_id: int | None = None, *, public: bool | None = None, body: str = "Help") -> dict:
    comment = {"body": body} if public is None else {"body": body, "public": public}
    ticket = {"subject": "Billing question", "comment": comment}
    if org_id is not None:
        ticket["organization_id"] = org_id
    answer = api.post(url("/api/v2/tickets.json"), json={"ticket": ticket}, timeout=5)
    assert answer.status_code == 201, answer.text
    return answer.json()["ticket"]
