#!/usr/bin/env bash
# The one test command: sets up the Python packages the tests use as independent
# clients (a Delta writer) and the object-store emulators (moto, a GCS emulator, Azurite),
# then runs every Rust test in the workspace.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

venv="$repo_root/.venv"
requirements="tests/requirements.txt"
# A copy of the requirements the venv was last built from: an unchanged file means
# the packages are already there, which keeps reruns quick.
installed_stamp="$venv/.lakeshore-requirements.txt"

if [[ ! -x "$venv/bin/python" ]]; then
    echo "test.sh: creating the Python virtualenv $venv" >&2
    python3 -m venv "$venv"
fi
if ! cmp -s "$requirements" "$installed_stamp"; then
    echo "test.sh: installing $requirements into $venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$installed_stamp"
fi

# Azurite (npm) for the az:// and abfss:// tests, installed from the committed lockfile into
# .emulators/ (gitignored); the same stamp trick as above keeps reruns quick.
emulators="$repo_root/.emulators"
emulators_stamp="$emulators/.lakeshore-package-lock.json"
if ! cmp -s tests/emulators/package-lock.json "$emulators_stamp"; then
    echo "test.sh: installing tests/emulators/package.json into $emulators" >&2
    mkdir -p "$emulators"
    cp tests/emulators/package.json tests/emulators/package-lock.json "$emulators/"
    (cd "$emulators" && npm ci --no-audit --no-fund --loglevel=error)
    cp tests/emulators/package-lock.json "$emulators_stamp"
fi

# Apache Superset for the browser test (flight-server/tests/it/superset.rs), in a virtualenv of
# its own (it pins older pandas, pyarrow and SQLAlchemy), with the same stamp trick; and Debian's
# chromium and chromium-driver for selenium to drive.
superset_venv="$repo_root/.venv-superset"
superset_stamp="$superset_venv/.lakeshore-requirements.txt"
if [[ ! -x "$superset_venv/bin/python" ]]; then
    echo "test.sh: creating the Superset virtualenv $superset_venv" >&2
    python3 -m venv "$superset_venv"
fi
if ! cat tests/superset/requirements.txt tests/superset/constraints.txt | cmp -s - "$superset_stamp"; then
    echo "test.sh: installing tests/superset/requirements.txt into $superset_venv" >&2
    "$superset_venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r tests/superset/requirements.txt -c tests/superset/constraints.txt
    cat tests/superset/requirements.txt tests/superset/constraints.txt >"$superset_stamp"
fi
if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
    echo "test.sh: installing chromium and chromium-driver with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

export LAKESHORE_PYTHON="$venv/bin/python"
export LAKESHORE_SUPERSET_PYTHON="$superset_venv/bin/python"
# Errors must never show users a stack trace; with backtraces on, a test sees one if it leaks.
export RUST_BACKTRACE=1

# The cluster tests start real lakeshore-worker processes, and `cargo test` builds a
# package's binaries only for that package's own integration tests: build them all first.
cargo build --workspace --bins

# Each test binary ends with its own "test result" line; the last line sums them all, so the
# run closes on the whole count rather than on the last (possibly empty) binary's.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
awk '/^test result:/ { passed += $4; failed += $6 }
     END { printf "lakeshore: %d passed, %d failed\n", passed, failed }' "$log"
exit "$status"
