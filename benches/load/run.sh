#!/usr/bin/env bash
# The presence load: one SIPp scenario (presence.xml: REGISTER, PUBLISH, SUBSCRIBE + NOTIFY,
# PUBLISH with SIP-If-Match + NOTIFY, per user; subscriptions stay active) against
# simple-server and against Kamailio (registrar + presence, interop/server/kamailio.cfg) in
# one run. Each server gets rising rates; the sustained rate is the highest SIPp held with at
# most 1% failed calls (SIPp answers stray NOTIFYs with 200, -aa). Prints both, the ratio, and simple-server's resident memory per
# active subscription.
#   usage: run.sh [--quick] [TARGET_DIR]
#   --quick: one low rate for 2 s against each (what CI runs: correctness, not speed)
#   RATES="..." DURATION=S override the ladder (default 200 250 300, then 400 to 1000 by 100,
#   1250 1500 2000 2500 3000 4000 5000; 10 s each)
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
RUN="$HERE/run"; rm -rf "$RUN"; mkdir -p "$RUN"
if [ "$QUICK" = 1 ]; then RATES="${RATES:-50}"; DURATION="${DURATION:-2}"; else
  RATES="${RATES:-200 250 300 400 500 600 700 800 900 1000 1250 1500 2000 2500 3000 4000 5000}"; DURATION="${DURATION:-10}"; fi
