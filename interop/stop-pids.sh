#!/usr/bin/env bash
# Stops the given PIDs: SIGTERM, up to 5 s for them to go (baresip and linphonec unregister
# first), then SIGKILL for what is left. Returns once none is alive, so that the next run
# finds its ports free. Shared by the interop runs.
#   usage: stop-pids.sh PID...
[ $# -eq 0 ] && exit 0
kill "$@" 2>/dev/null
for _ in $(seq 1 50); do
  alive=0
  for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
  [ "$alive" = 0 ] && exit 0
  sleep 0.1
done
kill -9 "$@" 2>/dev/null
for _ in $(seq 1 20); do
  alive=0
  for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
  [ "$alive" = 0 ] && exit 0
  sleep 0.1
done
exit 0
