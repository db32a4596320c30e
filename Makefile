# The newcomer's two commands: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(PY):
	python3 -m venv $(VENV)

run: $(PY)
	$(PY) -m pip install -q -e .
	$(VENV)/bin/flask --app app demo

test: $(PY)
	command -v chromium >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium)
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m pytest

.PHONY: run test
