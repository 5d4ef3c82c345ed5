#!/usr/bin/env bash
# The reference server with real clients on loopback (see README.md):
#   simple-server (127.0.0.1:5300, its own store in ./run) with PJSIP (pjsua2), baresip and
#   linphonec registered: each publishes, watches the others (watchers approved by their
#   presentities with `simple-cli watchers --approve`) and sends a MESSAGE through it;
#   simple-cli reads each one's presence;
#   simple-cli against Kamailio (127.0.0.1:5310): register, publish, watch, message, watchers.
# Every step waits for the line it needs (bounded), never for a fixed time.
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
SERVER=127.0.0.1:5300
WAIT_DEFAULT=15
# shellcheck source=../lib.sh
. "$HERE/../lib.sh"
PIDS=()
cleanup() {
  "$HERE/../stop-pids.sh" "${PIDS[@]}"
  "$HERE/stop.sh" >/dev/null 2>&1
}
trap cleanup EXIT
cli() { "$BIN/simple-cli" --server "$SERVER" "$@"; }
as() { local u="$1"; shift; cli --user "$u" --password "$u-secret" "$@"; }

# ---------- simple-server ----------
cat > "$RUN/server.toml" <<TOML
domain = "127.0.0.1"
[listen]
udp = "$SERVER"
tcp = "$SERVER"
tls = "127.0.0.1:5301"
[store]
path = "$RUN/server.db"
[presence]
pending = true
min_interval_ms = 200
TOML
for u in alice pj bb lp; do printf '[[users]]\nname = "%s"\npassword = "%s-secret"\n' "$u" "$u" >> "$RUN/server.toml"; done
"$BIN/simple-server" --config "$RUN/server.toml" > "$RUN/server.out" 2> "$RUN/server.log" & PIDS+=($!)
check "simple-server is up" wait_for "$RUN/server.out" '^READY'
# each presentity allows the others (RFC 3857 pending -> active, decided ahead)
check "approvals taken" bash -c "
  $(declare -f cli as); BIN='$BIN' SERVER='$SERVER'
  as pj watchers --approve bb --approve lp --approve alice >/dev/null &&
  as bb watchers --approve pj --approve lp --approve alice >/dev/null &&
  as lp watchers --approve pj --approve bb --approve alice >/dev/null"

# ---------- PJSIP ----------
HAVE_PJ=0; pjsua_python && HAVE_PJ=1
if [ "$HAVE_PJ" = 1 ]; then
  mkfifo "$RUN/pj.cmd"; sleep 600 > "$RUN/pj.cmd" & PIDS+=($!)
  "$PY" "$HERE/pj_ua.py" --port 5320 --user pj --password pj-secret --server $SERVER --publish --note "pj at work" \
    --watch sip:bb@127.0.0.1 --watch sip:lp@127.0.0.1 --duration 300 < "$RUN/pj.cmd" > "$RUN/pj.log" 2>&1 & PIDS+=($!)
  exec 4> "$RUN/pj.cmd"
  check "pjsip: registers with digest" wait_for "$RUN/pj.log" '"reg_state", "code": 200, "active": true'
else
  echo "pjsua2 not available (pip install pjsua2-python): PJSIP checks skipped"
  [ -n "${SIMPLE_RS_REQUIRE_KAMAILIO:-}" ] && FAIL=$((FAIL + 1))
fi

# ---------- baresip ----------
HAVE_BS=0; command -v baresip >/dev/null && HAVE_BS=1
ctl() { python3 "$HERE/../baresip-ctl.py" 4450 "$1"; }
if [ "$HAVE_BS" = 1 ]; then
  BS="$RUN/baresip"; mkdir -p "$BS"
  baresip_config "$BS" 5330 4450
  echo "<sip:bb@127.0.0.1>;auth_pass=bb-secret;outbound=\"sip:$SERVER\";regint=600;pubint=60;answermode=manual" > "$BS/accounts"
  printf '<sip:lp@127.0.0.1>;presence=p2p\n<sip:pj@127.0.0.1>;presence=p2p\n' > "$BS/contacts"
  baresip -f "$BS" < /dev/null > "$BS/baresip.log" 2>&1 & PIDS+=($!)
  check "baresip: registers with digest" wait_for "$RUN/server.log" 'bb has 1 bindings'
