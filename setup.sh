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
.venv/bin/python -m pip install --quiet -e ".[dev,compare]"
# gymnax (for `envport verify --candidate gymnax:...` and benchmarks) declares gymnasium<1.4,
# which would replace the reference envport is verified against; its environments do not
# use gymnasium, so install it without its pins.
.venv/bin/python -m pip install --quiet --no-deps "gymnax==1.0.1"
