#!/usr/bin/env bash
# Installs Kamailio and its presence modules (Debian packages kamailio,
# kamailio-presence-modules) unless they are there already, keeping the package's init script
# from starting a daemon on every interface. Shared by the start.sh of each interop folder
# that runs Kamailio and by .ci/run.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
if command -v kamailio >/dev/null && "$HERE/kamailio-modules.sh" >/dev/null; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
policy=0; [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; policy=1; }
status=0
{ apt-get update -qq && apt-get install -y -qq --no-install-recommends kamailio kamailio-presence-modules >/dev/null; } || status=$?
if [ "$policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
exit "$status"
