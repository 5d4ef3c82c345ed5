#!/usr/bin/env bash
# Seeds the fuzz corpora from the SIP vectors and fixtures of simple-sip.
set -euo pipefail
cd "$(dirname "$0")"
for t in sip_message sip_stream sip_headers sip_multipart; do mkdir -p corpus/$t; done
for f in ../simple-sip/tests/vectors/*/*.sip ../simple-sip/tests/data/*.sip; do
  n=$(basename "$f")
  cp "$f" corpus/sip_message/"$n"
  { printf '\x07'; cat "$f"; } > corpus/sip_stream/"$n"
  { printf '\x00'; cat "$f"; } > corpus/sip_multipart/"$n"
done
i=0
grep -h -E '^(Via|From|To|Contact|CSeq|Call-ID|Event|Subscription-State|Content-Type|Accept|WWW-Authenticate|Retry-After|Route|Expires|Allow-Events):' \
  ../simple-sip/tests/vectors/*/*.sip | tr -d '\r' | sort -u | while IFS= read -r line; do
  i=$((i+1)); value="${line#*: }"
  for k in $(seq 0 15); do printf "\\x$(printf %02x $k)%s" "$value" > corpus/sip_headers/h$i-$k; done
done
