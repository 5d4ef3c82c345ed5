#!/usr/bin/env bash
# Several nodes: the presence load of benches/load (presence.xml: REGISTER, PUBLISH,
# SUBSCRIBE + NOTIFY, PUBLISH with SIP-If-Match + NOTIFY per user) against
#   1. one node on the embedded SQLite store (the reference),
#   2. one node on PostgreSQL,
#   3. two nodes on one PostgreSQL, one SIPp on each (half the rate each),
# in one run, on this machine. Each gets rising total rates; the sustained rate is the
# highest at which every SIPp completed at least 99% of its calls with at most 1% failed.
# Prints the three, and the database's work per call (transactions, rows, announcements,
# from pg_stat_database and pg_stat_user_tables) for the two-node run.
#   usage: run.sh [TARGET_DIR]
#   RATES="..." DURATION=S override the ladder (default 200 300 400 ... 1500 2000; 10 s each)
#   The PostgreSQL: SIMPLE_RS_POSTGRES, else interop/postgres/start.sh starts one.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${1:-}"
if [ -z "$BIN" ]; then
  (cd "$ROOT" && cargo build -q --release -p simple-server) || exit 1
  BIN="$ROOT/target/release"
fi
RUN="$HERE/run"; rm -rf "$RUN"; mkdir -p "$RUN"
RATES="${RATES:-200 300 400 500 600 800 1000 1250 1500 2000}"; DURATION="${DURATION:-10}"
command -v sipp >/dev/null || { echo "sipp not installed (apt-get install sip-tester)"; exit 2; }
PG="${SIMPLE_RS_POSTGRES:-$("$ROOT/interop/postgres/start.sh")}" || { echo "no PostgreSQL"; exit 2; }
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

fresh_db() { # name
  psql "$PG" -XAtq -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null 2>&1
  psql "$PG" -XAtq -c "CREATE DATABASE $1" >/dev/null
}

start_node() { # name port [postgres url]
  local name="$1" port="$2" url="${3:-}"
  "$ROOT/benches/load/server.toml.sh" "$port" "$RUN/$name.db" > "$RUN/$name.toml"
  if [ -n "$url" ]; then
    sed -i "s|^\[store\]|[store]\npostgres = \"$url\"|" "$RUN/$name.toml"
    printf '[cluster]\nnode = "%s"\n' "$name" >> "$RUN/$name.toml"
  fi
  "$BIN/simple-server" --config "$RUN/$name.toml" --tls off --log warn > "$RUN/$name.out" 2> "$RUN/$name.log" &
  PIDS+=($!)
  for _ in $(seq 1 200); do grep -q READY "$RUN/$name.out" && return 0; sleep 0.05; done
  echo "$name did not start"; cat "$RUN/$name.log"; exit 1
}

stop_nodes() { cleanup; wait 2>/dev/null; PIDS=(); }

# one SIPp round: prints "SUCCESSFUL FAILED"
sipp_round() { # tag server-address rate local-port
  local tag="$1" addr="$2" rate="$3" lport="$4" csv="$RUN/$1.csv"
  sipp -sf "$ROOT/benches/load/presence.xml" -set prefix "${tag}u" -r "$rate" -rp 1000 -m $((rate * DURATION)) \
    -aa -i 127.0.0.1 -p "$lport" -recv_timeout 5000 -timeout $((DURATION + 40))s \
    -nostdin -trace_stat -stf "$csv" -fd 1 "$addr" > "$RUN/$tag.out" 2>&1
  python3 - "$csv" <<'PY'
import sys
rows = [l.rstrip("\n").split(";") for l in open(sys.argv[1]) if l.strip()]
h, last = rows[0], rows[-1]
print(int(last[h.index("SuccessfulCall(C)")]), int(last[h.index("FailedCall(C)")]))
PY
}

held() { # ok failed total
  [ "$2" -le $(($3 / 100)) ] && [ "$1" -ge $(($3 * 99 / 100)) ]
}

# the ladder: one SIPp per address, the total rate shared out; prints rounds, then "SUSTAINED"
ladder() { # name address...
  local name="$1"; shift
  local n=$# best=0 r
  for r in $RATES; do
    local each=$((r / n)) i=0 ok_all=1 line=""
    local -a pids=() tags=()
    for addr in "$@"; do
      local tag="$name-r$r-$i"
      tags+=("$tag")
      ( sipp_round "$tag" "$addr" "$each" $((5500 + i)) > "$RUN/$tag.result" ) &
      pids+=($!); i=$((i + 1))
    done
    wait "${pids[@]}"
    for t in "${tags[@]}"; do
      read -r ok failed < "$RUN/$t.result"
      line="$line $ok/$((each * DURATION)) ok, $failed failed;"
      held "$ok" "$failed" $((each * DURATION)) || ok_all=0
    done
    echo "  $name at $r/s total:$line"
    [ "$ok_all" = 1 ] || break
    best="$r"
  done
  echo "SUSTAINED $name $best"
}

stat_db() { # url: "xacts rows_written"
  psql "$1" -XAtq -F' ' -c "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
    (SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables)"
}

echo "== one node, SQLite"
start_node sqlite 5450
OUT1="$(ladder sqlite 127.0.0.1:5450)"; echo "$OUT1" | grep -v '^SUSTAINED'
stop_nodes

echo "== one node, PostgreSQL"
fresh_db simple_bench_one
start_node one 5452 "$PG dbname=simple_bench_one"
OUT2="$(ladder pg1 127.0.0.1:5452)"; echo "$OUT2" | grep -v '^SUSTAINED'
stop_nodes

echo "== two nodes, one PostgreSQL"
fresh_db simple_bench_two
URL="$PG dbname=simple_bench_two"
start_node a 5454 "$URL"; start_node b 5456 "$URL"
read -r X0 W0 <<< "$(stat_db "$URL")"
OUT3="$(ladder pg2 127.0.0.1:5454 127.0.0.1:5456)"; echo "$OUT3" | grep -v '^SUSTAINED'
read -r X1 W1 <<< "$(stat_db "$URL")"
CALLS=$(cat "$RUN"/pg2-*.result | awk '{s += $1} END {print s + 0}')
stop_nodes

S1=$(echo "$OUT1" | awk '/^SUSTAINED/ {print $3}')
S2=$(echo "$OUT2" | awk '/^SUSTAINED/ {print $3}')
S3=$(echo "$OUT3" | awk '/^SUSTAINED/ {print $3}')
echo "sustained (calls/s; each call: 4 requests + 2 NOTIFYs):"
echo "  one node, SQLite:          $S1"
echo "  one node, PostgreSQL:      $S2"
echo "  two nodes, one PostgreSQL: $S3"
python3 - "$X0" "$X1" "$W0" "$W1" "$CALLS" <<'PY'
import sys
x0, x1, w0, w1, calls = (int(v or 0) for v in sys.argv[1:])
if calls:
    print(f"two nodes, database work per call: {(x1 - x0) / calls:.2f} transactions, "
          f"{(w1 - w0) / calls:.2f} rows written (over {calls} calls)")
PY
[ "${S1:-0}" -gt 0 ] && [ "${S2:-0}" -gt 0 ] && [ "${S3:-0}" -gt 0 ]
