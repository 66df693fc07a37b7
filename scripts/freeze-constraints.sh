#!/usr/bin/env bash
# Write constraints.txt from what the virtual environment holds (the hub itself left out).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.venv}
{
  echo "# Pinned versions of every dependency, the dev tools included: \`make install\` installs with -c constraints.txt."
  echo "# Regenerate after changing install_requires or extras in setup.cfg: \`make constraints\` (pip freeze of .venv, minus the hub)."
  "$VENV/bin/pip" freeze --exclude-editable --disable-pip-version-check | grep -v -i '^joint[-_]inspection[-_]hub'
} > constraints.txt.part
mv constraints.txt.part constraints.txt
echo "constraints.txt: $(grep -c '==' constraints.txt) pinned packages"
