#!/usr/bin/env bash
# Starts Kamailio (the registrar of kamailio.cfg) on 127.0.0.1:5170/udp in the background, logs
# in ./run/kamailio.log; waits until it answers an OPTIONS.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
RUN="$HERE/run"; mkdir -p "$RUN"
MODULES="$("$HERE/../kamailio-modules.sh")"
"$HERE/stop.sh" >/dev/null 2>&1 || true
nohup kamailio -DD -E -f "$HERE/kamailio.cfg" -Y "$RUN" -A "MPATH=\"$MODULES/\"" \
  > "$RUN/kamailio.log" 2>&1 < /dev/null &
echo $! > "$RUN/kamailio.pid"
exec "$HERE/../kamailio-wait.sh" 5170 "$RUN/kamailio.pid" "$RUN/kamailio.log"
