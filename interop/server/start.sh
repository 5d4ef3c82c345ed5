#!/usr/bin/env bash
# Starts Kamailio as registrar, presence server and relay (kamailio.cfg here) on
# 127.0.0.1:${KAM_PORT:-5310}/udp with fresh tables in ${KAM_RUN:-./run/kamailio}, through
# interop/pidf-kamailio/start.sh; waits until it answers.
#   KAM_CHILDREN=N: worker processes (default 2); KAM_SHM=MB: shared memory (default 256; the
#   load bench gives it 4096: 64, Kamailio's own default, runs out under load)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
export KAM_CFG="$HERE/kamailio.cfg" KAM_PORT="${KAM_PORT:-5310}" KAM_RUN="${KAM_RUN:-$HERE/run/kamailio}"
export KAM_CHILDREN="${KAM_CHILDREN:-2}" KAM_SHM="${KAM_SHM:-256}"
exec "$HERE/../pidf-kamailio/start.sh"
