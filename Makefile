# Two commands do all the set-up on a fresh machine:
#   make run    installs into .venv and starts the app
#   make test   installs into .venv (with test tools) and runs the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?= --help

.PHONY: run test bench soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/khbs $(ARGS)

test: $(VENV)/.installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

bench: $(VENV)/.installed
	$(BIN)/python -m bench

soak: $(VENV)/.installed
	QT_QPA_PLATFORM=offscreen KHBS_SOAK=1 $(BIN)/python -m pytest -q -m slow

clean:
	rm -rf $(VENV) build *.egg-info
