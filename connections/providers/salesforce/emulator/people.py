"""An org's users (an administrator, a sales rep, the app's Run As user) and its opportunity stages (the
OpportunityStage rows that make StageName's restricted picklist and say which stage is won), as a mixin of
`SalesforceOrg`."""

from __future__ import annotations

from connections.providers.salesforce.emulator.objects import FORECAST_CATEGORIES

# (label, default probability, forecast category, closed, won), as a new org has them (salesforce.md 2.6).
DEFAULT_STAGES = (
    ("Prospecting", 10, "Pipeline", False, False),
    ("Qualification", 10, "Pipeline", False, False),
    ("Needs Analysis", 20, "Pipeline", False, False),
    ("Value Proposition", 50, "Pipeline", False, False),
    ("Id. Decision Makers", 60, "Pipeline", False, False),
    ("Perception Analysis", 70, "Pipeline", False, False),
    ("Proposal/Price Quote", 75, "Pipeline", False, False),
    ("Negotiation/Review", 90, "Pipeline", False, False),
    ("Closed Won", 100, "Closed", True, True),
    ("Closed Lost", 0, "Omitted", True, False),
)
# The org's people: an administrator who owns records made in the UI, and a sales rep.
PEOPLE = (("Dana", "Whitfield", "dana.whitfield"), ("Marcus", "Lee", "marcus.lee"))


class PeopleAndStages:
    """Mixed into `SalesforceOrg`."""

    def _stamp(self, record: dict, actor_id: str) -> dict:
        """A setup record with its audit fields, as if `actor_id` had made it just now."""
        now = self.now()
        audit = {"CreatedDate": now, "CreatedById": actor_id, "LastModifiedDate": now, "LastModifiedById": actor_id}
        return {**record, **audit, "SystemModstamp": now}

    def _add_user(self, first: str, last: str, login: str, alias: str = "") -> dict:
        user_id = self.new_id("User")
        actor = getattr(self, "admin", None)
        record = {
            "Id": user_id,
            "Username": f"{login}@{self.key}.example.com",
            "LastName": last,
            "FirstName": first or None,
            "Name": f"{first} {last}".strip(),
            "CompanyName": self.key.title(),
            "Email": f"{login}@{self.key}.example.com",
            "Alias": alias or (first[:1] + last)[:8].lower(),
            "IsActive": True,
            "TimeZoneSidKey": "America/Los_Angeles",
            "UserType": "Standard",
        }
        self.records["User"][user_id] = self._stamp(record, actor["Id"] if actor else user_id)
        return self.records["User"][user_id]

    def user(self, user_id: str | None) -> dict | None:
        return self.records["User"].get(user_id or "")

    def user_by_username(self, username: str) -> dict | None:
        return next((u for u in self.records["User"].values() if u["Username"].lower() == username.lower()), None)

    def run_as_user(self) -> dict | None:
        """The integration user the External Client App runs as; None when the app has none."""
        template = self.config["run_as_user"]
        if not template:
            return None
        username = template.format(my_domain=self.key)
        found = self.user_by_username(username)
        if found is None:
            found = self._add_user("Integration", "User", username.split("@")[0], "integ")
            found["Username"] = found["Email"] = username
        return found

    def add_user(self, first: str, last: str, username: str = "") -> dict:
        login = username.split("@")[0] if username else f"{first}.{last}".lower().replace(" ", "")
        record = self._add_user(first, last, login)
        if username:
            record["Username"] = record["Email"] = username
        return record

    def _add_stage(self, order: int, label: str, probability: int, category: str, closed: bool, won: bool) -> None:
        stage_id = self.new_id("OpportunityStage")
        record = {
            "Id": stage_id,
            "MasterLabel": label,
            "ApiName": label,
            "IsActive": True,
            "SortOrder": order,
            "IsClosed": closed,
            "IsWon": won,
            "ForecastCategory": category,
            "ForecastCategoryName": FORECAST_CATEGORIES[category],
            "DefaultProbability": probability,
            "Description": None,
        }
        self.records["OpportunityStage"][stage_id] = self._stamp(record, self.admin["Id"])

    def active_stages(self) -> list[dict]:
        stages = [s for s in self.records["OpportunityStage"].values() if s["IsActive"]]
        return sorted(stages, key=lambda s: s["SortOrder"])

    def stage(self, name: str) -> dict | None:
        return next((s for s in self.active_stages() if s["ApiName"] == name), None)

    def won_stage(self) -> dict:
        return next(s for s in self.active_stages() if s["IsWon"])

    def rename_won_stage(self, label: str) -> dict:
        """An admin renames the won stage (label and API name); opportunities in it follow, as in a real org."""
        label = label.strip()
        if not label or len(label) > 255:
            raise ValueError("A stage label is 1 to 255 characters.")
        won = self.won_stage()
        if label != won["ApiName"] and any(s["ApiName"] == label for s in self.active_stages()):
            raise ValueError(f"Another stage is already called {label!r}.")
        old = won["ApiName"]
        won.update(MasterLabel=label, ApiName=label, LastModifiedDate=self.now(), SystemModstamp=self.now())
        for record in self.records["Opportunity"].values():
            if record.get("StageName") == old:
                record["StageName"] = label
        return won
