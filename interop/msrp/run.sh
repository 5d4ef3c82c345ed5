#!/usr/bin/env bash
# MSRP with real relays on loopback (see README.md), every step waiting on the line it needs:
#   - Kamailio's msrp module as the relay (start.sh here): simple-cli's relay client AUTHs
#     with digest, gets a Use-Path, and a chat and a 5 MB file from another simple-cli reach
#     it through Kamailio's SEND relaying;
#   - simple-server's own relay: a chat both ways with delivery reports, a wrong password
#     refused, and a 100 MB file between two simple-cli users with one cut and resume (the
#     receiver pulls the rest with a file-range; the SHA-1 of the whole file is checked).
#   usage: run.sh [TARGET_DIR]   (holding simple-server and simple-cli; else built with cargo)
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RUN="$HERE/run"
rm -rf "$RUN"; mkdir -p "$RUN"
BIN="${1:-}"
if [ -z "$BIN" ]; then
  (cd "$ROOT" && cargo build -q -p simple-server) || exit 1
  BIN="$ROOT/target/debug"
fi
SERVER=127.0.0.1:5370
RELAY="msrp://127.0.0.1:5372;tcp"
KAM_RELAY="msrp://127.0.0.1:2955;tcp"
SIZE_MB="${MSRP_FILE_MB:-100}"
WAIT_DEFAULT=20
# shellcheck source=../lib.sh
. "$HERE/../lib.sh"
PIDS=()
cleanup() {
  "$HERE/../stop-pids.sh" "${PIDS[@]}"
  "$HERE/stop.sh" >/dev/null 2>&1
}
trap cleanup EXIT
as() { local u="$1"; shift; "$BIN/simple-cli" --server "$SERVER" --user "$u" --password "$u-secret" "$@"; }

cat > "$RUN/server.toml" <<TOML
domain = "127.0.0.1"
[listen]
udp = "$SERVER"
tcp = "$SERVER"
tls = "127.0.0.1:5371"
[store]
path = "$RUN/server.db"
[msrp]
listen = "127.0.0.1:5372"
TOML
for u in alice bob carol; do printf '[[users]]\nname = "%s"\npassword = "%s-secret"\n' "$u" "$u" >> "$RUN/server.toml"; done
"$BIN/simple-server" --config "$RUN/server.toml" > "$RUN/server.out" 2> "$RUN/server.log" & PIDS+=($!)
check "simple-server is up with its MSRP relay" wait_for "$RUN/server.out" '^READY .*msrp=127.0.0.1:5372'

# ---------- Kamailio's MSRP relay ----------
if "$HERE/start.sh" > "$RUN/kamailio.start" 2>&1; then
  as bob --relay-password msrp-secret chat --relay "$KAM_RELAY" --wait 5 > "$RUN/kbob.out" 2> "$RUN/kbob.err" & PIDS+=($!)
  check "Kamailio relay: AUTH with digest gives bob a Use-Path" \
    wait_for "$RUN/kbob.out" '^relay authorized us: Use-Path msrp://127.0.0.1:2955/[^ ]+;tcp'
  check "bob waits for a chat (registered)" wait_for "$RUN/server.log" 'bob'
  as alice chat bob --text "hello bob via kamailio" --text "and a second line" --wait 3 > "$RUN/kalice.out" 2> "$RUN/kalice.err"
  check "Kamailio relay: SEND relayed to bob (both lines)" \
    bash -c "grep -q 'alice@127.0.0.1: hello bob via kamailio' '$RUN/kbob.out' && grep -q 'alice@127.0.0.1: and a second line' '$RUN/kbob.out'"
  check "Kamailio relay: each SEND got the relay's hop-by-hop 200" wait_count "$RUN/kalice.out" '^sent ' 2
  # a file through Kamailio: 8 KiB chunks (it reads each frame whole into a 64 KiB buffer)
  head -c 5000000 /dev/urandom > "$RUN/k.bin"; mkdir -p "$RUN/krecv"
  as bob --relay-password msrp-secret --msrp-chunk 8 receive-file --dir "$RUN/krecv" --relay "$KAM_RELAY" --for 60 \
    > "$RUN/kfile-bob.out" 2> "$RUN/kfile-bob.err" & PIDS+=($!)
  wait_for "$RUN/kfile-bob.out" '^waiting for files' >/dev/null
  as alice --msrp-chunk 8 send-file bob "$RUN/k.bin" > "$RUN/kfile-alice.out" 2> "$RUN/kfile-alice.err"
  check "Kamailio relay: a 5 MB file to bob, SHA-1 ok" wait_for "$RUN/kfile-bob.out" '^received k.bin \(5000000 bytes\).*sha-1 ok'
  check "Kamailio relay: the file is the same" cmp -s "$RUN/k.bin" "$RUN/krecv/k.bin"
else
  echo "  Kamailio checks skipped: $(tail -1 "$RUN/kamailio.start")"
fi

# ---------- our relay ----------
as carol chat --relay "$RELAY" --wait 4 > "$RUN/carol.out" 2> "$RUN/carol.err" & PIDS+=($!)
check "our relay: carol authorized" wait_for "$RUN/carol.out" '^relay authorized us: Use-Path msrp://127.0.0.1:5372/'
as alice chat carol --relay "$RELAY" --text "hi carol" --wait 0 > "$RUN/alice-carol.out" 2> "$RUN/alice-carol.err"
check "our relay: carol got alice's line (both behind the relay)" wait_for "$RUN/carol.out" 'alice@127.0.0.1: hi carol'
check "our relay: alice got the end-to-end success REPORT" wait_for "$RUN/alice-carol.out" '^delivered '
"$BIN/simple-cli" --server "$SERVER" --user alice --password alice-secret --relay-password wrong \
  chat carol --relay "$RELAY" --text x --wait 0 > "$RUN/wrong.out" 2> "$RUN/wrong.err"
check "our relay: a wrong password is refused" grep -Eq 'refused us \(Some\((401|403)\)\)' "$RUN/wrong.err"

head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom > "$RUN/big.bin"
mkdir -p "$RUN/recv"
as bob receive-file --dir "$RUN/recv" --relay "$RELAY" --cut-after "$((SIZE_MB * 1024 * 1024 * 2 / 5))" --for 300 \
  > "$RUN/recv.out" 2> "$RUN/recv.err" & PIDS+=($!)
check "bob waits for files" wait_for "$RUN/recv.out" '^waiting for files'
as alice send-file bob "$RUN/big.bin" --relay "$RELAY" --serve 120 > "$RUN/send.out" 2> "$RUN/send.err" & PIDS+=($!)
check "the transfer is cut once" wait_for "$RUN/recv.out" '^transfer broke at [0-9]+ of' 120
check "the receiver pulls the rest with a file-range" wait_for "$RUN/send.out" '^resuming from byte [0-9]+' 60
check "${SIZE_MB} MB received, SHA-1 of the whole file ok" wait_for "$RUN/recv.out" "^received big.bin \\($((SIZE_MB * 1024 * 1024)) bytes\\).*sha-1 ok" 240
check "the file is the same" cmp -s "$RUN/big.bin" "$RUN/recv/big.bin"
check "the sender says it sent the rest" wait_for "$RUN/send.out" '^sent .*big.bin \(bytes [0-9]+-'
rm -f "$RUN/big.bin" "$RUN/recv/big.bin"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