else
  echo "baresip not installed (apt-get install baresip-core): baresip checks skipped"
  [ -n "${SIMPLE_RS_REQUIRE_BARESIP:-}" ] && FAIL=$((FAIL + 1))
fi

# ---------- linphonec ----------
HAVE_LP=0; command -v linphonec >/dev/null && HAVE_LP=1
if [ "$HAVE_LP" = 1 ]; then
  LP="$RUN/linphone"; mkdir -p "$LP/home/.local/share/linphone"
  cat > "$LP/home/linphonerc" <<RC
[sip]
sip_port=5340
sip_tcp_port=-1
sip_tls_port=-1
bind_address=127.0.0.1
use_ipv6=0
contact="lp" <sip:lp@127.0.0.1>
guess_hostname=0
default_proxy=0
register_only_when_network_is_up=0
register_only_when_upnp_is_ok=0
[net]
firewall_policy=0
[misc]
enable_basic_to_client_group_chat_room_migration=0
prefer_basic_chat_room=1
[video]
capture=0
display=0
[proxy_0]
reg_proxy=<sip:$SERVER>
reg_route=<sip:$SERVER;lr>
reg_identity="lp" <sip:lp@127.0.0.1>
reg_sendregister=1
reg_expires=600
publish=1
cpim_in_basic_chat_rooms_enabled=1
[im_notif_policy]
send_is_composing=1
recv_is_composing=1
send_imdn_delivered=1
recv_imdn_delivered=1
send_imdn_displayed=1
recv_imdn_displayed=1
[auth_info_0]
username=lp
passwd=lp-secret
realm=127.0.0.1
domain=127.0.0.1
RC
  mkfifo "$LP/cmd"
  # keep the FIFO open so that linphonec never reads EOF
  sleep 600 > "$LP/cmd" & PIDS+=($!)
  HOME="$LP/home" linphonec -c "$LP/home/linphonerc" -d 6 -l "$LP/home/lp.log" < "$LP/cmd" > "$LP/out" 2>&1 & PIDS+=($!)
  exec 5> "$LP/cmd"
  check "linphonec: registers with digest" wait_for "$RUN/server.log" 'lp has 1 bindings'
  echo 'friend add pj sip:pj@127.0.0.1' >&5
  echo 'friend add bb sip:bb@127.0.0.1' >&5
else
  echo "linphonec not installed (apt-get install linphone-cli): linphonec checks skipped"
  [ -n "${SIMPLE_RS_REQUIRE_LINPHONE:-}" ] && FAIL=$((FAIL + 1))
fi

# ---------- each one publishes: simple-cli reads it through the server ----------
watch_once() { # user, target, regex
  as "$1" watch "$2" --count 1 --for 10 > "$RUN/w-$1-$2.log" 2>&1; grep -Eq -- "$3" "$RUN/w-$1-$2.log"
}
poll() { # tries a command until it succeeds (bounded): for state that arrives by itself
  local i; for i in $(seq 1 30); do "$@" && return 0; sleep 0.3; done; "$@"
}
[ "$HAVE_PJ" = 1 ] && check "pjsip's PUBLISH reaches simple-cli (open, its note)" poll watch_once alice pj 'active .*=open note=pj at work'
[ "$HAVE_BS" = 1 ] && check "baresip's PUBLISH reaches simple-cli (open)" poll watch_once alice bb 'active .*=open'
[ "$HAVE_LP" = 1 ] && check "linphonec's PUBLISH reaches simple-cli (open)" poll watch_once alice lp 'active .*=open'

