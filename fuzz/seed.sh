#!/usr/bin/env bash
# Seeds the fuzz corpora from the SIP vectors and fixtures of simple-sip.
set -euo pipefail
cd "$(dirname "$0")"
for t in sip_message sip_stream sip_headers sip_multipart; do mkdir -p corpus/$t; done
for f in ../simple-sip/tests/vectors/*/*.sip ../simple-sip/tests/vectors/rfc4475/*.dat ../simple-sip/tests/data/*.sip; do
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
# the endpoint target reads operations, not messages: two short sequences to start from
mkdir -p corpus/sip_endpoint
printf '\x00\x01\x02\x03\x00\x00\x02\x00\x02\x06\xff\xff\x01\x01\x01\x04\x00\x02' > corpus/sip_endpoint/seed1
printf '\x03\x01\x00\x02\x00\x01\x05\x00\x00\x06\xff\x00\x02\x00\x02' > corpus/sip_endpoint/seed2
# XML: every RFC 5261 vector; patch and diff targets take "target NUL patch" / "a NUL b".
for t in xml_document xml_differential patch_apply selector xml_diff; do mkdir -p corpus/$t; done
V=../simple-patch/tests/vectors/rfc5261
for f in $V/*.xml $V/*.xsd; do cp "$f" corpus/xml_document/; cp "$f" corpus/xml_differential/; done
for i in $(seq 1 18); do
  { cat $V/rfc5261-secA.$i-target.xml; printf '\x00'; cat $V/rfc5261-secA.$i-patch.xml; } > corpus/patch_apply/A$i
  { cat $V/rfc5261-secA.$i-target.xml; printf '\x00'; cat $V/rfc5261-secA.$i-result.xml; } > corpus/xml_diff/A$i
  { grep -o 'sel="[^"]*"' $V/rfc5261-secA.$i-patch.xml || true; grep -o "sel='[^']*'" $V/rfc5261-secA.$i-patch.xml || true; } \
    | sed -E 's/^sel=.(.*).$/\1/' | head -1 > corpus/selector/A$i
done
printf 'watcherinfo/watcher-list/watcher[@id="8ajksjda7s"]' > corpus/selector/xcap1
printf 'foo/a:bar/b:baz[2][@x="y"]/namespace::*' > corpus/selector/xcap2
# MSRP: every RFC 4975 message and SDP example
for t in msrp_frame msrp_session msrp_uri; do mkdir -p corpus/$t; done
for f in ../simple-msrp/tests/vectors/rfc4975/*.msrp; do
  n=$(basename "$f")
  { printf '\x07'; cat "$f"; } > corpus/msrp_frame/"$n"
  cp "$f" corpus/msrp_session/"$n"
done
for f in ../simple-msrp/tests/vectors/rfc4975/*.sdp; do cp "$f" corpus/msrp_uri/; done
grep -h -o 'msrps\?://[^ ]*' ../simple-msrp/tests/vectors/rfc4975/*.msrp | tr -d '\r' | sort -u | head -20 \
  | while IFS= read -r u; do printf '%s' "$u" > corpus/msrp_uri/"$(printf '%s' "$u" | md5sum | cut -c1-12)"; done
# Presence documents: every RFC example; partial PIDF: full NUL diff, and pairs of documents.
for t in pidf_document pidf_partial; do mkdir -p corpus/$t; done
P=../simple-pidf/tests/vectors
for f in $P/rfc*/*.xml; do cp "$f" corpus/pidf_document/; done
{ cat $P/rfc5262/rfc5262-sec6-pidf-full.xml; printf '\x00'; cat $P/rfc5262/rfc5262-sec6-pidf-diff.xml; } > corpus/pidf_partial/rfc5262
{ cat $P/rfc5263/rfc5263-sec5-F3-NOTIFY.body-pidf-full.xml; printf '\x00'; cat $P/rfc5263/rfc5263-sec5-F5-NOTIFY.body-pidf-diff.xml; } > corpus/pidf_partial/rfc5263
{ cat $P/rfc4480/rfc4480-sec4-presence.xml; printf '\x00'; cat $P/rfc4482/rfc4482-sec4-presence-2.xml; printf '\x00'; cat $P/rfc5196/rfc5196-sec5-presence.xml; } > corpus/pidf_partial/docs
# the events target reads operations too: subscribe, publish, deliver, time, unsubscribe
mkdir -p corpus/sip_events corpus/winfo_document
printf '\x07\x00\x09\x02\x00\x00\x00\x00\x00\x00\x00\x00\x06\x10\x00\x00\x0a\x05\x00\x00\x00\x00\x08\x00' > corpus/sip_events/seed1
printf '\x07\x03\x09\x41\x00\x00\x04\x00\x00\x00\x0b\x01\x00\x00\x06\xff\x0a\x85\x0c\x07\x01\x30\x02\x40' > corpus/sip_events/seed2
printf '\x07\x0e\x00\x00\x05\x00\x00\x00\x00\x00\x0d\x00\x00\x00\x06\x80\x08\x80\x00\x00' > corpus/sip_events/seed3
for f in ../simple-pidf/tests/vectors/rfc385*/*watcherinfo*.xml ../simple-pidf/tests/vectors/rfc4660/*watcherinfo*.xml ../simple-pidf/tests/vectors/rfc4825/*watcherinfo*.xml; do
  cp "$f" corpus/winfo_document/
done
# the server target reads operations (8 bytes each): a register, publish, subscribe, message
# and answer sequence to start from
mkdir -p corpus/server
printf '\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x01\x00\x02\x00\x00\x00\x00\x01\x02\x01\x00\x00\x00\x00\x04\x01\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x01\x00\x00\x00\x05\x10\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00' > corpus/server/seed1
printf '\x01\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x04\x01\x01\x00\x00\x00\x06\x00\x06\x02\x01\x00\x07\x00\x00\x01\x05\x01\x01\x00\x00\x00' > corpus/server/seed2
# XCAP: URIs from the RFC 4825 examples; server sequences "op path\nbody" separated by NUL
mkdir -p corpus/xcap_uri corpus/xcap_server
for f in ../simple-xcap/tests/vectors/rfc4825/*.unfolded.http; do
  head -1 "$f" | tr -d '\r' | awk '{print $2}' | sed 's#^/##' | tr -d '\n' > corpus/xcap_uri/$(basename "$f")
done
printf 'resource-lists/users/sip:joe@example.com/index/~~/resource-lists/list%%5b@name=%%22friends%%22%%5d/@name?xmlns(x=urn:x)' > corpus/xcap_uri/q1
printf '\x05resource-lists/list/entry[@uri="sip:z@x"]\n<entry uri="sip:z@x"/>\x00\x00resource-lists/list/entry[1]\x00\x02resource-lists/list/list\x00\x15resource-lists/list/@name\n"x"' > corpus/xcap_server/s1
printf '\x85cr:ruleset/cr:rule[@id="b"]?xmlns(cr=urn:ietf:params:xml:ns:common-policy)\n<cr:rule id="b"/>\x00\x82cr:ruleset/cr:rule?xmlns(cr=urn:ietf:params:xml:ns:common-policy)\x00\x45rls-services/service[@uri="sip:n@x"]\n<service uri="sip:n@x"><list/></service>' > corpus/xcap_server/s2
# xcap-diff package: subscribe (URIs by bit mask), PUT a document, PUT an element, notify
mkdir -p corpus/xcap_diff_package
printf '\x18\x13\x00\x40index\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="a"/></resource-lists>\x00\x40index/~~/resource-lists/list%%5b@name=%%22a%%22%%5d/entry\n<entry uri="sip:x@y"/>\x00\xa0\x00\x60index/~~/resource-lists/list/@name\x00\xa0' > corpus/xcap_diff_package/s1
# simple-imdn: every CPIM example, both XML documents' examples; the machines read operations
for t in cpim_message imdn_document iscomposing_document imdn_tracker iscomposing_timers; do mkdir -p corpus/$t; done
V=../simple-imdn/tests/vectors
for f in $V/rfc3862/*.cpim $V/rfc5438/*.cpim $V/rfc5547/*.cpim $V/rfc7701/*.cpim; do cp "$f" corpus/cpim_message/; done
for f in $V/rfc5438/*.xml; do cp "$f" corpus/imdn_document/; done
for f in $V/rfc3994/*.xml; do cp "$f" corpus/iscomposing_document/; done
printf '\x00\x01\x02\x05\x03\x01\x01\x00\x02\x01\x00\x03\x05\x00\x00\x00' > corpus/imdn_tracker/seed1
printf '\x00\x00\x00\x00\x03\x00\x00\x00\x05\x00\x00\x00\x06\x00\x00\x00' > corpus/iscomposing_timers/seed1
# MSRP relay: requests naming the URIs the target's two clients got (@A, @B); SDP attributes
for t in msrp_relay msrp_sdp_attrs msrp_shared; do mkdir -p corpus/$t; done
printf 'MSRP t1abc SEND\r\nTo-Path: @A msrp://a.example.com:9/asess;tcp\r\nFrom-Path: msrp://b.example.com:9/bsess;tcp\r\nMessage-ID: m1abc\r\nByte-Range: 1-5/5\r\nContent-Type: text/plain\r\n\r\nhello\r\n-------t1abc$\r\n' > corpus/msrp_relay/toward-a
printf 'MSRP t2abc SEND\r\nTo-Path: @A @B msrp://b.example.com:9/bsess;tcp\r\nFrom-Path: msrp://a.example.com:9/asess;tcp\r\nMessage-ID: m2abc\r\nByte-Range: 1-*/10\r\nSuccess-Report: yes\r\nContent-Type: text/plain\r\n\r\nhello\r\n-------t2abc+\r\n~MSRP t3abc REPORT\r\nTo-Path: @B msrp://b.example.com:9/bsess;tcp\r\nFrom-Path: msrp://a.example.com:9/asess;tcp\r\nMessage-ID: m2abc\r\nByte-Range: 1-10/10\r\nStatus: 000 200 OK\r\n-------t3abc$\r\n' > corpus/msrp_relay/hairpin
for f in ../simple-msrp/tests/vectors/rfc4976/*.msrp; do cp "$f" corpus/msrp_relay/; done
for f in ../simple-msrp/tests/vectors/rfc5547/*.sdp ../simple-msrp/tests/vectors/rfc4976/*.sdp ../simple-msrp/tests/vectors/rfc4975/*.sdp; do cp "$f" corpus/msrp_sdp_attrs/; done
for f in ../simple-msrp/tests/vectors/rfc4975/*.msrp; do cp "$f" corpus/msrp_shared/; done
printf 'MSRP t1abc SEND\r\nTo-Path: msrp://b.example.com:1/s1s1;tcp\r\nFrom-Path: msrp://a.example.com:2/t1t1;tcp\r\nMessage-ID: m1abc\r\nByte-Range: 1-5/5\r\nContent-Type: text/plain\r\n\r\nhello\r\n-------t1abc$\r\nMSRP t2abc SEND\r\nTo-Path: msrp://b.example.com:1/s2s2;tcp\r\nFrom-Path: msrp://a.example.com:2/t1t1;tcp\r\nMessage-ID: m2abc\r\nByte-Range: 1-*/9\r\nContent-Type: text/plain\r\n\r\nhi\r\n-------t2abc+\r\n' > corpus/msrp_shared/two-sessions
