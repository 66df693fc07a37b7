# Two commands on a fresh machine: `make run` (the embedded demo) and `make test`.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
PORT    ?= 5000
STAMP   := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml constraints.txt | sha256sum | cut -c1-12)

.PHONY: run test install constraints services lint bench bench-sync bench-draw bench-push bench-stats clean

$(STAMP): setup.cfg pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || (apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV))
	$(VENV)/bin/pip install -q --disable-pip-version-check --upgrade pip
	$(VENV)/bin/pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP)
	@scripts/ensure-fonts.sh

# After changing install_requires or the dev extras: install, then pin what got installed.
constraints:
	$(VENV)/bin/pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@scripts/freeze-constraints.sh $(VENV)

run: install
	$(VENV)/bin/hub demo --port $(PORT)

services:
	@scripts/ensure-services.sh

lint: install
	$(VENV)/bin/ruff check hub connectors vocabulary tests benchmarks scripts
	$(VENV)/bin/ruff format --check hub connectors vocabulary tests benchmarks scripts
	$(VENV)/bin/mypy hub connectors vocabulary benchmarks
	$(VENV)/bin/lint-imports --no-cache
	$(PY) scripts/check-links.py
	$(PY) scripts/check-constraints.py

test: install services
	@scripts/run-tests.sh

bench: bench-sync bench-draw bench-push bench-stats

bench-sync: install
	$(PY) benchmarks/bench_sync.py

bench-draw: install
	$(PY) benchmarks/bench_draw.py

bench-push: install services
	$(PY) benchmarks/bench_push.py

bench-stats: install services
	$(PY) benchmarks/bench_stats.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
