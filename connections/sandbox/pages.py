"""The sandbox server's HTML: an index, one page per emulator (its forms, faults, outbox) and the journal.

Plain HTML with a few lines of inline script that refresh the journal; no external assets, so it works
offline. Every value is escaped.
"""

from __future__ import annotations

import json
from html import escape
from urllib.parse import parse_qsl

from connections.sandbox.base import Emulator, FormField, PageForm

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}
.forms{display:flex;flex-wrap:wrap;gap:1rem}
form.card{border:1px solid #ccc;border-radius:6px;padding:.75rem;min-width:240px}
form.card label{display:block;margin:.3rem 0}form.card input,form.card select{width:100%}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:.25rem;text-align:left;
vertical-align:top}pre{white-space:pre-wrap;word-break:break-all;margin:0;font-size:12px}
.ok{color:#176f2c}.bad{color:#a11}.msg{background:#eef;padding:.5rem;border-radius:4px}
"""

GENERIC_FORMS = (
    PageForm(
        "faults",
        "Faults",
        (
            FormField("latency_ms", "Latency (ms)", "0"),
            FormField("error_rate", "Fraction failing with 5xx (0-1)", "0"),
            FormField("rate_limit_seconds", "Answer 429 for (seconds)", "0"),
            FormField("timeouts", "Hold the next N calls (timeout)", "0"),
            FormField("lost_answers", "Process the next N calls, then lose their answers", "0"),
        ),
        "Apply",
    ),
    PageForm(
        "outbox/policy",
        "Webhook delivery",
        (
            FormField("delay_seconds", "Delay (s)", "0"),
            FormField("retries", "Retries", "2"),
            FormField("backoff_seconds", "First backoff (s)", "5"),
            FormField("disable_after_failures", "Disable after N failed deliveries (0: never)", "0"),
            FormField("drop_rate", "Drop fraction (0-1)", "0"),
            FormField("duplicate_rate", "Duplicate fraction (0-1)", "0"),
            FormField("reorder", "Reorder", "false", (("false", "in order"), ("true", "newest first"))),
        ),
        "Apply",
    ),
    PageForm("tokens/expire", "Expire every access token", (), "Expire"),
    PageForm("tokens/revoke", "Revoke every token", (), "Revoke"),
    PageForm("reset", "Reset this emulator", (), "Reset"),
)


def _layout(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )


def index(emulators: dict[str, Emulator]) -> str:
    items = "".join(
        f'<li><a href="/_sandbox/{escape(slug)}/">{escape(e.name)}</a>: API at <code>/{escape(slug)}/</code></li>'
        for slug, e in emulators.items()
    )
    return _layout("Sandbox", f"<h1>ml-connector sandbox</h1><ul>{items or '<li>No emulators.</li>'}</ul>")


def _field(field: FormField) -> str:
    if field.choices:
        options = "".join(
            f'<option value="{escape(v)}"{" selected" if v == field.default else ""}>{escape(label)}</option>'
            for v, label in field.choices
        )
        control = f'<select name="{escape(field.name)}">{options}</select>'
    else:
        control = f'<input name="{escape(field.name)}" value="{escape(field.default)}">'
    return f"<label>{escape(field.label)} {control}</label>"


def _form(slug: str, form: PageForm) -> str:
    fields = "".join(_field(f) for f in form.fields)
    return (
        f'<form class=card method=post action="/_sandbox/{escape(slug)}/ui/{escape(form.action)}">'
        f"<strong>{escape(form.title)}</strong>{fields}<p><button>{escape(form.submit)}</button></p></form>"
    )


def emulator_page(emulator: Emulator, query_string: str) -> str:
    slug = emulator.slug
    message = dict(parse_qsl(query_string)).get("msg", "")
    own = "".join(_form(slug, f) for f in emulator.page_forms())
    generic = "".join(_form(slug, f) for f in GENERIC_FORMS)
    state = json.dumps(
        {"state": emulator.describe(), "outbox": emulator.outbox.describe(), "config": emulator.config},
        indent=1,
        default=str,
    )
    body = f"""
<p><a href="/_sandbox/">All emulators</a></p>
<h1>{escape(emulator.name)} sandbox</h1>
<p>API base: <code>/{escape(slug)}/</code>. Control API: <code>/_sandbox/{escape(slug)}/api/</code>.</p>
{f"<p class=msg>{escape(message)}</p>" if message else ""}
<h2>Records and events</h2><div class=forms>{own or "<p>This emulator has no forms.</p>"}</div>
<h2>Journal <small>(requests received and webhook attempts, newest first; refreshes itself)</small></h2>
<div id=journal>{journal_table(emulator)}</div>
<h2>Faults and delivery</h2><div class=forms>{generic}</div>
<h2>State</h2><details><summary>show</summary><pre>{escape(state)}</pre></details>
<script>
setInterval(function () {{
  fetch("/_sandbox/{escape(slug)}/journal").then(function (r) {{ return r.text(); }})
    .then(function (html) {{ document.getElementById("journal").innerHTML = html; }});
}}, 2000);
</script>"""
    return _layout(f"{emulator.name} sandbox", body)


def journal_table(emulator: Emulator, limit: int = 100) -> str:
    rows = []
    for entry in reversed(emulator.journal.entries()[-limit:]):
        ok = entry.status is not None and entry.status < 400
        status = escape(str(entry.status)) if entry.status is not None else "&mdash;"
        detail = escape(
            json.dumps(
                {
                    "headers": entry.headers,
                    "body": entry.body,
                    "response_headers": entry.response_headers,
                    "response_body": entry.response_body,
                    "extra": entry.extra,
                },
                indent=1,
            )
        )
        rows.append(
            f"<tr><td>{entry.id}</td><td>{escape(entry.at)}</td><td>{escape(entry.kind)}</td>"
            f"<td>{escape(entry.method)} <code>{escape(entry.url)}</code><br><small>{escape(entry.note)}</small>"
            f"<details><summary>details</summary><pre>{detail}</pre></details></td>"
            f'<td class="{"ok" if ok else "bad"}">{status}</td></tr>'
        )
    if not rows:
        return "<p>Nothing yet.</p>"
    return (
        "<table><thead><tr><th>#</th><th>at</th><th>kind</th><th>request</th><th>status</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
