#!/usr/bin/env bash
# The bounded soak: presence load running against simple-server (the SIPp scenario of
# presence.xml), `kill -9` of the server in the middle of it, a restart on the same store,
# and the checks:
#   - nothing acknowledged was lost: every call SIPp completed left its publication and its
#     subscription in the store (the server stores before it answers);
#   - every watcher gets the current state: after the restart each stored subscription gets
#     a NOTIFY, in its dialog with the next CSeq, carrying its presentity's stored state;
#   - the restarted server takes the load again.
# The watchers' side after the kill is a small UDP listener on SIPp's port that answers and
# records every NOTIFY. Every wait is for a line or a count, bounded.
#   usage: soak.sh [--quick] [TARGET_DIR]     (--quick: what CI runs, 400 users at 50/s)
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
QUICK=0
if [ "${1:-}" = "--quick" ]; then QUICK=1; shift; fi
BIN="${1:-}"
if [ -z "$BIN" ]; then
  (cd "$ROOT" && cargo build -q --release -p simple-server) || exit 1
  BIN="$ROOT/target/release"
fi
if [ "$QUICK" = 1 ]; then RATE=50 CALLS=400; else RATE="${RATE:-400}" CALLS="${CALLS:-20000}"; fi
KILL_AT=$((CALLS / 2))   # subscriptions served when the server is killed
PORT=5430 SIPP_PORT=5431
RUN="$HERE/run-soak"; rm -rf "$RUN"; mkdir -p "$RUN"
command -v sipp >/dev/null || { echo "sipp not installed (apt-get install sip-tester)"; exit 2; }
"$HERE/server.toml.sh" $PORT "$RUN/server.db" > "$RUN/server.toml"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done' EXIT
start() { # log name
  "$BIN/simple-server" --config "$RUN/server.toml" --tls off --log info --stats 0.2 > "$RUN/$1.out" 2> "$RUN/$1.log" &
  SERVER=$!; PIDS+=($SERVER)
  for _ in $(seq 1 200); do grep -q READY "$RUN/$1.out" && return 0; sleep 0.05; done
  echo "simple-server did not start"; cat "$RUN/$1.log"; exit 1
}
subs_now() { tail -1 "$RUN/$1.out" | sed -n 's/.* subscriptions=\([0-9]*\) .*/\1/p'; }

start first
sipp -sf "$HERE/presence.xml" -set prefix soak -r "$RATE" -rp 1000 -m "$CALLS" -aa -i 127.0.0.1 -p $SIPP_PORT \
  -recv_timeout 3000 -timeout 600s -nostdin -trace_stat -stf "$RUN/sipp.csv" -fd 1 127.0.0.1:$PORT > "$RUN/sipp.out" 2>&1 &
SIPP=$!; PIDS+=($SIPP)
# kill -9 once half the users are served, the load still running
for _ in $(seq 1 $((CALLS / RATE * 20 + 600))); do
  [ "$(subs_now first || echo 0)" -ge "$KILL_AT" ] 2>/dev/null && break; sleep 0.05
done
kill -9 $SERVER; wait $SERVER 2>/dev/null
echo "killed simple-server (kill -9) with $(subs_now first) subscriptions served, load running"
# the load stops; what SIPp completed was acknowledged by the server before the kill
kill -USR1 $SIPP 2>/dev/null; sleep 0.5; kill -9 $SIPP 2>/dev/null; wait $SIPP 2>/dev/null
DONE=$(python3 - "$RUN/sipp.csv" <<'PY'
import sys
rows = [l.rstrip("\n").split(";") for l in open(sys.argv[1]) if l.strip()]
print(rows[-1][rows[0].index("SuccessfulCall(C)")] if len(rows) > 1 else 0)
PY
)
# what the store holds, and what each watcher must be told
python3 - "$RUN/server.db" > "$RUN/expected.txt" <<'PY'
import sqlite3, sys, re
db = sqlite3.connect(sys.argv[1])
state = {}
for resource, body in db.execute("select resource, body from publications"):
    m = re.search(rb"<basic>(\w+)</basic>", body)
    state[resource] = m.group(1).decode() if m else "-"
