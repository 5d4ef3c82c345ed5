#!/usr/bin/env bash
# Stops the given PIDs: SIGTERM, up to 5 s for them to go (baresip and linphonec unregister
# first), then SIGKILL for what is left. Returns once none is alive, so that the next run
# finds its ports free. Shared by the interop runs.
#   usage: stop-pids.sh PID...
[ $# -eq 0 ] && exit 0
# gone TENTHS PID...: waits up to TENTHS tenths of a second for every PID to exit
gone() {
  local tenths="$1" p alive; shift
  for _ in $(seq 1 "$tenths"); do
    alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0
    sleep 0.1
  done
  return 1
}
kill "$@" 2>/dev/null
gone 50 "$@" && exit 0
kill -9 "$@" 2>/dev/null
gone 20 "$@"
exit 0
