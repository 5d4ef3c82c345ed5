#!/usr/bin/env bash
# Stops the Kamailio started by start.sh (only the PID it recorded).
HERE="$(cd "$(dirname "$0")" && pwd)"
PIDF="$HERE/run/kamailio.pid"
[ -f "$PIDF" ] || exit 0
pid=$(cat "$PIDF")
kill "$pid" 2>/dev/null || true
for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
pkill -P "$pid" 2>/dev/null || true
rm -f "$PIDF"