for call_id, seq, resource in db.execute("select call_id, local_seq, resource from subscriptions where event = 'presence'"):
    print(call_id, seq + 1, state.get(resource, "none"))
PY
STORED=$(wc -l < "$RUN/expected.txt")
PUBS=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from publications').fetchone()[0])" "$RUN/server.db")
echo "SIPp completed $DONE calls before the kill; the store holds $STORED subscriptions and $PUBS publications"

# the watchers (SIPp's address) answer and record each NOTIFY
python3 - "$SIPP_PORT" "$RUN/notified.txt" <<'PY' &
import re, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
out = open(sys.argv[2], "w", buffering=1)
while True:
    d, a = s.recvfrom(65535)
    t = d.decode(errors="replace")
    if not t.startswith("NOTIFY"):
        continue
    head, _, body = t.partition("\r\n\r\n")
    lines = head.split("\r\n")
    get = lambda n: next((l.split(":", 1)[1].strip() for l in lines if l.lower().startswith(n.lower() + ":")), "")
    keep = [l for l in lines if re.match(r"(?i)(via|from|to|call-id|cseq):", l)]
    s.sendto(("SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n").encode(), a)
    m = re.search(r"<basic>(\w+)</basic>", body)
    out.write(f"{get('Call-ID')} {get('CSeq').split()[0]} {m.group(1) if m else '-'} {get('Subscription-State')}\n")
PY
LISTENER=$!; PIDS+=($LISTENER)
start second
for _ in $(seq 1 100); do grep -q 'restored ' "$RUN/second.log" && break; sleep 0.05; done
echo "restarted: $(grep -o 'restored .*' "$RUN/second.log" | head -1 | sed 's/\x1b\[[0-9;]*m//g')"
# wait until every stored subscription was notified (bounded: the server serves them again at
# 2000 a second, and a NOTIFY may be retransmitted)
for _ in $(seq 1 $(( (STORED / 2000 + 40) * 20 ))); do
  [ "$(sort -u -k1,1 "$RUN/notified.txt" 2>/dev/null | wc -l)" -ge "$STORED" ] && break; sleep 0.05
done
python3 - "$RUN/expected.txt" "$RUN/notified.txt" "$DONE" "$PUBS" <<'PY'
import sys
expected = {l.split()[0]: l.split()[1:] for l in open(sys.argv[1]) if l.strip()}
got = {}
for l in open(sys.argv[2]):
    p = l.split()
    got.setdefault(p[0], p[1:])          # the first NOTIFY after the restart
done, pubs = int(sys.argv[3]), int(sys.argv[4])
lost = len(expected) < done or pubs < done
missing = [c for c in expected if c not in got]
wrong_seq = [c for c in expected if c in got and got[c][0] != expected[c][0]]
wrong_state = [c for c in expected if c in got and got[c][1] != expected[c][1]]
print(f"after the restart: {len(got)} of {len(expected)} stored subscriptions notified; "
      f"{len(wrong_seq)} with a CSeq other than the next, {len(wrong_state)} with a state other than the stored one")
print("nothing acknowledged was lost" if not lost else f"LOST: {done} calls completed, {len(expected)} subscriptions and {pubs} publications stored")
ok = not lost and not missing and not wrong_seq and not wrong_state and len(expected) > 0
print("SOAK " + ("PASSED" if ok else "FAILED"))
sys.exit(0 if ok else 1)
PY
RESULT=$?
kill $LISTENER 2>/dev/null; wait $LISTENER 2>/dev/null
# the restarted server takes load again
sipp -sf "$HERE/presence.xml" -set prefix again -r "$RATE" -rp 1000 -m $((RATE * 2)) -aa -i 127.0.0.1 -p $SIPP_PORT \
  -recv_timeout 3000 -timeout 120s -nostdin 127.0.0.1:$PORT > "$RUN/sipp-again.out" 2>&1
AGAIN=$?
echo "load after the restart: $([ $AGAIN = 0 ] && echo "all $((RATE * 2)) calls completed" || echo "failed calls (sipp exit $AGAIN)")"
[ "$RESULT" = 0 ] && [ "$AGAIN" = 0 ]
