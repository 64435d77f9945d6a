#!/usr/bin/env bash
# Enforce the include rules of ARCHITECTURE.md:
#   lib/*          includes only libc and other lib/ headers
#   data types     (obj, db, stream*) include only lib/ and data-type headers:
#                  no protocol, connection, command or server headers
#   server.h       is included by main.c only
set -u
cd "$(dirname "$0")/.."
fail=0
check() { # file allowed-regex
    local f=$1 allow=$2
    while read -r inc; do
        if ! [[ $inc =~ $allow ]]; then
            echo "layer violation: $f includes \"$inc\""
            fail=1
        fi
    done < <(grep -oE '^#include "[^"]+"' "$f" | sed 's/#include "\(.*\)"/\1/')
}
for f in src/lib/*.c src/lib/*.h; do
    check "$f" '^lib/[a-z_]+\.h$'
done
for f in src/obj.[ch] src/db.[ch] src/stream.[ch] src/stream_cg.[ch] src/stream_idmp.[ch] src/digest.[ch]; do
    check "$f" '^(lib/[a-z_]+|obj|db|stream|stream_cg|stream_idmp|digest)\.h$'
done
for f in src/*.c src/*.h; do
    [ "$f" = src/main.c ] || [ "$f" = src/server.c ] || [ "$f" = src/server.h ] && continue
    if grep -q '^#include "server.h"' "$f"; then
        echo "layer violation: $f includes server.h (only main.c may)"
        fail=1
    fi
done
[ $fail -eq 0 ] && echo "layers: ok"
exit $fail
