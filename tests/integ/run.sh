#!/usr/bin/env bash
# Run every integration test.  Usage:
#   WEIR_BIN=build/release/weir-server ./tests/integ/run.sh [-k PATTERN] [--external HOST:PORT] [FILE...]
# Uses Debian's /usr/bin/python3 (with python3-redis), never a python3 from PATH.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PYTHONDONTWRITEBYTECODE=1
exec /usr/bin/python3 "$here/runner.py" "$@"
