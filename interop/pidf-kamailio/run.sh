#!/usr/bin/env bash
# simple-pidf against Kamailio's presence server on loopback: starts Kamailio (installing the
# Debian packages if needed), builds the pidf_tool example, runs run.py, stops Kamailio.
# Also run by simple-pidf/tests/interop_kamailio.rs (so by CI, which installs Kamailio).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
"$HERE/start.sh"
trap '"$HERE/stop.sh"' EXIT
# PIDF_TOOL may name a built pidf_tool (the cargo test does); otherwise build it here.
if [ -z "${PIDF_TOOL:-}" ]; then
  (cd "$ROOT" && cargo build -q -p simple-pidf --example pidf_tool)
  PIDF_TOOL="$ROOT/target/debug/examples/pidf_tool"
fi
# PJSIP's Python binding (PyPI wheel pjsua2-python) in ./venv, for part 4 of run.py.
# shellcheck source=../lib.sh
. "$HERE/../lib.sh"
if pjsua_python; then
  export PJSUA_PYTHON="$PY"
elif [ -n "${SIMPLE_RS_REQUIRE_KAMAILIO:-}" ]; then
  echo "pjsua2-python could not be installed" >&2; exit 1
fi
PIDF_TOOL="$PIDF_TOOL" PIDF_VECTORS="$ROOT/simple-pidf/tests/vectors" python3 "$HERE/run.py"
