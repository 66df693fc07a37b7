#!/usr/bin/env bash
# The whole suite on SQLite, then every database test again on a real PostgreSQL.
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
export PATH="$PWD/$VENV/bin:$PATH"
status=0

echo "== lint (ruff, mypy, import contracts, links, pinned dependencies)"
ruff check hub connectors vocabulary tests benchmarks scripts || status=1
ruff format --check hub connectors vocabulary tests benchmarks scripts || status=1
mypy hub connectors vocabulary benchmarks || status=1
lint-imports --no-cache || status=1
python scripts/check-links.py || status=1
python scripts/check-constraints.py || status=1

echo "== tests on SQLite"
HUB_TEST_DB=sqlite pytest -q -n 2 --dist loadgroup -p no:cacheprovider "$@"
rc=$?; [ $rc -eq 0 ] || status=$rc

echo "== database tests again on PostgreSQL"
HUB_TEST_DB=postgresql pytest -q -n 2 --dist loadgroup -p no:cacheprovider -m "db and not browser" "$@"
rc=$?; [ $rc -eq 0 ] || [ $rc -eq 5 ] || status=$rc
exit $status
