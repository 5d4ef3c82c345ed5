#!/usr/bin/env bash
# Interop of the simple-sip Endpoint (through examples/sip_ua.rs) with SIPp and Kamailio, on
# loopback. Usage: run.sh PATH/TO/sip_ua. Prints one line per check ("ok ..." / "FAIL ...") and
# exits 0 only if every check passed. Every wait is on a message or a process exit (SIPp's and
# sip_ua's own timeouts bound them); the readiness checks poll for a bound port.
#   1. SIPp's built-in UAC (INVITE/ACK/BYE) against `sip_ua serve`, 5 calls
#   2. uac_retransmit.xml against `sip_ua serve`: a MESSAGE sent twice with one branch (the
#      copy answered with the same 200 by the server transaction, the application sees it once)
#      and an INVITE whose 200 SIPp leaves unacknowledged (the UA retransmits it), 3 calls
#   3. `sip_ua call` against SIPp's built-in UAS, 2 calls
#   4. `sip_ua register` against Kamailio 5 (registrar, digest MD5 with qop=auth, nc counting):
#      401 then 200 with the right password, refused and bounded with a wrong one
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
UA="${1:?usage: run.sh PATH/TO/sip_ua}"
RUN="$HERE/run"; rm -rf "$RUN"; mkdir -p "$RUN"; cd "$RUN"
fails=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }
wait_udp() { for _ in $(seq 1 100); do ss -uln | grep -q "127.0.0.1:$1 " && return 0; sleep 0.05; done; return 1; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; "$HERE/stop.sh" >/dev/null 2>&1; }
trap cleanup EXIT

command -v sipp >/dev/null || { echo "FAIL sipp is not installed (Debian package sip-tester)"; exit 1; }

# 1 + 2: SIPp UACs against sip_ua serve
"$UA" serve --bind 127.0.0.1:5080 --for 120 > ua-serve.log 2>&1 &
pids+=($!)
wait_udp 5080 || { fail "sip_ua serve did not bind"; exit 1; }
timeout 60 sipp -sn uac 127.0.0.1:5080 -m 5 -i 127.0.0.1 -p 5098 -nostdin -timeout 50 \
  -trace_err -trace_stat > sipp-uac.out 2>&1
check "sipp uac: 5 calls (INVITE/180/200/ACK/BYE) against the Endpoint" \
  '[ $? -eq 0 ] && grep -Eq "Successful call +\| +0 +\| +5" sipp-uac.out'
check "sip_ua saw 5 INVITEs, 5 ACKs and 5 BYEs, once each" \
  '[ "$(grep -c "^request INVITE" ua-serve.log)" = 5 ] && [ "$(grep -c "^ack " ua-serve.log)" = 5 ] && [ "$(grep -c "^request BYE" ua-serve.log)" = 5 ]'

timeout 60 sipp -sf "$HERE/uac_retransmit.xml" 127.0.0.1:5080 -m 3 -i 127.0.0.1 -p 5099 -nr -nostdin \
  -timeout 50 -trace_err -trace_msg -message_file retransmit-messages.log > sipp-retransmit.out 2>&1
check "sipp retransmissions scenario: 3 calls succeed" \
  '[ $? -eq 0 ] && grep -Eq "Successful call +\| +0 +\| +3" sipp-retransmit.out'
# each response received, as "status line | CSeq"
summary=$(awk '/^SIP\/2.0 [0-9]+/{s=$0; next} s && /^CSeq:/{print s" | "$0; s=""}' <(tr -d '\r' < retransmit-messages.log))
check "a MESSAGE copy is answered with the same 200 (6 for 3 calls)" \
  '[ "$(grep -c "200 OK | CSeq: 1 MESSAGE" <<<"$summary")" = 6 ]'
check "the application saw each MESSAGE once (3)" '[ "$(grep -c "^request MESSAGE" ua-serve.log)" = 3 ]'
check "an unacknowledged 200 to INVITE is retransmitted (>= 2 per call)" \
  '[ "$(grep -c "200 OK | CSeq: 2 INVITE" <<<"$summary")" -ge 6 ]'

# 3: sip_ua call against SIPp's UAS
timeout 60 sipp -sn uas -i 127.0.0.1 -p 5090 -m 2 -nostdin -timeout 50 -trace_err > sipp-uas.out 2>&1 &
sipp_uas=$!
wait_udp 5090 || fail "sipp uas did not bind"
for n in 1 2; do
  check "sip_ua call $n (INVITE/200/ACK/BYE) against sipp uas" \
    '"$UA" call --bind 127.0.0.1:5081 --to sip:service@127.0.0.1:5090 > ua-call-$n.log 2>&1'
done
wait "$sipp_uas"
check "sipp uas: 2 calls completed" '[ $? -eq 0 ] && grep -Eq "Successful call +\| +0 +\| +2" sipp-uas.out'

# 4: REGISTER with digest against Kamailio
if "$HERE/start.sh" > kamailio-start.out 2>&1; then
  check "REGISTER: 401 then 200 from Kamailio with the right password" \
    '"$UA" register --bind 127.0.0.1:5182 --registrar 127.0.0.1:5170 --user alice --password secret > ua-register.log 2>&1 && grep -q "REGISTER 1 answered 401" ua-register.log && grep -q "REGISTER 2 answered 200" ua-register.log'
  check "REGISTER: a wrong password is refused, and the client stops (bounded retries)" \
    '! "$UA" register --bind 127.0.0.1:5182 --registrar 127.0.0.1:5170 --user alice --password wrong > ua-register-bad.log 2>&1 && [ "$(grep -c "answered 401" ua-register-bad.log)" -le 3 ]'
  check "Kamailio stored the binding" 'grep -q "registered sip:alice@127.0.0.1 at <sip:ua@127.0.0.1:5182>" "$RUN/kamailio.log"'
else
  fail "kamailio did not start: $(tail -3 kamailio-start.out)"
fi

echo "$fails failed"
[ "$fails" = 0 ]
