"""Imports only point down: a module may import its own layer or a lower one, never a higher one.

From the bottom: the audit trail; the names (registry), connection models, tenancy and accounts; provider
infrastructure (declarations, http, errors, receiver and mirror types, token renewal, OAuth, the sandbox
framework); the provider packages; sync models, pure matching and the flow interface; the engine, ingest,
mirror, polling, review and the operating figures; the flows; pages, API, tasks, commands and settings on top.

A small walk over the code's own imports (every `import` statement, those inside functions too, and the
package `__init__` each one runs), rather than import-linter: its layers are whole packages, while ours cut
across apps module by module, and provider packages are found here without listing them.
"""

import ast
from fnmatch import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("audit", "connections", "syncs", "mlconnector")
PROVIDERS_DIR = ROOT / "connections" / "providers"

# (layer name, module patterns), bottom first. The first layer with a matching pattern wins; a module that
# matches none is on the top layer. `<provider>` stands for any package under connections/providers/.
LAYERS = (
    ("audit", ("audit", "audit.models", "audit.redaction", "audit.retention")),
    (
        "names, connection models, tenancy and accounts",
        (
            "connections",
            "connections.registry",
            "connections.models",
            "connections.credentials",
            "connections.credentials.fields",
            "connections.tenancy",
            "connections.api_base",
            "connections.accounts",
            "connections.accounts.signup",
            "connections.accounts.team",
            "connections.accounts.api_tokens",
            "connections.accounts.login_throttle",
            "connections.throttles",
        ),
    ),
    (
        "provider infrastructure",
        (
            "connections.providers",
            "connections.providers.base",
            "connections.providers.configuration",
            "connections.providers.errors",
            "connections.providers.forms",
            "connections.providers.http",
            "connections.providers.mirror",
            "connections.providers.receivers",
            "connections.providers.session",
            "connections.credentials.tokens",
            "connections.credentials.refresh_claims",
            "connections.credentials.token_endpoint",
            "connections.credentials.client_credentials",
            "connections.credentials.oauth",
            "connections.failures",
            "connections.sandbox",
            "connections.sandbox.*",
        ),
    ),
    ("provider packages", ("connections.providers.<provider>", "connections.providers.<provider>.*")),
    (
        "sync models, pure matching and the flow interface",
        (
            "syncs",
            "syncs.apps",
            "syncs.models",
            "syncs.matching",
            "syncs.matching.*",
            "syncs.flows",
            "syncs.flows.base",
        ),
    ),
    (
        "engine, ingest, mirror, polling, review and operating figures",
        (
            "syncs.engine",
            "syncs.engine.*",
            "syncs.ingest",
            "syncs.ingest.events",
            "syncs.ingest.webhooks",
            "syncs.mirror",
            "syncs.polling",
            "syncs.retention",
            "syncs.fitcheck",
            "syncs.review",
            "syncs.review.decisions",
            "syncs.review.index",
            "syncs.review.items",
            "syncs.review.search",
            "syncs.operating",
            "syncs.operating.jobs",
            "syncs.operating.overview",
        ),
    ),
    ("flows", ("syncs.flows.*",)),
)
TOP = len(LAYERS)


def provider_packages() -> set[str]:
    return {path.name for path in PROVIDERS_DIR.iterdir() if (path / "__init__.py").exists()}


def layer_of(module: str, providers: set[str]) -> int:
    for number, (_name, patterns) in enumerate(LAYERS):
        for pattern in patterns:
            if "<provider>" in pattern:
                if any(fnmatch(module, pattern.replace("<provider>", slug)) for slug in providers):
                    return number
            elif fnmatch(module, pattern):
                return number
    return TOP


def modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imported(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The project modules `module` imports, with the packages whose `__init__` each import runs."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                prefix = ".".join([*base, node.module] if node.module else base)
            else:
                prefix = node.module or ""
            for alias in node.names:
                candidate = f"{prefix}.{alias.name}"
                names.add(candidate if candidate in known else prefix)
    found = set()
    for name in names:
        parts = name.split(".")
        for end in range(1, len(parts) + 1):
            parent = ".".join(parts[:end])
            if parent in known and parent != module:
                found.add(parent)
    return found


def import_graph(sources: dict[str, str] | None = None) -> dict[str, set[str]]:
    """{module: the project modules it imports}; `sources` replaces some modules' text."""
    paths = modules()
    known = set(paths)
    return {
        module: imported(
            ast.parse((sources or {}).get(module) or path.read_text()), module, path.name == "__init__.py", known
        )
        for module, path in paths.items()
    }


def upward_imports(sources: dict[str, str] | None = None) -> list[str]:
    """Every import that points up a layer, as "importer (layer) -> imported (layer)"."""
    providers = provider_packages()
    problems = []
    for module, targets in sorted(import_graph(sources).items()):
        mine = layer_of(module, providers)
        for target in sorted(targets):
            theirs = layer_of(target, providers)
            if theirs > mine:
                problems.append(f"{module} ({layer_name(mine)}) -> {target} ({layer_name(theirs)})")
    return problems


def layer_name(number: int) -> str:
    return LAYERS[number][0] if number < TOP else "pages, API, tasks, commands"


def test_no_import_points_up_a_layer():
    assert upward_imports() == []


def test_an_import_of_syncs_from_the_connection_models_is_caught():
    models = (ROOT / "connections" / "models.py").read_text()
    problems = upward_imports({"connections.models": models + "\nfrom syncs.models import SyncJob\n"})
    assert problems == [
        "connections.models (names, connection models, tenancy and accounts) -> syncs "
        "(sync models, pure matching and the flow interface)",
        "connections.models (names, connection models, tenancy and accounts) -> syncs.models "
        "(sync models, pure matching and the flow interface)",
    ]


def test_an_import_inside_a_function_counts_too():
    source = "def later():\n    from syncs.flows import freshbooks_zendesk\n"
    problems = upward_imports({"connections.providers.zendesk.client": source})
    assert any(p.endswith("syncs.flows.freshbooks_zendesk (flows)") for p in problems)


@pytest.mark.parametrize("slug", sorted(provider_packages()))
def test_a_provider_package_never_imports_syncs(slug):
    package = f"connections.providers.{slug}"
    found = [
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        if module == package or module.startswith(f"{package}.")
        for target in targets
        if target.split(".")[0] == "syncs"
    ]
    assert found == []