PORT_OURS=5400 PORT_KAM=5410
command -v sipp >/dev/null || { echo "sipp not installed (apt-get install sip-tester)"; exit 2; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# one round: prints "RATE SUCCESSFUL FAILED ACHIEVED"
round() { # name, server address, rate
  local name="$1" addr="$2" rate="$3" calls csv
  calls=$((rate * DURATION))
  csv="$RUN/$name-$rate.csv"
  sipp -sf "$HERE/presence.xml" -set prefix "${name}r${rate}u" -r "$rate" -rp 1000 -m "$calls" \
    -aa -i 127.0.0.1 -p $((PORT_OURS + 20)) -recv_timeout 5000 -timeout $((DURATION + 40))s \
    -nostdin -trace_stat -stf "$csv" -fd 1 "$addr" > "$RUN/$name-$rate.out" 2>&1
  python3 - "$csv" "$rate" <<'PY'
import sys
rows = [l.rstrip("\n").split(";") for l in open(sys.argv[1]) if l.strip()]
h, last = rows[0], rows[-1]
col = lambda n: last[h.index(n)]
ok, failed = int(col("SuccessfulCall(C)")), int(col("FailedCall(C)"))
# the rate calls were completed at: successful calls over the time to the last one
t = col("ElapsedTime(C)").split(":")
secs = int(t[0]) * 3600 + int(t[1]) * 60 + float(t[2]) + (float(t[3]) / 1e6 if len(t) > 3 else 0)
print(sys.argv[2], ok, failed, f"{ok / max(secs, 0.001):.0f}")
PY
}

# the ladder against one server: prints rounds, then "SUSTAINED name rate"
ladder() { # name, address
  local name="$1" addr="$2" best=0 r line ok failed achieved total
  for r in $RATES; do
    line="$(round "$name" "$addr" "$r")"
    read -r _ ok failed achieved <<< "$line"
    total=$((r * DURATION))
    echo "  $name at $r/s: $ok of $total calls completed, $failed failed, $achieved calls/s"
    # held: at most 1% failed and (nearly) every call made
    if [ "$failed" -le $((total / 100)) ] && [ "$ok" -ge $((total * 99 / 100)) ]; then
      best="$r"; CALLS_DONE=$((CALLS_DONE + ok))
    else
      break
    fi
  done
  echo "SUSTAINED $name $best"
}

# ---------- simple-server ----------
"$HERE/server.toml.sh" $PORT_OURS "$RUN/server.db" > "$RUN/server.toml"
"$BIN/simple-server" --config "$RUN/server.toml" --tls off --log warn --stats 1 > "$RUN/server.out" 2> "$RUN/server.log" &
OURS=$!
trap 'kill $OURS 2>/dev/null; KAM_RUN="$RUN/kamailio" "$ROOT/interop/server/stop.sh" >/dev/null 2>&1' EXIT
for _ in $(seq 1 100); do grep -q READY "$RUN/server.out" && break; sleep 0.05; done
grep -q READY "$RUN/server.out" || { echo "simple-server did not start"; cat "$RUN/server.log"; exit 1; }
RSS0=$(rss_kb $OURS)
for _ in $(seq 1 40); do grep -q '^STATS' "$RUN/server.out" && break; sleep 0.05; done
HEAP0=$(grep '^STATS' "$RUN/server.out" | head -1 | sed -n 's/.* heap=\([0-9]*\).*/\1/p')
CALLS_DONE=0
OUT_OURS="$(ladder simple-server 127.0.0.1:$PORT_OURS)"
echo "$OUT_OURS" | grep -v '^SUSTAINED'
# memory: the transactions of a round wait out Timer J (32 s over UDP); once they are gone,
# what is left is the subscriptions, publications and registrations. The server's STATS line
# gives its live heap (a counting allocator), which the allocator's kept pages do not blur.
drain() {
  local i; for i in $(seq 1 90); do
    tail -1 "$RUN/server.out" | grep -q ' transactions=0 ' && return 0; sleep 1
  done; return 1
}
field() { tail -1 "$RUN/server.out" | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }
[ "$QUICK" = 0 ] && drain
RSS1=$(rss_kb $OURS); SUBS1=$(field subscriptions); HEAP1=$(field heap)
LAST_STATS="$(tail -1 "$RUN/server.out")"
OURS_CALLS=$CALLS_DONE
kill -0 $OURS 2>/dev/null || { echo "simple-server died"; exit 1; }

# ---------- Kamailio ----------
KAM_PORT=$PORT_KAM KAM_RUN="$RUN/kamailio" KAM_CHILDREN="${KAM_CHILDREN:-4}" KAM_SHM="${KAM_SHM:-4096}" "$ROOT/interop/server/start.sh" > "$RUN/kamailio-start.log" 2>&1 \
  || { cat "$RUN/kamailio-start.log"; exit 1; }
CALLS_DONE=0
OUT_KAM="$(ladder kamailio 127.0.0.1:$PORT_KAM)"
echo "$OUT_KAM" | grep -v '^SUSTAINED'

OURS_RATE=$(echo "$OUT_OURS" | awk '/^SUSTAINED/ {print $3}')
KAM_RATE=$(echo "$OUT_KAM" | awk '/^SUSTAINED/ {print $3}')
echo "simple-server sustained: $OURS_RATE calls/s (each: 4 requests + 2 NOTIFYs)"
echo "kamailio sustained: $KAM_RATE calls/s"
echo "simple-server after the load: $LAST_STATS"
python3 - "$OURS_RATE" "$KAM_RATE" "$RSS0" "$RSS1" "$SUBS1" "$HEAP0" "$HEAP1" <<'PY'
import sys
ours, kam, rss0, rss1, subs, heap0, heap1 = (int(x or 0) for x in sys.argv[1:])
print(f"ratio simple-server/kamailio: {ours / kam:.2f}x" if kam else "ratio: kamailio held no rate")
print(f"simple-server resident memory: {rss0} KiB at start, {rss1} KiB with {subs} active subscriptions")
if subs:
    print(f"simple-server live heap: {heap0} bytes at start, {heap1} with {subs} active subscriptions: "
          f"{(heap1 - heap0) / subs:.0f} bytes per active subscription (with its user's registration and "
          f"publication; resident: {(rss1 - rss0) * 1024 / subs:.0f})")
PY
[ "$OURS_RATE" -gt 0 ] && [ "$KAM_RATE" -gt 0 ]
