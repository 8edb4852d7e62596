#!/usr/bin/env bash
# Run the test suite on the lowest declared or the newest released dependencies, each in a
# fresh venv outside the work tree (default /tmp/signin-report-WHICH). `newest` runs the whole
# CI gate (ruff, mypy --strict, pytest); `lowest` runs pytest only, because the type check
# depends on the numpy/matplotlib/pandas-stubs versions installed and is kept for the newest.
#
#   scripts/test-deps.sh lowest   # pip install -c constraints/lowest.txt -e '.[test]'
#   scripts/test-deps.sh newest   # pip install --upgrade --upgrade-strategy eager -e '.[test]'
#
# The versions installed are written to VENV/versions.txt and the main ones printed.
set -euo pipefail
which=${1:-}
root=$(cd "$(dirname "$0")/.." && pwd)
case "$which" in
  lowest) pins=(-c "$root/constraints/lowest.txt") ;;
  newest) pins=(--upgrade --upgrade-strategy eager) ;;
  *) echo "usage: scripts/test-deps.sh lowest|newest [VENV_DIR]" >&2; exit 2 ;;
esac
venv=${2:-${TMPDIR:-/tmp}/signin-report-$which}
python3 -m venv --clear "$venv"
# shellcheck disable=SC1091
. "$venv/bin/activate"
cd "$root"
python -m pip install --quiet "${pins[@]}" -e '.[test]'
python -m pip freeze --exclude-editable > "$venv/versions.txt"
echo "== $which: $(python --version), versions in $venv/versions.txt"
grep -iE '^(boto3|botocore|numpy|pandas|pyarrow|typer|click|rich|deflate|stringzilla|jinja2|matplotlib|ipykernel|nbclient|nbformat|pytest|moto|mypy|ruff)==' "$venv/versions.txt" | tr '\n' ' '
echo
if [ "$which" = newest ]; then
  ruff check . && mypy
fi
pytest -q -p no:cacheprovider
