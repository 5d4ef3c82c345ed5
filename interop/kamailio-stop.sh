#!/usr/bin/env bash
# Stops the Kamailio whose pid file is PIDFILE (only that PID and its children), waiting for it
# to exit. Shared by the stop.sh of each interop folder that runs Kamailio.
#   usage: kamailio-stop.sh PIDFILE
PIDF="$1"
[ -f "$PIDF" ] || exit 0
pid=$(cat "$PIDF")
kill "$pid" 2>/dev/null || true
for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
pkill -P "$pid" 2>/dev/null || true
rm -f "$PIDF"
