#!/usr/bin/env bash
# Install what `python -m benchmarks` compares against:
#   moto[server] and py-spy into the project venv (the `bench` extra), and
#   ministack into its own venv, benchmarks/.venv-ministack, because it pins an
#   older botocore than Poolgate needs. cryptography makes ministack sign real
#   RS256 tokens (without it, it serves a dummy JWKS).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
.venv/bin/python -m pip install --quiet -e '.[bench]'
if [ ! -x benchmarks/.venv-ministack/bin/python ]; then
    "$PY" -m venv benchmarks/.venv-ministack
fi
benchmarks/.venv-ministack/bin/python -m pip install --quiet ministack cryptography
