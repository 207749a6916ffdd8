"""The API's directory resources, as a mixin: the versions list (no auth, no limit header, not counted),
a version's resource map, `/limits`, describeGlobal and each object's describe (salesforce.md 2.1, 2.7)."""

from __future__ import annotations

from connections.providers.salesforce.emulator.api import api
from connections.providers.salesforce.emulator.errors import json_response, rest_error
from connections.sandbox.base import Request, Response, route

SEASONS = ("Summer", "Winter", "Spring")
RESOURCES = (
    *("tooling", "metadata", "eclair", "folders", "prechatForms", "jsonxform", "chatter", "tabs", "appMenu"),
    *("quickActions", "queryAll", "commerce", "wave", "iot", "analytics", "search", "identity", "composite"),
    *("parameterizedSearch", "fingerprint", "theme", "nouns", "recent", "licensing", "limits", "async-queries"),
    *("query", "sobjects", "actions", "support"),
)


def version_label(version: int) -> str:
    """v31.0 is Summer '14; three releases a year, Winter counting as the next year's. v42.0 is written with
    a typographic apostrophe in the recorded list (salesforce.md 2.1)."""
    step = version - 31
    season = SEASONS[step % 3]
    year = 14 + (step + 2) // 3
    apostrophe = "\u2019" if version == 42 else "'"
    return f"{season} {apostrophe}{year:02d}"


def versions(newest: int) -> list[dict]:
    return [
        {"label": version_label(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"} for v in range(31, newest + 1)
    ]


class ResourceRoutes:
    """Mixed into `SalesforceEmulator`."""

    @route("GET", "/services/data/?")
    def list_versions(self, request: Request) -> Response:
        if self.config["versions_require_auth"] and not (request.headers.get("Authorization") or "").strip():
            error = rest_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
            return json_response(error.body, 401)
        response = json_response(versions(int(self.config["newest_api_version"])))
        response.headers.update({"Server": "sfdcedge", "X-Sfdc-Request-Id": f"{self.random.getrandbits(128):032x}"})
        return response

    @api("GET", "/?")
    def version_resources(self, request, call):
        body = {name: f"{call.prefix}/{name}" for name in RESOURCES}
        body["identity"] = f"{self.config['identity_host']}/id/{call.org.id}/{call.user['Id']}"
        return json_response(body)

    @api("GET", "/limits/?")
    def limits(self, request, call):
        daily = int(self.config["daily_api_requests"])
        used = call.org.api_usage()

        def entry(maximum, remaining=None):
            return {"Max": maximum, "Remaining": maximum if remaining is None else remaining}

        return json_response(
            {
                "ActiveScratchOrgs": entry(3),
                "ConcurrentAsyncGetReportInstances": entry(200),
                "ConcurrentSyncReportRuns": entry(20),
                "DailyApiRequests": entry(daily, max(0, daily - used)),
                "DailyAsyncApexExecutions": entry(250000),
                "DailyBulkApiBatches": entry(15000),
                "DailyBulkV2QueryJobs": entry(10000),
                "DailyStreamingApiEvents": entry(10000),
                "DataStorageMB": entry(5),
                "FileStorageMB": entry(20),
                "HourlyODataCallout": entry(10000),
                "SingleEmailMessages": entry(15),
            }
        )

    @api("GET", "/sobjects/?")
    def describe_global(self, request, call):
        entries = [t.global_entry(call.prefix) for t in call.org.available()]
        return json_response({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": entries})

    @api("GET", "/sobjects/{sobject}/?")
    def sobject_info(self, request, call, sobject):
        found = self._sobject(call, sobject)
        latest = sorted(
            (r for r in call.org.live(found) if "CreatedDate" in r), key=lambda r: r["CreatedDate"], reverse=True
        )[:3]
        recent = [
            call.org.render(found, r, call.prefix, ["Id", "Name"] if found.field("Name") else ["Id"]) for r in latest
        ]
        return json_response({"objectDescribe": found.global_entry(call.prefix), "recentItems": recent})

    @api("GET", "/sobjects/{sobject}/describe/?")
    def describe_sobject(self, request, call, sobject):
        found = self._sobject(call, sobject)
        return json_response(found.describe(call.prefix, call.org.picklists()))
