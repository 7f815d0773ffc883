# Developer and CI entry points. Everything Python runs from .venv.
#   make run          embedded run: SQLite, in-process jobs, http://127.0.0.1:8000
#   make test         system packages, lint, then pytest on throw-away PostgreSQL + Redis
#   make lint/format  code checks / fixes
#   make test PYTEST_ARGS="-x -k login"   extra pytest arguments

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

# Steps depend on each other's side effects (apt before venv, venv before lint); keep them serial.
.NOTPARALLEL:
.PHONY: venv axe system-deps run lint test format messages compile-messages

# Reinstall only when pyproject.toml changed since the last successful install.
venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e ".[dev]"
	touch $@

system-deps:
	bash .ci/system-deps.sh

# axe-core for the accessibility tests (tests/e2e/test_accessibility.py), from npm; reinstalled
# only when the lock file changed since the last successful install.
AXE := tests/e2e/axe
axe: $(AXE)/node_modules/.installed

$(AXE)/node_modules/.installed: $(AXE)/package-lock.json
	npm ci --prefix $(AXE) --no-audit --no-fund
	touch $@

# Translations (locale/<lang>/LC_MESSAGES/django.po). `make messages` takes every message of the
# code into the English catalogue (new ones untranslated, for a translator) and compiles;
# `compile-messages` only compiles (run and test do that; the .mo files are committed too, so a
# machine without gettext still serves English).
MAKEMESSAGES := $(BIN)/python manage.py makemessages --no-location --ignore=.venv \
	--ignore=tests --ignore=bench --ignore=var --ignore='*/node_modules/*'
messages: venv
	DJANGO_SETTINGS_MODULE=config.settings.base $(MAKEMESSAGES) -l en
	DJANGO_SETTINGS_MODULE=config.settings.base $(BIN)/python manage.py compilemessages --ignore=.venv

compile-messages: venv
	@if command -v msgfmt >/dev/null 2>&1; then \
		DJANGO_SETTINGS_MODULE=config.settings.base $(BIN)/python manage.py compilemessages --ignore=.venv -v0; \
	else echo "gettext (msgfmt) not installed; using the committed .mo files"; fi

# No POSTGRES_* in the environment => settings use SQLite in var/.
# collectstatic because DEBUG is off by default and WhiteNoise serves from STATIC_ROOT.
run: venv compile-messages
	mkdir -p var
	@fc-list 2>/dev/null | grep -i 'Noto Serif CJK' >/dev/null || \
		echo "warning: fonts-noto-cjk not found; PDF letters will lack Chinese glyphs"
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# Every check runs even if an earlier one fails, so one CI run shows all problems.
lint: venv
	@mkdir -p var
	@status=0; \
	check() { echo "+ $$*"; "$$@" || { echo "FAILED: $$*"; status=1; }; }; \
	check $(BIN)/ruff check .; \
	check $(BIN)/ruff format --check .; \
	check $(BIN)/mypy .; \
	check env DJANGO_SETTINGS_MODULE=config.settings.base \
		$(BIN)/python manage.py makemigrations --check --dry-run; \
	check env DJANGO_SETTINGS_MODULE=config.settings.base \
		$(BIN)/python manage.py spectacular --validate --fail-on-warn --file var/openapi.yaml; \
	if command -v docker-compose >/dev/null 2>&1; then \
		check docker-compose config -q; \
	else \
		echo "docker-compose not installed; skipping compose file check"; \
	fi; \
	exit $$status

# Lint first (no services needed), then pytest against throw-away services on spare ports.
test: system-deps venv axe compile-messages lint
	bash tests/services.sh $(BIN)/pytest $(PYTEST_ARGS)

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
