# Two commands on a fresh machine: `make run` (the embedded demo) and `make test`.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
PORT    ?= 5000
STAMP   := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml constraints.txt | sha256sum | cut -c1-12)

.PHONY: run test install constraints services lint translations bench bench-sync bench-draw bench-push bench-lists bench-stats bench-portal clean

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

# Extract the Chinese message ids from the code and templates and merge them into the English
# catalogue; translate the new (empty or fuzzy) entries of hub/translations/en/.../messages.po.
# The .po is compiled in memory at start-up (hub/web/i18n.py): nothing else to build.
translations: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k _l -k lazy_gettext --no-location --sort-output \
		--omit-header -o var/messages.pot hub
	$(VENV)/bin/pybabel update -N -i var/messages.pot -d hub/translations -l en --no-wrap

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

bench: bench-sync bench-draw bench-push bench-lists bench-stats

bench-sync: install
	$(PY) benchmarks/bench_sync.py

bench-draw: install
	$(PY) benchmarks/bench_draw.py

bench-lists: install services
	$(PY) benchmarks/bench_lists.py

bench-push: install services
	$(PY) benchmarks/bench_push.py

# PostgreSQL with 1,000,000 entities and results, `hub serve`, and wrk (apt-get install wrk) on loopback.
bench-portal: install services
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) benchmarks/bench_portal.py

bench-stats: install services
	$(PY) benchmarks/bench_stats.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
