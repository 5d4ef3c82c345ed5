#!/usr/bin/env bash
# Starts Kamailio's presence server on 127.0.0.1:5180/udp in the background, with fresh db_text
# tables in ./run: interop/pidf-kamailio's configuration on another port (its start.sh installs
# the Debian packages if needed).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
RUN="$HERE/run"
MODULES="$("$HERE/../kamailio-modules.sh")"
"$HERE/stop.sh" >/dev/null 2>&1 || true
rm -rf "$RUN"; mkdir -p "$RUN/dbtext"
for t in version presentity active_watchers watchers xcap; do
  cp /usr/share/kamailio/dbtext/kamailio/$t "$RUN/dbtext/$t"
done
nohup kamailio -DD -E -f "$HERE/../pidf-kamailio/kamailio.cfg" -Y "$RUN" -A "DBURL=\"text://$RUN/dbtext\"" \
  -A "MPATH=\"$MODULES/\"" -A 'SIP_LISTEN=udp:127.0.0.1:5180' -A 'SIP_ALIAS="127.0.0.1:5180"' \
  -A 'SIP_SERVER="sip:127.0.0.1:5180"' > "$RUN/kamailio.log" 2>&1 < /dev/null &
echo $! > "$RUN/kamailio.pid"
exec "$HERE/../kamailio-wait.sh" 5180 "$RUN/kamailio.pid" "$RUN/kamailio.log"
