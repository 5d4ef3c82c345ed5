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
if ! command -v kamailio >/dev/null || ! "$HERE/../kamailio-modules.sh" >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  policy=0; [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; policy=1; }
  apt-get update -qq && apt-get install -y -qq --no-install-recommends kamailio kamailio-presence-modules >/dev/null
  if [ "$policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi
MODULES="$("$HERE/../kamailio-modules.sh")"
"$HERE/../kamailio-stop.sh" "$RUN/kamailio.pid" >/dev/null 2>&1 || true
rm -rf "$RUN"; mkdir -p "$RUN"
nohup kamailio -DD -E -f "$HERE/kamailio.cfg" -Y "$RUN" -A "MPATH=\"$MODULES/\"" \
  -A "SIP_LISTEN=udp:127.0.0.1:$PORT" -A "MSRP_LISTEN=tcp:127.0.0.1:$MSRP_PORT" \
  -A "MSRP_URI=\"msrp://127.0.0.1:$MSRP_PORT\"" -A "MSRP_PASSWORD=\"${KAM_MSRP_PASSWORD:-msrp-secret}\"" \
  > "$RUN/kamailio.log" 2>&1 < /dev/null &
echo $! > "$RUN/kamailio.pid"
exec "$HERE/../kamailio-wait.sh" "$PORT" "$RUN/kamailio.pid" "$RUN/kamailio.log"
