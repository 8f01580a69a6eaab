# registry-admin: `make run` starts a local instance, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RA := $(BIN)/registry-admin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench corpus-report translations system-deps clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the project's metadata changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(RA) db upgrade
	$(RA) municipalities sync
	$(RA) demo-credentials --base-url http://$(HOST):$(PORT)
	$(RA) serve --host $(HOST) --port $(PORT)

# Debian packages of the real servers the tests start (Dovecot) or drive (Chromium).
system-deps:
	@sh scripts/system-deps.sh

test: $(VENV)/.installed-test system-deps lint
	$(BIN)/pytest -n 2 --dist loadgroup

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-test
	@sh scripts/system-deps.sh wrk
	$(BIN)/python bench/run.py
	$(BIN)/python bench/intake.py
	$(BIN)/python bench/queue_page.py

corpus-report: $(VENV)/.installed
	$(BIN)/python -m registry_admin.intake.corpus_report tests/fixtures/corpus

# After changing UI text: collect it, merge it into the fi and sv catalogs, translate, compile.
translations: $(VENV)/.installed-test
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --omit-header -o registry_admin/translations/messages.pot .
	$(BIN)/pybabel update -i registry_admin/translations/messages.pot -d registry_admin/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d registry_admin/translations

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache
