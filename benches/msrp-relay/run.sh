#!/usr/bin/env bash
# Relay forwarding throughput on loopback, simple-server's MSRP relay against Kamailio's msrp
# module (interop/msrp/start.sh) in one run, the same load (benches/examples/msrp_relay_load:
# one receiver AUTHed to the relay, one sender pushing SIZE MiB toward it in CHUNK KiB SENDs).
# Rounds alternate between the two; prints each rate, the medians and their ratio, and
# simple-server's resident memory sampled while 1 GiB passes through it.
#   usage: run.sh [TARGET_DIR]    ROUNDS=5 SIZE_MIB=512 CHUNK_KIB=8 (Kamailio reads a whole
#   frame into its 64 KiB TCP buffer: 16 KiB chunks overrun it under load)
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${1:-}"
if [ -z "$BIN" ]; then
  (cd "$ROOT" && cargo build -q --release -p simple-server && cargo build -q --release -p simple-benches --example msrp_relay_load) || exit 1
  BIN="$ROOT/target/release"
fi
LOAD="$BIN/examples/msrp_relay_load"
ROUNDS="${ROUNDS:-5}" SIZE="${SIZE_MIB:-512}"
export CHUNK_KIB="${CHUNK_KIB:-8}"
RUN="$HERE/run"; rm -rf "$RUN"; mkdir -p "$RUN"
cat > "$RUN/server.toml" <<TOML
domain = "127.0.0.1"
[listen]
udp = "127.0.0.1:5380"
tcp = "127.0.0.1:5380"
[store]
path = ":memory:"
[msrp]
listen = "127.0.0.1:5382"
[[users]]
name = "bob"
password = "bob-secret"
TOML
"$BIN/simple-server" --config "$RUN/server.toml" --tls off > "$RUN/server.out" 2> "$RUN/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; "$ROOT/interop/msrp/stop.sh" >/dev/null 2>&1' EXIT
for _ in $(seq 1 100); do grep -q '^READY' "$RUN/server.out" 2>/dev/null && break; sleep 0.05; done
"$ROOT/interop/msrp/start.sh" > "$RUN/kamailio.start" 2>&1 || { cat "$RUN/kamailio.start"; exit 2; }
rate() { "$LOAD" "$1" bob "$2" "$SIZE" | sed -n 's/.*: \([0-9.]*\) MiB\/s/\1/p'; }
ours=() kam=()
for r in $(seq 1 "$ROUNDS"); do
  o=$(rate 127.0.0.1:5382 bob-secret); k=$(rate 127.0.0.1:2955 msrp-secret)
  echo "round $r: simple-server ${o:-failed} MiB/s, Kamailio ${k:-failed} MiB/s (${SIZE} MiB in ${CHUNK_KIB} KiB chunks)"
  # a round a relay failed (Kamailio sometimes drops the sender: "buffer overrun") is counted
  # apart, not as a rate
  if [ -n "$o" ]; then ours+=("$o"); else of=$((${of:-0} + 1)); fi
  if [ -n "$k" ]; then kam+=("$k"); else kf=$((${kf:-0} + 1)); fi
done
echo "failed rounds: simple-server ${of:-0}, Kamailio ${kf:-0}"
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : 0)}'; }
mo=$(median "${ours[@]}"); mk=$(median "${kam[@]}")
echo "median: simple-server $mo MiB/s, Kamailio $mk MiB/s, ratio $(awk -v a="$mo" -v b="$mk" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')x"
# resident memory while 1 GiB passes
rss() { awk '/VmRSS/ {print $2}' "/proc/$SERVER/status"; }
before=$(rss); max=$before
"$LOAD" 127.0.0.1:5382 bob bob-secret 1024 > "$RUN/gib.out" &
LP=$!
while kill -0 $LP 2>/dev/null; do now=$(rss); [ "$now" -gt "$max" ] && max=$now; sleep 0.1; done
echo "1 GiB through simple-server's relay: $(cat "$RUN/gib.out" | sed 's/^RELAYED //'); resident memory ${before} kB before, at most ${max} kB during"
