#!/usr/bin/env bash
# Starts Kamailio's XCAP server (kamailio.cfg here): HTTP on 127.0.0.1:${KAM_XCAP_PORT:-5361},
# SIP OPTIONS on ${KAM_PORT:-5360}/udp, fresh db_text tables in ${KAM_RUN:-./run/kamailio};
# waits until it answers. Installs Kamailio like interop/pidf-kamailio/start.sh.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
export KAM_CFG="$HERE/kamailio.cfg" KAM_PORT="${KAM_PORT:-5360}" KAM_RUN="${KAM_RUN:-$HERE/run/kamailio}"
export KAM_CHILDREN="${KAM_CHILDREN:-2}" KAM_SHM="${KAM_SHM:-256}"
export KAM_DEFINES="XCAP_LISTEN=tcp:127.0.0.1:${KAM_XCAP_PORT:-5361}"
exec "$HERE/../pidf-kamailio/start.sh"