# ---------- they watch each other ----------
if [ "$HAVE_PJ" = 1 ]; then
  [ "$HAVE_BS" = 1 ] && check "pjsip reads baresip online" wait_for "$RUN/pj.log" '"uri": "sip:bb@127.0.0.1", "sub_state": "ACTIVE", "status": 1' 20
  [ "$HAVE_LP" = 1 ] && check "pjsip reads linphonec online" wait_for "$RUN/pj.log" '"uri": "sip:lp@127.0.0.1", "sub_state": "ACTIVE", "status": 1' 20
fi
if [ "$HAVE_BS" = 1 ]; then
  bs_online() { ctl /contacts > "$BS/contacts.out" 2>&1; grep -q "Online.*sip:$1@127.0.0.1" "$BS/contacts.out"; }
  [ "$HAVE_LP" = 1 ] && check "baresip reads linphonec online" poll bs_online lp
  [ "$HAVE_PJ" = 1 ] && check "baresip reads pjsip online" poll bs_online pj
fi
if [ "$HAVE_LP" = 1 ]; then
  [ "$HAVE_PJ" = 1 ] && check "linphonec reads pjsip online" wait_for "$LP/out" 'Friend "pj" <sip:pj@127.0.0.1> is Online' 20
  [ "$HAVE_BS" = 1 ] && check "linphonec reads baresip online" wait_for "$LP/out" 'Friend "bb" <sip:bb@127.0.0.1> is Online' 20
fi

# ---------- MESSAGE through the server ----------
as alice listen --count 3 --for 120 > "$RUN/alice-listen.log" 2>&1 & PIDS+=($!)
check "simple-cli listens (registered)" wait_for "$RUN/alice-listen.log" '^listening as'
if [ "$HAVE_LP" = 1 ]; then
  echo 'chat sip:alice@127.0.0.1 "hello from linphonec"' >&5
  check "linphonec -> simple-cli" wait_for "$RUN/alice-listen.log" 'message from sip:lp@127.0.0.1: .*hello from linphonec'
  [ "$HAVE_PJ" = 1 ] && { echo 'chat sip:pj@127.0.0.1 "lp to pj"' >&5
    check "linphonec -> pjsip" wait_for "$RUN/pj.log" '"instant_message", "from_uri": "<?sip:lp@127.0.0.1>?", "content_type": "text/plain", "body": "\\?"?lp to pj'; }
fi
if [ "$HAVE_BS" = 1 ]; then
  # baresip's current contact is its first: lp
  [ "$HAVE_LP" = 1 ] && { ctl "/message bb to lp" > /dev/null
    check "baresip -> linphonec" wait_for "$LP/out" 'Message received from sip:bb@127.0.0.1: bb to lp'; }
  check "simple-cli -> baresip (200)" bash -c "$(declare -f cli as); BIN='$BIN' SERVER='$SERVER'; as alice message --plain bb 'hello bb' | grep -q '(200)'"
