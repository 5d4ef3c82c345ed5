#!/usr/bin/env bash
# Starts Kamailio's presence server on 127.0.0.1:5180/udp in the background, with fresh db_text
# tables in ./run: interop/pidf-kamailio's server (its start.sh, which also installs the Debian
# packages if needed) on another port.
HERE="$(cd "$(dirname "$0")" && pwd)"
KAM_PORT=5180 KAM_RUN="$HERE/run" exec "$HERE/../pidf-kamailio/start.sh"
