#!/usr/bin/env bash
# Differential SIP parsing: simple-sip against npm sip, drachtio-sip and JsSIP on every vector.
# Needs node and npm (the packages install once, into node_modules here).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE"
[ -d node_modules/sip ] && [ -d node_modules/drachtio-sip ] && [ -d node_modules/jssip ] \
  || npm install --no-audit --no-fund --silent
(cd ../.. && cargo build -q -p simple-sip --example sip_to_json)
python3 compare.py
