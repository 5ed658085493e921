#!/usr/bin/env bash
# Set up envport in a project-local virtual environment (.venv): Python packages,
# then the Rust extension when a Rust toolchain is present. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev,compare,ray]"
# gymnax (for `envport verify --candidate gymnax:...` and benchmarks) declares gymnasium<1.4,
# which would replace the reference envport is verified against; its environments do not
# use gymnasium, so install it without its pins.
.venv/bin/python -m pip install --quiet --no-deps "gymnax==1.0.1"
# The Rust translations (rust_envs/): a maturin/PyO3 extension, built into .venv.
if command -v cargo >/dev/null 2>&1; then
    (cd rust_envs && VIRTUAL_ENV="$PWD/../.venv" ../.venv/bin/maturin develop --release --quiet)
else
    echo "setup.sh: no Rust toolchain (cargo) found; the rust backend will be unavailable" >&2
fi
