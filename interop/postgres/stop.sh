#!/usr/bin/env bash
# Stops the cluster interop/postgres/start.sh started and removes its directory.
set -uo pipefail
PORT="${PGPORT:-55432}"
STATE="${TMPDIR:-/tmp}/simple-rs-postgres-$PORT"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ -n "$bin" ] && [ -d "$STATE/data" ]; then
  as_pg "$bin/pg_ctl" -D "$STATE/data" -m fast -w stop >/dev/null 2>&1 || true
fi
rm -rf "$STATE"
