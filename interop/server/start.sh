#!/usr/bin/env bash
# Starts Kamailio (registrar, presence server, relay: kamailio.cfg) on 127.0.0.1:${KAM_PORT:-5310}
# udp, with fresh db_text tables in ${KAM_RUN:-./run/kamailio}; waits until it answers.
#   KAM_CHILDREN=N: worker processes (default 2); KAM_SHM=MB: shared memory (default 256; the
#   load bench gives it 4096: 64, Kamailio's own default, runs out under load)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PORT="${KAM_PORT:-5310}"
RUN="${KAM_RUN:-$HERE/run/kamailio}"
MODULES="$("$HERE/../kamailio-modules.sh")"
"$HERE/../kamailio-stop.sh" "$RUN/kamailio.pid" >/dev/null 2>&1 || true
rm -rf "$RUN"; mkdir -p "$RUN/dbtext"
for t in version presentity active_watchers watchers xcap; do
  cp /usr/share/kamailio/dbtext/kamailio/$t "$RUN/dbtext/$t"
done
nohup kamailio -m "${KAM_SHM:-256}" -M 32 -DD -E -f "$HERE/kamailio.cfg" -Y "$RUN" -A "DBURL=\"text://$RUN/dbtext\"" -A "MPATH=\"$MODULES/\"" \
  -A "SIP_LISTEN=udp:127.0.0.1:$PORT" -A "SIP_ALIAS=\"127.0.0.1:$PORT\"" -A "SIP_SERVER=\"sip:127.0.0.1:$PORT\"" \
  -A "CHILDREN=${KAM_CHILDREN:-2}" > "$RUN/kamailio.log" 2>&1 < /dev/null &
echo $! > "$RUN/kamailio.pid"
exec "$HERE/../kamailio-wait.sh" "$PORT" "$RUN/kamailio.pid" "$RUN/kamailio.log"
