# The two commands: `make demo` and `make test`. Both set themselves up from a bare Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test security e2e bench chaos lint format setup migrate clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)

.env: | $(STAMP)
	$(PY) -m mlconnector.devenv

migrate: $(STAMP) .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable

demo: migrate
	$(PY) manage.py demo

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# The sweeps that search the whole product (secrets, the page policy, the API against its schema), with their
# figures at the end (docs/security.md); they run in `make test` too. `-m schema` runs the API's part alone.
security: $(STAMP)
	$(PY) -m pytest -m "security or schema" $(PYTEST_ARGS)

# Browser tests: Playwright drives the system's Chromium (apt-get install -y chromium), never its own download.
e2e: $(STAMP)
	$(PY) -m pytest -m e2e tests/e2e $(PYTEST_ARGS)

# Benchmarks print figures and assert nothing; they write docs/benchmarks.md and .json (tests/bench/run_all.py).
# Sizes: BENCH_SCALE=tiny|small|full (default small) or per benchmark (see run_all.py); BENCH_OUTPUT=<dir>.
bench: $(STAMP)
	$(PY) -m tests.bench.run_all

# The flows under faults (workers killed, PostgreSQL and Redis restarted, the sandbox stopped, 5xx, 429, timeouts, a
# revoked token), then every target checked against the source; exits 1 on a duplicate, a loss or a failure not on
# the failures page. Its own PostgreSQL cluster and Redis on free loopback ports (tests/chaos/run.py).
# CHAOS_SCALE=tiny|small (default small: a few minutes), CHAOS_SEED=<n>, CHAOS_WRITE_DOCS=1 writes docs/reliability.md.
chaos: $(STAMP)
	$(PY) -m tests.chaos.run

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
