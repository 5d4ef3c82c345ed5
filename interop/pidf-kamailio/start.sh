#!/usr/bin/env bash
# Installs (Debian packages kamailio, kamailio-presence-modules) if needed and starts Kamailio
# on 127.0.0.1:5160/udp in the background, with fresh db_text tables in ./run.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
RUN="$HERE/run"
if ! command -v kamailio >/dev/null || ! "$HERE/../kamailio-modules.sh" >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  # keep the package's init script from starting a daemon on every interface
  policy=0; [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; policy=1; }
  apt-get update -qq && apt-get install -y -qq --no-install-recommends kamailio kamailio-presence-modules >/dev/null
  if [ "$policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi
MODULES="$("$HERE/../kamailio-modules.sh")"
"$HERE/stop.sh" >/dev/null 2>&1 || true
rm -rf "$RUN"; mkdir -p "$RUN/dbtext"
for t in version presentity active_watchers watchers xcap; do
  cp /usr/share/kamailio/dbtext/kamailio/$t "$RUN/dbtext/$t"
done
nohup kamailio -DD -E -f "$HERE/kamailio.cfg" -Y "$RUN" -A "DBURL=\"text://$RUN/dbtext\"" -A "MPATH=\"$MODULES/\"" \
  > "$RUN/kamailio.log" 2>&1 < /dev/null &
echo $! > "$RUN/kamailio.pid"
for _ in $(seq 1 50); do
  if python3 -c '
import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(0.2); s.bind(("127.0.0.1",0))
p=s.getsockname()[1]
s.sendto(("OPTIONS sip:127.0.0.1:5160 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKprobe\r\nFrom: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: probe\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n" % p).encode(), ("127.0.0.1",5160))
s.recv(4096)' 2>/dev/null; then
    echo "kamailio $(kamailio -v | head -1 | cut -d' ' -f3) on 127.0.0.1:5160 (pid $(cat "$RUN/kamailio.pid"))"; exit 0
  fi
  sleep 0.2
done
echo "kamailio did not answer; see $RUN/kamailio.log" >&2
exit 1
