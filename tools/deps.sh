#!/usr/bin/env bash
# Install what Weir needs, from Debian packages (and npm for the node test
# client).  Only what is missing is installed; a second run is a fast no-op.
#
#   tools/deps.sh build   compiler, make, libxxhash-dev, Debian's python3
#   tools/deps.sh test    build deps + redis-tools, redis-server,
#                         python3-redis, Node.js + npm, clang, and the
#                         node-redis client in tests/integ/node
#
# Uses sudo only when not running as root.
set -euo pipefail

mode="${1:-build}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

case "$mode" in
  build|test) ;;
  *) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

missing=()

have_pkg() {
  dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

want_pkg() {
  have_pkg "$1" || missing+=("$1")
}

# --- build ---------------------------------------------------------------
want_pkg build-essential
want_pkg make
want_pkg libxxhash-dev
want_pkg pkg-config
# Debian's interpreter at /usr/bin/python3 (not a pyenv/venv one on PATH)
if [ ! -x /usr/bin/python3 ]; then
  missing+=(python3)
fi

# --- test ------------------------------------------------------------------
if [ "$mode" = test ]; then
  want_pkg redis-tools     # redis-cli, redis-benchmark
  want_pkg redis-server    # bench baseline and cross-checks
  want_pkg python3-redis   # redis-py for the integration tests
  want_pkg clang           # make fuzz
  want_pkg clang-format    # make format-check (part of make test)
  # Node.js may come from Debian or another apt source: judge by commands.
  if ! command -v node >/dev/null 2>&1; then
    missing+=(nodejs)
  fi
  if ! command -v npm >/dev/null 2>&1; then
    missing+=(npm)
  fi
fi

if [ "${#missing[@]}" -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- node test client --------------------------------------------------------
if [ "$mode" = test ]; then
  nodedir="$root/tests/integ/node"
  stamp="$nodedir/node_modules/.weir-lock-stamp"
  if [ -f "$nodedir/package-lock.json" ] && [ -f "$stamp" ] \
     && cmp -s "$nodedir/package-lock.json" "$stamp" \
     && [ -d "$nodedir/node_modules/redis" ]; then
    : # node_modules matches the committed lock file
  else
    echo "deps: npm ci in tests/integ/node"
    (cd "$nodedir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    cp "$nodedir/package-lock.json" "$stamp"
  fi
fi
