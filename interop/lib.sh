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
