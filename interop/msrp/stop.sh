#!/usr/bin/env bash
# Stops the Kamailio started by start.sh (only the PID it recorded).
HERE="$(cd "$(dirname "$0")" && pwd)"
exec "$HERE/../kamailio-stop.sh" "${KAM_RUN:-$HERE/run/kamailio}/kamailio.pid"
