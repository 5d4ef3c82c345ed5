#!/usr/bin/env bash
# Starts Kamailio as an MSRP relay (kamailio.cfg here): MSRP on 127.0.0.1:${KAM_MSRP_PORT:-2955}
# over TCP, SIP OPTIONS on 127.0.0.1:${KAM_PORT:-5375}/udp for the readiness probe; installs
# the Debian packages first if needed (as ../pidf-kamailio/start.sh does). Waits until it
# answers.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PORT="${KAM_PORT:-5375}"
MSRP_PORT="${KAM_MSRP_PORT:-2955}"
RUN="${KAM_RUN:-$HERE/run/kamailio}"
"$HERE/../kamailio-install.sh"
MODULES="$("$HERE/../kamailio-modules.sh")"
"$HERE/../kamailio-stop.sh" "$RUN/kamailio.pid" >/dev/null 2>&1 || true
rm -rf "$RUN"; mkdir -p "$RUN"
nohup kamailio -DD -E -f "$HERE/kamailio.cfg" -Y "$RUN" -A "MPATH=\"$MODULES/\"" \
  -A "SIP_LISTEN=udp:127.0.0.1:$PORT" -A "MSRP_LISTEN=tcp:127.0.0.1:$MSRP_PORT" \
  -A "MSRP_URI=\"msrp://127.0.0.1:$MSRP_PORT\"" -A "MSRP_PASSWORD=\"${KAM_MSRP_PASSWORD:-msrp-secret}\"" \
  > "$RUN/kamailio.log" 2>&1 < /dev/null &
echo $! > "$RUN/kamailio.pid"
exec "$HERE/../kamailio-wait.sh" "$PORT" "$RUN/kamailio.pid" "$RUN/kamailio.log"
