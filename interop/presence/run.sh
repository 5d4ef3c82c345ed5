#!/usr/bin/env bash
# simple-sip's presence roles against real peers on loopback (see README.md):
#   Kamailio's presence server (127.0.0.1:5180): our Publisher and Subscriber, and winfo;
#   our presence agent (`sip_presence serve`, 127.0.0.1:5185): PJSIP (pjsua2) and baresip
#   publishing to it and watching through it, our own watcher and publisher, and watcher
#   approval.
# Every step waits for the line it needs (bounded), never for a fixed time.
#   usage: run.sh [PATH/TO/sip_presence]   (else built with cargo)
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RUN="$HERE/run"
mkdir -p "$RUN"
BIN="${1:-}"
if [ -z "$BIN" ]; then
  (cd "$ROOT" && cargo build -q -p simple-sip --example sip_presence) || exit 1
  BIN="$ROOT/target/debug/examples/sip_presence"
fi
WAIT_DEFAULT=10
# shellcheck source=../lib.sh
. "$HERE/../lib.sh"
PIDS=()
cleanup() {
  "$HERE/../stop-pids.sh" "${PIDS[@]}"
  "$HERE/stop.sh" >/dev/null 2>&1
  exec 3>&- 2>/dev/null
}
trap cleanup EXIT

