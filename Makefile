# Two commands do all the set-up on a fresh machine:
#   make run    installs into .venv and starts the app
#   make test   installs into .venv (with test tools) and runs the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?= gui
TS := resources/i18n/khbs_id.ts resources/i18n/khbs_en.ts
QM := $(TS:.ts=.qm)

.PHONY: run test lint bench soak screenshots translations clean spreadsheet browser dist dist-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# With the `dist` extra (PyInstaller): the tests build the app bundle and smoke-test it.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dist]'
	touch $@

# Qt translations: compiled from the .ts sources on every install or test, never committed.
resources/i18n/%.qm: resources/i18n/%.ts $(VENV)/.installed
	$(BIN)/pyside6-lrelease -silent $< -qm $@

run: $(VENV)/.installed $(QM)
	$(BIN)/khbs $(ARGS)

test: lint $(VENV)/.installed $(QM) spreadsheet browser
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -n 2 --durations=15

# Lint, format, types and the import layers (pyproject.toml; docs/architecture.md, "Checks").
# `make test` runs it first. `ruff check --fix .` and `ruff format .` repair most findings.
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The export test opens files in a real spreadsheet: LibreOffice Calc (headless), installed with
# apt-get when missing, as root or with password-less sudo. Otherwise a hint, and the test skips
# (it fails in CI, where CI=true).
LIBREOFFICE := libreoffice-calc-nogui
spreadsheet:
	@command -v soffice >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	  else echo "LibreOffice is missing: install $(LIBREOFFICE) for the spreadsheet test"; exit 0; fi; \
	  command -v apt-get >/dev/null 2>&1 || { echo "LibreOffice is missing: install it for the spreadsheet test"; exit 0; }; \
	  echo "Installing $(LIBREOFFICE) for the spreadsheet test ..."; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  { $$sudo apt-get update -qq && $$sudo apt-get install -y -qq --no-install-recommends $(LIBREOFFICE); } \
	    >/dev/null 2>&1 || echo "Could not install $(LIBREOFFICE); the spreadsheet test will skip"; }

# The console's browser test drives Debian's chromium (Playwright, no browser download), installed
# with apt-get when missing, like LibreOffice above. Otherwise a hint, and the test skips (it fails
# in CI, where CI=true).
CHROMIUM := chromium
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	  else echo "Chromium is missing: install $(CHROMIUM) for the console's browser test"; exit 0; fi; \
	  command -v apt-get >/dev/null 2>&1 || { echo "Chromium is missing: install it at /usr/bin/chromium for the console's browser test"; exit 0; }; \
	  echo "Installing $(CHROMIUM) for the console's browser test ..."; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  { $$sudo apt-get update -qq && $$sudo apt-get install -y -qq --no-install-recommends $(CHROMIUM); } \
	    >/dev/null 2>&1 || echo "Could not install $(CHROMIUM); the browser test will skip"; }

# Refresh the .ts sources after changing texts in app/gui (then translate new entries).
translations: $(VENV)/.installed
	$(BIN)/pyside6-lupdate $$(find app/gui -name '*.py' | sort) -ts $(TS)

screenshots: $(VENV)/.installed $(QM) browser
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m app.gui.screenshots docs/screenshots
	KHBS_CONSOLE_SCREENSHOTS=docs/screenshots QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q \
	  tests/server/test_console_browser.py -k sqlite

bench: $(VENV)/.installed $(QM)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

# The officer's app as one folder and an archive, no Python needed: build/dist/khbs/ and
# build/dist/khbs-<version>-<os>-<arch>.tar.gz (.zip on Windows). PyInstaller, for the
# platform it runs on (docs/architecture.md, "The officer's app bundle"); PyInstaller's cache in
# build/ too, not the home folder. Under a minute for the folder, as long again for the archive.
dist: $(VENV)/.installed $(QM)
	PYINSTALLER_CONFIG_DIR=build/pyinstaller-cache $(BIN)/pyinstaller --noconfirm --clean \
	  --log-level WARN --distpath build/dist --workpath build/pyinstaller packaging/khbs.spec
	$(BIN)/python packaging/archive.py

# The folder `make dist` built, run from a clean folder: init, demo-data, status, the GUI to its
# unlock screen (tests/test_bundle.py; `make test` runs the same test on a bundle it builds).
dist-test: dist
	KHBS_BUNDLE=build/dist/khbs QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m bundle \
	  tests/test_bundle.py

soak: $(VENV)/.installed
	QT_QPA_PLATFORM=offscreen KHBS_SOAK=1 $(BIN)/python -m pytest -q -m slow

clean:
	rm -rf $(VENV) build *.egg-info
