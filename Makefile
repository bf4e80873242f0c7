# Freigabe. Two set-up commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)

.PHONY: install demo test test-fast bench fuzz load clean messages screenshots

install: $(STAMP)

$(STAMP): pyproject.toml
	bash scripts/install.sh
	touch $@

demo: install
	bash scripts/demo.sh

test: install
	bash scripts/test.sh

# engine and unit tests only (no PostgreSQL, CKAN or browser); for quick local loops
test-fast: install
	$(BIN)/pytest -q -m "not postgres and not ckan and not browser and not acro"

bench: install
	bash scripts/bench.sh

# property-based fuzzing of intake parser and engine, minutes (MINUTES=5 by default)
fuzz: install
	bash scripts/fuzz.sh $(or $(MINUTES),5)

# bounded load run: gunicorn + PostgreSQL on loopback, 20 clients
load: install
	bash scripts/install-system-deps.sh
	bash scripts/load.sh

# UI catalogue: extract German ids (babel.cfg), update publisher/translations/*/messages.po, compile .mo
messages: install
	bash scripts/i18n.sh

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis var test-artifacts

# README screenshots (docs/screenshots/*.png): Chromium via Playwright (Debian's chromium) on the browser
# journeys' demo city; the pages are the journeys' own (review, release, upload steps, help)
screenshots: install
	bash scripts/install-browser.sh
	FREIGABE_UPDATE_SCREENSHOTS=1 .venv/bin/pytest -q tests/browser/test_ux_journeys.py tests/browser/test_release_journey.py
