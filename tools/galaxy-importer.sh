#!/usr/bin/env bash
# galaxy-importer on the built collection, as Galaxy and Automation Hub run it on an upload:
# ansible-doc, ansible-lint (production profile, offline), flake8 and the metadata checks, with the
# settings of tools/galaxy-importer.cfg. Nothing reaches Galaxy or the internet. Fails on any
# ERROR or WARNING the importer reports, not only on a failed import.
# Usage: tools/galaxy-importer.sh [TARBALL]   (default: build one from this checkout)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$root/.venv}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ $# -ge 1 ]; then
  tarball=$(realpath "$1")
else
  "$venv/bin/ansible-galaxy" collection build --force --output-path "$work/dist" "$root" >/dev/null
  tarball=$(echo "$work"/dist/*.tar.gz)
fi
mkdir -p "$work/tmp" "$work/ansible-tmp"
export GALAXY_IMPORTER_CONFIG=$root/tools/galaxy-importer.cfg
export GALAXY_IMPORTER_TMP_ROOT_DIR=$work/tmp GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP=$work/ansible-tmp
# The importer finds ansible-doc, ansible-lint and flake8 on PATH.
export PATH=$venv/bin:$PATH
cd "$work"  # it writes importer_result.json to the current directory
echo "galaxy-importer on $(basename "$tarball")"
status=0
# As `python -m galaxy_importer.main TARBALL`, less the importer's 180 s wall-clock cap on
# ansible-lint: on two cores shared with the other stages of make test, lint alone can take longer
# (about 25 CPU-seconds), and a cut-off lint would be logged as an error, not as a lint result.
"$venv/bin/python" - "$tarball" > "$work/log" 2>&1 <<'PY' || status=$?
import subprocess
import sys

from galaxy_importer import main
from galaxy_importer.loaders import collection


class Popen(subprocess.Popen):
    def communicate(self, input=None, timeout=None):
        return super().communicate(input)


collection.Popen = Popen
sys.exit(main.main())
PY
cat "$work/log"
if [ "$status" -ne 0 ]; then
  echo "galaxy-importer failed (exit $status)" >&2
  exit "$status"
fi
if grep -qE '^(WARNING|ERROR|CRITICAL)' "$work/log"; then
  echo "galaxy-importer: $(grep -cE '^(WARNING|ERROR|CRITICAL)' "$work/log") warning(s) or error(s) above" >&2
  exit 1
fi
echo "galaxy-importer: 0 errors, 0 warnings"
