# Shared by the interop runs (sourced): counted checks and bounded waits on lines, never on
# fixed times. WAIT_DEFAULT (seconds) is how long wait_for and wait_count wait by default.
PASS=0 FAIL=0
WAIT_DEFAULT="${WAIT_DEFAULT:-10}"
check() { # name, command...
  local name="$1"; shift
  if "$@"; then PASS=$((PASS + 1)); echo "[PASS] $name"; else FAIL=$((FAIL + 1)); echo "[FAIL] $name"; fi
}
# wait_for FILE REGEX [SECONDS]: until a line of FILE matches
wait_for() {
  local file="$1" re="$2" limit="${3:-$WAIT_DEFAULT}" i
  for i in $(seq 1 $((limit * 20))); do
    grep -Eq -- "$re" "$file" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "  (waited ${limit}s for /$re/ in $(basename "$file"); it has:)"; sed 's/^/    /' "$file" 2>/dev/null | tail -8
  return 1
}
# wait_count FILE REGEX N [SECONDS]: until N lines match
wait_count() {
  local file="$1" re="$2" n="$3" limit="${4:-$WAIT_DEFAULT}" i
  for i in $(seq 1 $((limit * 20))); do
    [ "$(grep -Ec -- "$re" "$file" 2>/dev/null)" -ge "$n" ] && return 0
    sleep 0.05
  done
  echo "  (waited ${limit}s for $n lines /$re/ in $(basename "$file"))"; return 1
}
LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# pjsua_python: sets PY to a python that imports pjsua2 (PJSUA_PYTHON, else the venv of
# interop/pidf-kamailio, made with pip from PyPI on first use); false when none can be had
pjsua_python() {
  local venv="$LIB_DIR/pidf-kamailio/venv"
  PY="${PJSUA_PYTHON:-$venv/bin/python}"
  if [ ! -x "$PY" ] || ! "$PY" -I -c 'import pjsua2' 2>/dev/null; then
    { python3 -m venv "$venv" && "$venv/bin/pip" install -q \
        --disable-pip-version-check 'pjsua2-python==2.15.1.post1'; } >/dev/null 2>&1
    PY="$venv/bin/python"
  fi
  "$PY" -I -c 'import pjsua2' 2>/dev/null
}
# baresip_config DIR SIP_PORT CTRL_PORT: a headless baresip on 127.0.0.1 (UDP), presence and
# the ctrl_tcp socket loaded; accounts and contacts are the caller's
baresip_config() {
  mkdir -p "$1"
  cat > "$1/config" <<CFG
poll_method epoll
sip_listen 127.0.0.1:$2
sip_transports udp
dns_server 127.0.0.1:53
module_path /usr/lib/baresip/modules
module_app account.so
module_app contact.so
module_app menu.so
module_app presence.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:$3
CFG
}
