# The two commands of the README: `make run` and `make test`. Everything they need is
# installed from pyproject.toml + uv.lock into .venv; nothing but python3 and make is assumed.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never

.PHONY: install run test lint format serve worker clean bench

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --python $(PYTHON)
	@touch $@

install: $(VENV)/.installed

run: install
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py seed_demo
	@bin/dev-server

# Production serving: gunicorn (WEB_CONCURRENCY workers on BIND, or 127.0.0.1:PORT), DEBUG
# off, static files collected for WhiteNoise, migrations applied. README "Deployment".
serve: install
	@bin/serve

# A queue worker (syncs, their retries, the scheduled sync): run one or more beside `make
# serve`, on any machine that reaches the database. README "Jobs".
worker: install
	$(PY) manage.py run_jobs

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: lint
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

# Benchmarks (bench/README.md): ratios measured in one run against throw-away databases,
# gunicorn and the emulator; PostgreSQL when one answers on 127.0.0.1:5432, else SQLite.
# Exits non-zero when a goal is missed. Not part of `make test`.
bench: install
	$(PY) -m bench.run

# Load with nothing lost (tests/adversarial/test_load.py): `make serve` on PostgreSQL under
# SOAK_USERS people (50) for SOAK_SECONDS (60), then every invariant checked and a summary
# printed. Needs PostgreSQL on 127.0.0.1:5432 (skipped loudly without); `make test` skips it.
.PHONY: soak
soak: install
	$(VENV)/bin/pytest -m soak tests/adversarial/test_load.py

clean:
	rm -rf .tools $(VENV) staticfiles .pytest_cache .ruff_cache .mypy_cache
