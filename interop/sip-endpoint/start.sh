#!/usr/bin/env bash
# Starts Kamailio (the registrar of kamailio.cfg) on 127.0.0.1:5170/udp in the background, logs
# in ./run/kamailio.log; waits until it answers an OPTIONS.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
RUN="$HERE/run"; mkdir -p "$RUN"
MODULES="$("$HERE/../kamailio-modules.sh")"
"$HERE/stop.sh" >/dev/null 2>&1 || true
nohup kamailio -DD -E -f "$HERE/kamailio.cfg" -Y "$RUN" -A "MPATH=\"$MODULES/\"" \
  > "$RUN/kamailio.log" 2>&1 < /dev/null &
echo $! > "$RUN/kamailio.pid"
for _ in $(seq 1 50); do
  if python3 -c '
import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(0.2); s.bind(("127.0.0.1",0))
p=s.getsockname()[1]
s.sendto(("OPTIONS sip:127.0.0.1:5170 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKprobe\r\nMax-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: probe\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n" % p).encode(), ("127.0.0.1",5170))
s.recv(4096)' 2>/dev/null; then
    echo "kamailio on 127.0.0.1:5170 (pid $(cat "$RUN/kamailio.pid"))"; exit 0
  fi
  sleep 0.2
done
echo "kamailio did not answer; see $RUN/kamailio.log" >&2
exit 1
