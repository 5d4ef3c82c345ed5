#!/usr/bin/env bash
# Waits (at most 10 s) until the Kamailio started with pid file PIDFILE answers an OPTIONS on
# 127.0.0.1:PORT/udp, then prints one line and exits 0; exits 1 (pointing at LOG) if it never
# does. Shared by the start.sh of each interop folder that runs Kamailio.
#   usage: kamailio-wait.sh PORT PIDFILE LOG
set -u
port="$1" pidfile="$2" log="$3"
for _ in $(seq 1 50); do
  if python3 - "$port" <<'PY' 2>/dev/null
import socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.2); s.bind(("127.0.0.1", 0))
p = s.getsockname()[1]
s.sendto(("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKprobe\r\n"
          "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\n"
          "Call-ID: probe\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n" % (port, p)).encode(),
         ("127.0.0.1", port))
s.recv(4096)
PY
  then
    echo "kamailio $(kamailio -v | head -1 | cut -d' ' -f3) on 127.0.0.1:$port (pid $(cat "$pidfile"))"; exit 0
  fi
  sleep 0.2
done
echo "kamailio did not answer; see $log" >&2
exit 1
