#!/usr/bin/env bash
# Installs (Debian packages kamailio, kamailio-presence-modules) if needed and starts Kamailio
# on 127.0.0.1:5160/udp in the background, with fresh db_text tables in ./run.
#   KAM_PORT=5180 KAM_RUN=DIR start.sh: the same server on another port and run directory
#   (interop/presence uses it so); KAM_CFG=FILE another configuration taking the same defines
#   (interop/server's registrar + presence + relay), KAM_CHILDREN=N its worker count (define
#   CHILDREN), KAM_SHM=MB its shared memory, KAM_DEFINES="A=B C" more -A defines.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PORT="${KAM_PORT:-5160}"
RUN="${KAM_RUN:-$HERE/run}"
CFG="${KAM_CFG:-$HERE/kamailio.cfg}"
EXTRA=()
[ -n "${KAM_SHM:-}" ] && EXTRA+=(-m "$KAM_SHM" -M 32)
[ -n "${KAM_CHILDREN:-}" ] && EXTRA+=(-A "CHILDREN=$KAM_CHILDREN")
for d in ${KAM_DEFINES:-}; do EXTRA+=(-A "$d"); done
"$HERE/../kamailio-install.sh"
MODULES="$("$HERE/../kamailio-modules.sh")"
"$HERE/../kamailio-stop.sh" "$RUN/kamailio.pid" >/dev/null 2>&1 || true
rm -rf "$RUN"; mkdir -p "$RUN/dbtext"
for t in version presentity active_watchers watchers xcap; do
  cp /usr/share/kamailio/dbtext/kamailio/$t "$RUN/dbtext/$t"
done
nohup kamailio "${EXTRA[@]}" -DD -E -f "$CFG" -Y "$RUN" -A "DBURL=\"text://$RUN/dbtext\"" -A "MPATH=\"$MODULES/\"" \
  -A "SIP_LISTEN=udp:127.0.0.1:$PORT" -A "SIP_ALIAS=\"127.0.0.1:$PORT\"" -A "SIP_SERVER=\"sip:127.0.0.1:$PORT\"" \
  > "$RUN/kamailio.log" 2>&1 < /dev/null &
echo $! > "$RUN/kamailio.pid"
exec "$HERE/../kamailio-wait.sh" "$PORT" "$RUN/kamailio.pid" "$RUN/kamailio.log"