fi
if [ "$HAVE_PJ" = 1 ]; then
  # is-composing (RFC 3994) both ways: simple-cli says it is typing, then sends
  as alice message --plain pj 'hello pj' --typing 1 > "$RUN/to-pj.log" 2>&1
  check "simple-cli -> pjsip (200)" grep -q '(200)' "$RUN/to-pj.log"
  check "pjsip received it" wait_for "$RUN/pj.log" '"body": "hello pj"'
  check "pjsip took the is-composing (200)" grep -q 'composing sent to sip:pj@127.0.0.1: accepted (200)' "$RUN/to-pj.log"
  check "pjsip saw simple-cli composing" wait_for "$RUN/pj.log" '"event": "typing", "from_uri": "<?sip:alice@127.0.0.1>?", "is_typing": true'
  echo "typing sip:alice@127.0.0.1" >&4
  check "simple-cli saw pjsip composing" wait_for "$RUN/alice-listen.log" 'sip:pj@127.0.0.1 is composing'
  echo "typing-stop sip:alice@127.0.0.1" >&4
  check "simple-cli saw pjsip stop composing" wait_for "$RUN/alice-listen.log" 'sip:pj@127.0.0.1 stopped composing \(idle\)'
  if [ "$HAVE_LP" = 1 ]; then
    # CPIM (RFC 3862) asking for delivery and display notifications (RFC 5438), is-composing
    # first: linphonec shows it, says it is delivered; no display notification comes from a
    # headless linphonec, so that one times out
    as alice message lp 'hello lp' --typing 1 --wait 6 > "$RUN/to-lp.log" 2>&1
    check "simple-cli -> linphonec: CPIM accepted (200)" grep -q 'sent to sip:lp@127.0.0.1 (200)' "$RUN/to-lp.log"
    check "linphonec received it" wait_for "$LP/out" 'Message received from sip:alice@127.0.0.1: hello lp'
    check "linphonec took the is-composing (200)" grep -q 'composing sent to sip:lp@127.0.0.1: accepted (200)' "$RUN/to-lp.log"
    check "linphonec's delivery notification reached simple-cli through the server" grep -q 'delivery from sip:lp@127.0.0.1: delivered' "$RUN/to-lp.log"
    check "simple-cli ended the display notification once" test "$(grep -c '^display from sip:lp@127.0.0.1' "$RUN/to-lp.log")" = 1
  fi
  # a change: pjsip goes offline, the others see it
  echo offline >&4
  check "pjsip's offline PUBLISH reaches simple-cli (closed)" poll watch_once alice pj 'active .*=closed'
  [ "$HAVE_LP" = 1 ] && check "linphonec reads pjsip offline" wait_for "$LP/out" 'Friend "pj" <sip:pj@127.0.0.1> is Offline' 20
fi

# ---------- simple-cli against Kamailio ----------
if command -v kamailio >/dev/null && "$HERE/../kamailio-modules.sh" >/dev/null 2>&1; then
  "$HERE/start.sh" > "$RUN/kamailio-start.log" 2>&1 || { cat "$RUN/kamailio-start.log"; FAIL=$((FAIL + 1)); }
  K=127.0.0.1:5310
  kcli() { "$BIN/simple-cli" --server "$K" "$@"; }
  kcli --user bob listen --count 1 --for 20 > "$RUN/k-listen.log" 2>&1 & PIDS+=($!)
  check "kamailio: simple-cli registers" wait_for "$RUN/k-listen.log" '^listening as sip:bob@127.0.0.1'
  check "kamailio: simple-cli MESSAGE relayed (200)" bash -c "$(declare -f kcli); BIN='$BIN' K='$K'; kcli --user alice message bob 'via kamailio' | grep -q '(200)'"
  check "kamailio: the other simple-cli got it" wait_for "$RUN/k-listen.log" 'message from sip:alice@127.0.0.1: via kamailio'
  kcli --user alice publish --note "on kamailio" --activity meeting > "$RUN/k-publish.log" 2>&1
  check "kamailio: simple-cli PUBLISH accepted" grep -q '^published sip:alice@127.0.0.1 open' "$RUN/k-publish.log"
  kcli --user bob --json watch alice --count 1 --for 10 > "$RUN/k-watch.log" 2>&1
  check "kamailio: simple-cli watch reads the note and the RPID activity" grep -q '"activities":\["meeting"\].*"notes":\["on kamailio"\]\|"notes":\["on kamailio"\].*"activities":\["meeting"\]\|"activities":\["meeting"\]' "$RUN/k-watch.log"
  check "kamailio: the watch reads the note" grep -q 'on kamailio' "$RUN/k-watch.log"
  kcli --user carol watch alice --for 20 > "$RUN/k-watch2.log" 2>&1 & PIDS+=($!)
  wait_for "$RUN/k-watch2.log" 'active' >/dev/null
  kcli --user alice watchers > "$RUN/k-winfo.log" 2>&1
  check "kamailio: simple-cli watchers lists carol" grep -q 'watcher sip:carol@127.0.0.1 active' "$RUN/k-winfo.log"
else
  echo "kamailio not installed: the Kamailio checks skipped"
  [ -n "${SIMPLE_RS_REQUIRE_KAMAILIO:-}" ] && FAIL=$((FAIL + 1))
fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