# ---------- Kamailio ----------
"$HERE/start.sh" || exit 1
KAM=127.0.0.1:5180
rm -f "$RUN"/*.log
"$BIN" watch --bind 127.0.0.1:5187 --to $KAM --uri sip:alice@127.0.0.1 --from sip:bob@127.0.0.1 --count 3 --for 15 \
  > "$RUN/k-watch.log" 2>&1 & PIDS+=($!)
check "kamailio: our SUBSCRIBE accepted" wait_for "$RUN/k-watch.log" '^ACCEPTED'
"$BIN" watch --bind 127.0.0.1:5188 --to $KAM --uri sip:alice@127.0.0.1 --from sip:alice@127.0.0.1 --winfo --count 2 --for 15 \
  > "$RUN/k-winfo.log" 2>&1 & PIDS+=($!)
check "kamailio: our presence.winfo SUBSCRIBE gets a watcherinfo document listing bob" \
  wait_for "$RUN/k-winfo.log" '^WINFO .*sip:bob@127.0.0.1=active'
"$BIN" publish --bind 127.0.0.1:5186 --to $KAM --uri sip:alice@127.0.0.1 --status open --note "from simple-sip" \
  --then closed --remove --for 6 > "$RUN/k-publish.log" 2>&1 & PIDS+=($!)
check "kamailio: our PUBLISH accepted with an entity tag" wait_for "$RUN/k-publish.log" '^PUBLISHED [^ ]+ [0-9]+'
check "kamailio: our watcher reads our open tuple and note from the NOTIFY" \
  wait_for "$RUN/k-watch.log" '^NOTIFY active sip-presence=open note=from simple-sip'
check "kamailio: the modification (SIP-If-Match) is accepted with a new entity tag" \
  wait_count "$RUN/k-publish.log" '^PUBLISHED' 2
check "kamailio: the removal (Expires: 0) is accepted" wait_for "$RUN/k-publish.log" '^REMOVED' 12
check "kamailio: the two entity tags differ" \
  test "$(grep '^PUBLISHED' "$RUN/k-publish.log" | cut -d' ' -f2 | sort -u | wc -l)" -ge 2
check "kamailio: our watcher sees the change to closed" wait_for "$RUN/k-watch.log" '^NOTIFY active sip-presence=closed'
check "kamailio: our unsubscribe ends with a terminating NOTIFY" wait_for "$RUN/k-watch.log" '^TERMINATED Unsubscribed' 15
check "kamailio: winfo subscription ends cleanly" wait_for "$RUN/k-winfo.log" '^TERMINATED Unsubscribed' 15
"$HERE/stop.sh" >/dev/null 2>&1

# ---------- our presence agent ----------
AGENT=127.0.0.1:5185
rm -f "$RUN/ctl"; mkfifo "$RUN/ctl"
"$BIN" serve --bind $AGENT --pending --for 90 < "$RUN/ctl" > "$RUN/a-serve.log" 2>&1 & PIDS+=($!)
exec 3>"$RUN/ctl"
check "agent: serving" wait_for "$RUN/a-serve.log" '^SERVING'

# our watcher is pending until approved, then gets the state
"$BIN" publish --bind 127.0.0.1:5186 --to $AGENT --uri sip:alice@127.0.0.1 --status open --note "approved state" \
  --for 25 > "$RUN/a-publish.log" 2>&1 & PIDS+=($!)
check "agent: our PUBLISH accepted" wait_for "$RUN/a-publish.log" '^PUBLISHED'
"$BIN" watch --bind 127.0.0.1:5187 --to $AGENT --uri sip:alice@127.0.0.1 --from sip:bob@127.0.0.1 --count 2 --for 10 \
  > "$RUN/a-watch.log" 2>&1 & PIDS+=($!)
check "agent: a new watcher is pending (no state)" wait_for "$RUN/a-watch.log" '^NOTIFY pending$'
echo "approve sip:alice@127.0.0.1 sip:bob@127.0.0.1" >&3
check "agent: approved, the watcher gets the state at once" \
  wait_for "$RUN/a-watch.log" '^NOTIFY active sip-presence=open note=approved state'
check "agent: the watcher leaves cleanly" wait_for "$RUN/a-watch.log" '^TERMINATED Unsubscribed' 15

# PJSIP: a publisher and a watcher through our agent
if pjsua_python; then
  PJ="$HERE/../pidf-kamailio/pjsip_ua.py"
  echo "approve sip:pj@127.0.0.1 sip:pjw@127.0.0.1" >&3
  echo "approve sip:pj@127.0.0.1 sip:carol@127.0.0.1" >&3
  echo "approve sip:alice@127.0.0.1 sip:pjw@127.0.0.1" >&3
  check "agent: approvals taken" wait_for "$RUN/a-serve.log" '^APPROVED sip:alice@127.0.0.1 sip:pjw'
  "$PY" "$PJ" --port 5191 --aor sip:pj@127.0.0.1:5185 --publish --note "in a meeting" --busy --duration 12 \
    > "$RUN/pj-publish.log" 2>&1 & PIDS+=($!)
  check "agent: PJSIP's PUBLISH accepted" wait_for "$RUN/a-serve.log" 'PUBLICATION Changed \{ resource: "sip:pj@127.0.0.1" \}' 15
  "$PY" "$PJ" --port 5192 --aor sip:pjw@127.0.0.1:5185 --watch sip:pj@127.0.0.1:5185 --duration 4 \
    > "$RUN/pj-watch.log" 2>&1 & PIDS+=($!)
  check "agent: PJSIP watching PJSIP through us reads online, its note and busy" \
    wait_for "$RUN/pj-watch.log" '"sub_state": "ACTIVE", "status": 1, "status_text": "in a meeting", "note": "in a meeting", "activity": 2' 15
  "$BIN" watch --bind 127.0.0.1:5189 --to $AGENT --uri sip:pj@127.0.0.1 --from sip:carol@127.0.0.1 --count 1 --for 8 \
    > "$RUN/a-watch-pj.log" 2>&1 & PIDS+=($!)
  check "agent: our watcher reads PJSIP's publication (its tuple, its note)" \
    wait_for "$RUN/a-watch-pj.log" '^NOTIFY active .*=open note=in a meeting'
  "$PY" "$PJ" --port 5193 --aor sip:pjw@127.0.0.1:5185 --watch sip:alice@127.0.0.1:5185 --duration 4 \
    > "$RUN/pj-watch-alice.log" 2>&1 & PIDS+=($!)
  check "agent: PJSIP watching our publication reads online and our note" \
    wait_for "$RUN/pj-watch-alice.log" '"sub_state": "ACTIVE", "status": 1, .*"note": "approved state"' 15
  check "agent: PJSIP's unsubscribe reaches us" wait_for "$RUN/a-serve.log" 'watcher: "sip:pjw@127.0.0.1", reason: Unsubscribed' 15
else
  echo "pjsua2 not available (pip install pjsua2-python): PJSIP checks skipped"
  # where Kamailio is required (CI), PJSIP is too
  [ -n "${SIMPLE_RS_REQUIRE_KAMAILIO:-}" ] && FAIL=$((FAIL + 1))
fi
# baresip: a registered UA publishing to our agent and watching through it
if command -v baresip >/dev/null; then
  BS="$RUN/baresip"; rm -rf "$BS"; mkdir -p "$BS"
  baresip_config "$BS" 5195 4446
  echo '<sip:bb@127.0.0.1>;outbound="sip:127.0.0.1:5185";regint=600;pubint=60;answermode=manual' > "$BS/accounts"
  echo '<sip:alice@127.0.0.1>;presence=p2p' > "$BS/contacts"
  echo "approve sip:bb@127.0.0.1 sip:dave@127.0.0.1" >&3
  echo "approve sip:alice@127.0.0.1 sip:bb@127.0.0.1" >&3
  check "agent: approvals for baresip taken" wait_for "$RUN/a-serve.log" '^APPROVED sip:alice@127.0.0.1 sip:bb'
  baresip -f "$BS" < /dev/null > "$BS/baresip.log" 2>&1 & PIDS+=($!)
  # baresip's control socket: one JSON netstring command, the reply's data printed
  ctl() { python3 "$HERE/../baresip-ctl.py" 4446 "$1"; }
  check "baresip: registers with the agent" wait_for "$RUN/a-serve.log" '^REGISTERED 127.0.0.1:5195' 15
  check "baresip: its PUBLISH is accepted" wait_for "$RUN/a-serve.log" 'PUBLICATION Changed \{ resource: "sip:bb@127.0.0.1" \}' 15
  check "baresip: its SUBSCRIBE to alice is served" wait_for "$RUN/a-serve.log" 'resource: "sip:alice@127.0.0.1", watcher: "sip:bb@127.0.0.1"' 15
  for _ in $(seq 1 40); do ctl /contacts > "$BS/contacts.out" 2>&1; grep -q "Online" "$BS/contacts.out" && break; sleep 0.1; done
  check "baresip: reads alice online from our NOTIFY" grep -q "Online.*sip:alice@127.0.0.1" "$BS/contacts.out"
  "$BIN" watch --bind 127.0.0.1:5189 --to $AGENT --uri sip:bb@127.0.0.1 --from sip:dave@127.0.0.1 --count 2 --for 10 \
    > "$RUN/a-watch-bs.log" 2>&1 & PIDS+=($!)
  check "agent: our watcher reads baresip's publication (open)" wait_for "$RUN/a-watch-bs.log" '^NOTIFY active .*=open'
  ctl /presence_offline > "$BS/offline.out" 2>&1
  check "agent: baresip's /presence_offline reaches our watcher (closed)" wait_for "$RUN/a-watch-bs.log" '^NOTIFY active .*=closed' 15
else
  echo "baresip not installed (apt-get install baresip-core): baresip checks skipped"
  [ -n "${SIMPLE_RS_REQUIRE_BARESIP:-}" ] && FAIL=$((FAIL + 1))
fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
