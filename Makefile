# The newcomer's two commands: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(PY):
	python3 -m venv $(VENV)

run: $(PY)
	$(PY) -m pip install -q -e .
	MSP_ENV=development $(VENV)/bin/flask --app app demo

# Debian's chromium for the browser tests (never a downloaded browser), pango for the PDF export,
# axe-core from npm for the accessibility checks, then every test. The tests alone: 820 in
# 4 min 33 s on two cores shared with other work, the evening of 2026-12-07, and 816 in 6 min 17 s
# on a slower afternoon of the same machine (the budget is 6 minutes); 822 in 8 min 47 s on the
# slower machine of the morning of 2026-12-08, 831 in 4 min 28 s on its afternoon (README, "Tests").
test: $(PY)
	command -v chromium >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium)
	[ -e /usr/lib/x86_64-linux-gnu/libpango-1.0.so.0 ] || [ -e /usr/lib/aarch64-linux-gnu/libpango-1.0.so.0 ] \
		|| ($(SUDO) apt-get update && $(SUDO) apt-get install -y libpango-1.0-0 libpangoft2-1.0-0)
	npm ci --no-audit --no-fund --loglevel=error
	$(PY) -m pip install -q -e '.[test]'
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -n 2 --dist loadfile

# The fast tier while you work: no browser, no server process. Measured 2026-12-07 on two cores
# shared with other work: 739 tests in 44 s in the evening, and 735 in 53-65 s on a slower
# afternoon (the budget is 60 s); 739 in 91-119 s on the slower machine of the morning of
# 2026-12-08, 747 in 39-44 s on its afternoon. The test needs are installed again only when
# pyproject.toml changes.
test-fast: $(VENV)/.test-installed
	[ -x node_modules/.bin/esbuild ] || npm ci --no-audit --no-fund --loglevel=error
	$(PY) -m pytest -q -n 2 --dist loadfile -m "not browser and not server"

$(VENV)/.test-installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test]'
	touch $@

.PHONY: run test test-fast
